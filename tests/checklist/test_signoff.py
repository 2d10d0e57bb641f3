"""Four-eyes sign-off per environment: gates, snapshots, and invalidation by later changes."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from checklist import catalogue, services
from checklist.models import AuditEvent, Environment, SignOff
from checklist.signoff import approve, declare_ready, refresh_signoffs, snapshot_hash
from checklist.state import NotAllowed, OnboardingState, StepStatus
from portal.models import Membership
from tests.checklist.helpers import ready_for_test, record, signed_off_test, tick_step
from tests.conftest import World, make_onboarding

TEST = Environment.TEST
SLUG = "musterstadt-gewerbe"


def test_test_cannot_be_declared_while_required_items_are_open(world: World) -> None:
    with pytest.raises(NotAllowed, match="Schritt 3"):
        declare_ready(world.onboarding, TEST, world.provider_staff)
    assert not SignOff.objects.exists()


def test_provider_declares_and_a_different_authority_person_approves(world: World) -> None:
    onboarding = world.onboarding
    ready_for_test(onboarding, world.provider_staff)
    provider = Client()
    provider.force_login(world.provider_staff)
    provider.post(reverse("signoff_declare", args=[SLUG, "test"]))
    signoff = SignOff.objects.get()
    assert (signoff.state, signoff.declared_by) == (SignOff.State.DECLARED, world.provider_staff)
    # the provider may not decide its own declaration
    assert provider.post(reverse("signoff_approve", args=[SLUG, "test"])).status_code == 403

    authority = Client()
    authority.force_login(world.authority_staff)
    page = authority.get(reverse("step", args=[SLUG, 3])).content.decode()
    assert reverse("signoff_approve", args=[SLUG, "test"]) in page
    authority.post(reverse("signoff_approve", args=[SLUG, "test"]))

    signoff.refresh_from_db()
    assert signoff.is_valid
    assert signoff.decided_by == world.authority_staff
    assert signoff.snapshot is not None
    assert signoff.snapshot_sha256 == snapshot_hash(signoff.snapshot)
    assert "99050012104000" in signoff.snapshot["leistungen"]
    assert signoff.snapshot["environment_record"]["client_id"] == "test-client"
    state = OnboardingState(onboarding)
    assert state.status(3) == StepStatus.DONE
    assert state.status(4) == StepStatus.NOT_STARTED
    assert state.item_view(catalogue.load().by_key()["step3.signoff"]).done


def test_four_eyes_when_the_authority_works_in_house(world: World) -> None:
    onboarding = make_onboarding(world.authority, None, world.authority_admin, slug="eigen")
    ready_for_test(onboarding, world.authority_admin)
    declare_ready(onboarding, TEST, world.authority_admin)
    with pytest.raises(NotAllowed, match="Vier-Augen"):
        approve(onboarding, TEST, world.authority_admin)
    approve(onboarding, TEST, world.authority_staff)
    assert OnboardingState(onboarding).signoff_valid(TEST)


def test_changing_a_schema_invalidates_the_sign_off_and_says_what_changed(world: World) -> None:
    onboarding = world.onboarding
    signed_off_test(onboarding, world.provider_staff, world.authority_staff)
    leistung = onboarding.leistungen.get()
    admin = Client()
    admin.force_login(world.authority_admin)
    response = admin.post(
        reverse("leistung_edit", args=[SLUG, leistung.pk]),
        {
            "key": leistung.key,
            "name": leistung.name,
            "regions_text": "064350014014",
            "schema_kind": "fim",
            "schema_uri": "https://schema.fitko.de/fim/s00000096_1.0.schema.json",
            "mime_type": "",
        },
    )
    assert response.status_code == 302
    signoff = SignOff.objects.get()
    assert signoff.invalidated_at is not None
    assert not signoff.is_valid
    paths = [change["path"] for change in signoff.invalidated_changes]
    assert paths == ["leistungen.99050012104000.schema_uri"]
    event = onboarding.audit_events.get(action=AuditEvent.Action.SIGNOFF_INVALIDATED)
    assert "s00000092_1.0" in event.old_value
    assert "s00000096_1.0" in event.new_value
    assert event.actor == world.authority_admin

    page = admin.get(reverse("step", args=[SLUG, 3])).content.decode()
    assert "ungültig – erneut prüfen" in page
    # What changed is named in words, never as an internal path.
    assert "Leistung 99050012104000: Schema-URI" in page
    assert "leistungen.99050012104000.schema_uri" not in page
    assert OnboardingState(onboarding).status(4) == StepStatus.LOCKED


def test_an_unrelated_save_with_the_same_values_keeps_the_sign_off(world: World) -> None:
    onboarding = world.onboarding
    signed_off_test(onboarding, world.provider_staff, world.authority_staff)
    leistung = onboarding.leistungen.get()
    leistung.save()
    refresh_signoffs(onboarding, world.authority_admin)
    assert SignOff.objects.get().is_valid


@pytest.mark.parametrize("change", ["client_id", "untick", "metadata", "region", "new_leistung"])
def test_every_snapshotted_value_invalidates_when_changed(world: World, change: str) -> None:
    onboarding = world.onboarding
    signed_off_test(onboarding, world.provider_staff, world.authority_staff)
    if change == "client_id":
        env = onboarding.environments.get(environment=TEST)
        env.client_id = "other-client"
        env.save()
    elif change == "untick":
        item = catalogue.load().by_key()["step3.token"]
        services.set_item_done(onboarding, item, False, world.provider_staff)
    elif change == "metadata":
        onboarding.metadata_versions = ["1.2.0", "1.3.0"]
        onboarding.save()
    elif change == "region":
        leistung = onboarding.leistungen.get()
        leistung.regions = ["06435"]
        leistung.save()
    else:
        onboarding.leistungen.create(
            key="99102013104000",
            name="Hundesteuer Anmeldung",
            schema_kind="fim",
            schema_uri="https://schema.fitko.de/fim/s00000096_1.0.schema.json",
            mime_type="application/json",
            regions=["06435"],
        )
    refresh_signoffs(onboarding, world.authority_admin)
    signoff = SignOff.objects.get()
    assert not signoff.is_valid
    assert signoff.invalidated_changes
    assert onboarding.audit_events.filter(action=AuditEvent.Action.SIGNOFF_INVALIDATED).count() == 1


def test_reference_needs_a_valid_test_sign_off_and_is_locked_before(world: World) -> None:
    onboarding = world.onboarding
    ready_for_test(onboarding, world.provider_staff)
    record(onboarding, Environment.REFERENCE)
    state = OnboardingState(onboarding)
    assert state.status(4) == StepStatus.LOCKED
    provider = Client()
    provider.force_login(world.provider_staff)
    response = provider.post(
        reverse("item_toggle", args=[SLUG, "step4.jwks"]), {"done": "1"}, follow=True
    )
    assert "gesperrt" in response.content.decode().lower()
    assert not onboarding.item_states.get(key="step4.jwks").done
    with pytest.raises(NotAllowed, match="gültigen Abnahme Test"):
        declare_ready(onboarding, Environment.REFERENCE, world.provider_staff)


def test_production_needs_a_valid_reference_sign_off_and_the_step_5_items(world: World) -> None:
    onboarding = world.onboarding
    signed_off_test(onboarding, world.provider_staff, world.authority_staff)
    record(onboarding, Environment.REFERENCE)
    tick_step(onboarding, 4, world.provider_staff)
    with pytest.raises(NotAllowed, match="gültigen Abnahme Referenz"):
        declare_ready(onboarding, Environment.PRODUCTION, world.provider_staff)
    declare_ready(onboarding, Environment.REFERENCE, world.provider_staff)
    approve(onboarding, Environment.REFERENCE, world.authority_admin)
    with pytest.raises(NotAllowed, match="Schritt 5"):
        declare_ready(onboarding, Environment.PRODUCTION, world.provider_staff)
    record(onboarding, Environment.PRODUCTION)
    for field in ("technical", "organisational"):
        setattr(onboarding, f"{field}_name", "Kim Kontakt")
        setattr(onboarding, f"{field}_email", "kim@musterstadt.example")
    onboarding.save()
    tick_step(onboarding, 5, world.authority_admin)
    declare_ready(onboarding, Environment.PRODUCTION, world.provider_staff)
    approve(onboarding, Environment.PRODUCTION, world.authority_staff)
    state = OnboardingState(onboarding)
    assert state.current_step() is None
    assert [state.status(s) for s in range(1, 6)] == [StepStatus.DONE] * 5


def test_sending_back_needs_a_reason_and_allows_a_new_declaration(world: World) -> None:
    onboarding = world.onboarding
    ready_for_test(onboarding, world.provider_staff)
    declare_ready(onboarding, TEST, world.provider_staff)
    authority = Client()
    authority.force_login(world.authority_admin)
    empty = authority.post(reverse("signoff_return", args=[SLUG, "test"]), {"reason": " "})
    assert empty.status_code == 200
    assert 'id="id_reason_error"' in empty.content.decode()
    assert SignOff.objects.get().state == SignOff.State.DECLARED
    authority.post(reverse("signoff_return", args=[SLUG, "test"]), {"reason": "Callback fehlt"})
    signoff = SignOff.objects.get()
    assert (signoff.state, signoff.reason) == (SignOff.State.RETURNED, "Callback fehlt")
    declare_ready(onboarding, TEST, world.provider_staff)
    assert SignOff.objects.count() == 2


def test_a_second_declaration_while_waiting_is_refused(world: World) -> None:
    ready_for_test(world.onboarding, world.provider_staff)
    declare_ready(world.onboarding, TEST, world.provider_staff)
    with pytest.raises(NotAllowed):
        declare_ready(world.onboarding, TEST, world.provider_staff)


def test_a_removed_member_cannot_decide(world: World) -> None:
    ready_for_test(world.onboarding, world.provider_staff)
    declare_ready(world.onboarding, TEST, world.provider_staff)
    Membership.objects.filter(user=world.authority_staff).delete()
    client = Client()
    client.force_login(world.authority_staff)
    assert client.post(reverse("signoff_approve", args=[SLUG, "test"])).status_code == 404
    assert SignOff.objects.get().state == SignOff.State.DECLARED
