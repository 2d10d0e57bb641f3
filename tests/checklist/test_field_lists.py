"""The recorded fields of a Leistung and of an environment record are declared once, on the
model; the form, the audit, the sign-off snapshot and the connection checks all follow the
declaration (issue 22). Each test fails when one of them lists fields of its own again."""

from __future__ import annotations

import dataclasses
from datetime import date

from checklist import services, verification
from checklist.forms import LEISTUNG_OWN_FIELDS, EnvironmentRecordForm, LeistungForm
from checklist.models import AuditEvent, EnvironmentRecord, Leistung
from checklist.state import OnboardingState
from fitconnect.checks.base import Expected, ExpectedService
from tests.conftest import World

REPLY_FIELDS = {n for n in Leistung.RECORDED_FIELDS if n.startswith("reply_")} | {"email_pgp"}


def test_the_forms_edit_exactly_the_recorded_fields() -> None:
    leistung_form = set(LeistungForm._meta.fields or ()) | set(LEISTUNG_OWN_FIELDS)
    assert leistung_form == set(Leistung.RECORDED_FIELDS)
    assert set(LEISTUNG_OWN_FIELDS.values()) <= set(LeistungForm.base_fields)
    assert list(EnvironmentRecordForm._meta.fields or ()) == list(EnvironmentRecord.RECORDED_FIELDS)


def test_every_recorded_leistung_field_is_frozen_or_says_why_not(world: World) -> None:
    leistung = world.onboarding.leistungen.get()
    frozen = set(leistung.frozen_values())
    recorded = set(Leistung.RECORDED_FIELDS)
    # The reply_* fields are frozen as FIT-Connect's replyChannels, the rest by name.
    assert frozen == (recorded - REPLY_FIELDS - set(Leistung.NOT_FROZEN)) | {"reply_channels"}
    assert set(Leistung.NOT_FROZEN) <= recorded


def test_the_snapshot_freezes_the_declared_values(world: World) -> None:
    snapshot = OnboardingState(world.onboarding).snapshot("test")
    leistung = world.onboarding.leistungen.get()
    assert snapshot["leistungen"][leistung.key] == leistung.frozen_values()
    assert list(snapshot["environment_record"]) == list(EnvironmentRecord.RECORDED_FIELDS)


def test_the_checks_compare_only_frozen_values(world: World) -> None:
    leistung = world.onboarding.leistungen.get()
    service_fields = {f.name for f in dataclasses.fields(ExpectedService)} - {"key"}
    assert service_fields <= set(leistung.frozen_values())
    record_fields = {f.name for f in dataclasses.fields(Expected)} - {
        "services",
        "metadata_versions",
    }
    assert record_fields <= set(EnvironmentRecord.RECORDED_FIELDS)
    expected = verification.expected_for(world.onboarding, "test")
    assert expected.services[0].schema_uri == leistung.schema_uri


def test_the_audit_names_a_change_of_every_recorded_field(world: World) -> None:
    record = EnvironmentRecord(onboarding=world.onboarding, environment="test")
    services.save_environment_record(record, world.provider_staff)
    record.client_id = "client-1"
    record.destination_id = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    record.encryption_kid = "enc-1"
    record.signature_kid = "sig-1"
    record.callback_url = "https://fachverfahren.example/callback"
    record.certificate_expiry = date(2027, 12, 31)
    services.save_environment_record(record, world.provider_staff)
    named = set(
        AuditEvent.objects.filter(
            onboarding=world.onboarding, action=AuditEvent.Action.FIELD_CHANGED
        ).values_list("subject", flat=True)
    )
    assert {f"environment.test.{n}" for n in EnvironmentRecord.RECORDED_FIELDS} <= named
