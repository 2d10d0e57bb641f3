"""The written-out reads of a stage's step page give what the ORM's queries gave.

``checklist.stage_rows`` reads the environments with their records, the connection checks,
the conformance runs and the sign-offs in plain SQL for the step page. Each test compares
its instances with the ORM query it replaces: the same rows in the same order, the same
values, the same related objects (who started a run, with which token of which
organisation; who declared and decided), and a connection check's secrets not read.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import models
from django.utils import timezone

from checklist import lost_work, stage_rows
from checklist.models import (
    ConformanceRun,
    EnvironmentRecord,
    FitConnectEnvironment,
    SignOff,
    VerificationRun,
)
from tests.api.conftest import make_token
from tests.conftest import World, make_onboarding


def _values(obj: models.Model | None) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {
        field.attname: getattr(obj, field.attname)
        for field in obj._meta.concrete_fields
        if field.attname not in obj.get_deferred_fields()
    }


def _runs(world: World, model: type[VerificationRun] | type[ConformanceRun]) -> None:
    token, _secret = make_token(world.provider)
    now = timezone.now()
    for number, environment in enumerate(["test", "reference", "test", "production"]):
        run = model.objects.create(
            onboarding=world.onboarding,
            environment=environment,
            started_by=world.provider_staff if number % 2 else None,
            started_by_token=None if number % 2 else token,
            status="running" if number == 0 else "failed",
            finished_at=now if number else None,
            hosts=["https://test.fit-connect.fitko.dev"],
        )
        model.objects.filter(pk=run.pk).update(started_at=now - timedelta(minutes=number))


def _same_runs(found: list[Any], expected: list[Any]) -> None:
    assert [run.pk for run in found] == [run.pk for run in expected]
    for run, orm in zip(found, expected, strict=True):
        assert _values(run) == _values(orm)
        assert run.get_deferred_fields() == orm.get_deferred_fields()
        assert _values(run.started_by) == _values(orm.started_by)
        assert _values(run.started_by_token) == _values(orm.started_by_token)
        if orm.started_by_token is not None:
            assert run.started_by_token.organisation == orm.started_by_token.organisation
            assert run.started_by_token.organisation.name == "Kommunal-IT GmbH"
        assert run.onboarding is orm.onboarding or run.onboarding == orm.onboarding


def test_connection_checks_are_read_newest_first_with_who_started_them(world: World) -> None:
    _runs(world, VerificationRun)
    onboarding = world.onboarding
    expected = list(
        onboarding.verification_runs.select_related(
            "started_by", "started_by_token__organisation"
        ).defer("secrets_ciphertext")
    )
    found = stage_rows.runs(VerificationRun, onboarding)
    _same_runs(found, expected)
    assert all("secrets_ciphertext" in run.get_deferred_fields() for run in found)


def test_conformance_runs_are_read_by_environment_and_up_to_a_limit(world: World) -> None:
    _runs(world, ConformanceRun)
    onboarding = world.onboarding
    expected = list(
        onboarding.conformance_runs.filter(environment__in=["test", "production"]).select_related(
            "started_by", "started_by_token__organisation"
        )[:2]
    )
    found = stage_rows.runs(ConformanceRun, onboarding, ["production", "test"], 2)
    assert len(found) == 2
    _same_runs(found, expected)


def test_environments_come_with_the_onboardings_own_records_only(world: World) -> None:
    EnvironmentRecord.objects.create(
        onboarding=world.onboarding, environment="reference", client_id="client-1"
    )
    other = make_onboarding(world.authority, world.provider, world.authority_admin, slug="zweites")
    EnvironmentRecord.objects.create(onboarding=other, environment="test", client_id="other")
    found = stage_rows.with_records(world.onboarding)
    assert [env.key for env, _record in found] == list(
        FitConnectEnvironment.objects.values_list("key", flat=True)
    )
    records = {env.key: record for env, record in found}
    assert records["test"] is None  # the other onboarding's record is not this one's
    reference = records["reference"]
    assert reference is not None
    assert reference.client_id == "client-1"
    assert reference.fitconnect_environment.key == "reference"


def test_signoffs_are_read_newest_first_with_who_declared_and_decided(world: World) -> None:
    now = timezone.now()
    for number, state in enumerate([SignOff.State.APPROVED, SignOff.State.DECLARED]):
        SignOff.objects.create(
            onboarding=world.onboarding,
            environment="test",
            state=state,
            declared_by=world.provider_staff,
            declared_at=now + timedelta(minutes=number),
            decided_by=world.authority_admin if state == SignOff.State.APPROVED else None,
            decided_at=now if state == SignOff.State.APPROVED else None,
        )
    expected = list(world.onboarding.signoffs.select_related("declared_by", "decided_by"))
    found = stage_rows.signoffs(world.onboarding)
    assert [s.pk for s in found] == [s.pk for s in expected]
    assert [s.state for s in found] == [SignOff.State.DECLARED, SignOff.State.APPROVED]
    for signoff, orm in zip(found, expected, strict=True):
        assert _values(signoff) == _values(orm)
        assert _values(signoff.declared_by) == _values(orm.declared_by)
        assert _values(signoff.decided_by) == _values(orm.decided_by)


def test_a_lost_run_is_found_and_a_running_one_is_not(world: World) -> None:
    onboarding = world.onboarding
    run = VerificationRun.objects.create(
        onboarding=onboarding,
        environment="test",
        lease_until=timezone.now() + timedelta(minutes=5),
    )
    assert not stage_rows.any_lost(onboarding)
    assert not lost_work.settle_onboarding(onboarding)
    VerificationRun.objects.filter(pk=run.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert stage_rows.any_lost(onboarding)
    ConformanceRun.objects.create(
        onboarding=onboarding,
        environment="test",
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    VerificationRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    assert stage_rows.any_lost(onboarding)


def test_leistungen_records_and_stored_secrets_are_the_onboardings_own(world: World) -> None:
    from checklist.models import Leistung, StoredSecret

    onboarding = world.onboarding
    other = make_onboarding(world.authority, world.provider, world.authority_admin, slug="zwei")
    Leistung.objects.create(onboarding=onboarding, key="99050012104001", name="Zweite")
    EnvironmentRecord.objects.create(onboarding=onboarding, environment="test", client_id="c")
    EnvironmentRecord.objects.create(onboarding=other, environment="test", client_id="other")
    StoredSecret.objects.create(
        onboarding=onboarding,
        environment="test",
        kind="subscriber",
        ciphertext="x",
        updated_by=world.provider_staff,
    )
    StoredSecret.objects.create(onboarding=other, environment="test", kind="sender", ciphertext="y")
    leistungen = stage_rows.children(Leistung, onboarding, order=' ORDER BY x."key"')
    assert [_values(x) for x in leistungen] == [_values(x) for x in onboarding.leistungen.all()]
    assert [x.key for x in leistungen] == ["99050012104000", "99050012104001"]
    records = stage_rows.children(EnvironmentRecord, onboarding)
    assert [_values(x) for x in records] == [_values(x) for x in onboarding.environments.all()]
    stored = stage_rows.children(StoredSecret, onboarding, related="updated_by")
    assert [(s.kind, s.updated_by) for s in stored] == [("subscriber", world.provider_staff)]
    assert stored[0].updated_by.full_name == "Clara Code"


def test_a_record_whose_environment_was_removed_is_still_among_the_onboardings_records(
    world: World,
) -> None:
    onboarding = world.onboarding
    EnvironmentRecord.objects.create(onboarding=onboarding, environment="test", client_id="t")
    EnvironmentRecord.objects.create(onboarding=onboarding, environment="gone", client_id="g")
    environments, records = stage_rows.with_all_records(onboarding)
    assert [env.key for env, _record in environments] == ["test", "reference", "production"]
    assert [record.client_id if record else None for _env, record in environments] == [
        "t",
        None,
        None,
    ]
    # As OnboardingState.records read them: every record, the orphan too.
    expected = {r.environment: _values(r) for r in onboarding.environments.all()}
    assert {key: _values(r) for key, r in records.items()} == expected
    assert set(records) == {"test", "gone"}
    assert records["test"] is environments[0][1]


def test_the_changes_since_a_check_are_those_the_check_would_see(world: World) -> None:
    from django.db.models import Q

    from checklist.audit import audit
    from checklist.models import AuditEvent

    onboarding = world.onboarding
    token, _secret = make_token(world.provider)
    run = VerificationRun.objects.create(onboarding=onboarding, environment="test")
    seen = [
        "environment.test.client_id",
        "leistung.99050012104000.name",
        "onboarding.metadata_versions",
        "secret:test:subscriber",
        "hosts:test",
    ]
    unseen = [
        "environment.reference.client_id",
        "environment.testx.client_id",  # another environment's key that begins alike
        "Environment.test.client_id",  # startswith minds the case (not on SQLite)
        "secret:reference:subscriber",
        "hosts:reference",
        "onboarding.name",
        "item:step2.client",
    ]
    audit(onboarding, world.provider_staff, "updated", "hosts:test", "vorher", "vorher")
    moment = AuditEvent.objects.get(onboarding=onboarding, new_value="vorher").created_at
    for number, subject in enumerate([*seen, *unseen]):
        actor = [world.provider_staff, token, None][number % 3]
        audit(onboarding, actor, "updated", subject, "alt", "neu", run=run if number == 2 else None)
    subjects = (
        Q(subject__startswith="environment.test.")
        | Q(subject__startswith="leistung.")
        | Q(subject="onboarding.metadata_versions")
        | Q(subject__startswith="secret:test:")
        | Q(subject="hosts:test")
    )
    expected = list(
        AuditEvent.objects.filter(onboarding=onboarding, created_at__gt=moment)
        .filter(subjects)
        .select_related("actor", "api_token__organisation", "run")
        .order_by("created_at", "pk")[:3]
    )
    found = stage_rows.checked_changes(onboarding, "test", moment, 3)
    assert [e.pk for e in found] == [e.pk for e in expected]
    assert len(found) == 3
    everything = stage_rows.checked_changes(onboarding, "test", moment - timedelta(days=1), 50)
    subjects_found = [e.subject for e in everything]
    assert subjects_found[0] == "hosts:test"  # the one before the moment, oldest first
    assert set(subjects_found) - set(seen) <= {"Environment.test.client_id"}
    assert set(seen) <= set(subjects_found)
    later = stage_rows.checked_changes(onboarding, "test", moment, 50)
    assert "vorher" not in [e.new_value for e in later]
    for event, orm in zip(found, expected, strict=True):
        assert _values(event) == _values(orm)
        assert _values(event.actor) == _values(orm.actor)
        assert _values(event.api_token) == _values(orm.api_token)
        assert _values(event.run) == _values(orm.run)
