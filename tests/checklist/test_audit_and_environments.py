"""Audit values stored raw and shown in the reader's language; environments as operator rows."""

from __future__ import annotations

import uuid

from django.test import Client
from django.urls import reverse

from checklist import catalogue, services
from checklist.models import AuditEvent, EnvironmentRecord, FitConnectEnvironment
from tests.conftest import World, make_onboarding

SLUG = "musterstadt-gewerbe"


def signed_in(user: object, language: str = "de") -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    if language != "de":
        client.post(reverse("set_language"), {"language": language})
    return client


def test_a_tick_is_stored_raw_and_shown_as_a_sentence_in_the_readers_language(
    world: World,
) -> None:
    signed_in(world.provider_staff).post(
        reverse("item_toggle", args=[SLUG, "step2.client"]), {"done": "1"}
    )
    event = world.onboarding.audit_events.get(action=AuditEvent.Action.ITEM_TICKED)
    assert (event.old_value, event.new_value) == ("false", "true")
    title = catalogue.load().by_key()["step2.client"]
    german = signed_in(world.authority_staff).get(reverse("audit_trail", args=[SLUG]))
    assert f"Clara Code hat „{title.title}“ abgehakt." in german.content.decode()
    english = signed_in(world.authority_staff, "en").get(reverse("audit_trail", args=[SLUG]))
    assert "Clara Code ticked “" in english.content.decode()
    for page in (german, english):
        assert "true" not in page.content.decode().split("<tbody")[1]


def test_a_stored_secret_is_audited_without_a_value(world: World) -> None:
    from checklist import verification

    verification.store_secret(
        world.onboarding, "test", "subscriber", "geheim", world.provider_staff
    )
    event = world.onboarding.audit_events.get(action=AuditEvent.Action.SECRET_STORED)
    assert (event.old_value, event.new_value) == ("", "")
    page = signed_in(world.authority_staff).get(reverse("audit_trail", args=[SLUG]))
    html = page.content.decode()
    assert (
        "Clara Code hat „Client-Secret des Subscriber-Clients“ für Test verschlüsselt gespeichert."
        in html
    )
    assert "geheim" not in html


def test_an_operator_defined_stand_in_environment_appears_in_its_stages_step(
    world: World,
) -> None:
    FitConnectEnvironment.objects.create(
        key="landes-test",
        name="Landesnetz-Test",
        stage="reference",
        position=20,
        token_url="https://auth.landesnetz.example/token",
        submission_base="https://submission.landesnetz.example",
    )
    provider = signed_in(world.provider_staff)
    step2 = provider.get(reverse("step", args=[SLUG, 2])).content.decode()
    assert "Landesnetz-Test" in step2
    assert reverse("environment_edit", args=[SLUG, "landes-test"]) in step2
    response = provider.post(
        reverse("environment_edit", args=[SLUG, "landes-test"]),
        {
            "client_id": "landes-client",
            "destination_id": str(uuid.uuid4()),
            "certificate_expiry": "2028-01-31",
        },
    )
    assert response.status_code == 302
    record = EnvironmentRecord.objects.get(onboarding=world.onboarding, environment="landes-test")
    assert record.client_id == "landes-client"
    event = world.onboarding.audit_events.get(subject="environment.landes-test.client_id")
    assert event.step == 4  # tested in the reference step
    trail = provider.get(reverse("audit_trail", args=[SLUG])).content.decode()
    assert "Clara Code hat „Subscriber-Client-ID“ von Landesnetz-Test eingetragen." in trail
    assert "environment.landes-test" not in trail
    # Its connection-check panel is offered in step 4 (reference), not in step 3.
    verify_url = reverse("verify_start", args=[SLUG, "landes-test"])
    assert verify_url not in provider.get(reverse("step", args=[SLUG, 3])).content.decode()


def test_an_unknown_environment_in_an_address_is_not_found(world: World) -> None:
    provider = signed_in(world.provider_staff)
    assert provider.get(reverse("environment_edit", args=[SLUG, "nirgendwo"])).status_code == 404
    assert provider.post(reverse("verify_start", args=[SLUG, "nirgendwo"])).status_code == 404


def test_each_environment_shows_this_onboardings_record_only(world: World) -> None:
    """Environments and records come in one query; another onboarding's record never shows."""
    other = make_onboarding(world.authority, world.provider, world.authority_admin, "andere")
    for onboarding, environment, client_id in (
        (other, "test", "fremder-client"),
        (world.onboarding, "reference", "eigener-client"),
    ):
        services.save_environment_record(
            EnvironmentRecord(
                onboarding=onboarding,
                environment=environment,
                client_id=client_id,
                destination_id=uuid.uuid4(),
            ),
            world.provider_staff,
        )
    provider = signed_in(world.provider_staff)
    step2 = provider.get(reverse("step", args=[SLUG, 2])).content.decode()
    assert "eigener-client" in step2
    assert "fremder-client" not in step2
    assert step2.count("Noch nicht erfasst.") == 2  # Test and Produktiv
    # The check is offered where this onboarding recorded the environment, and only there.
    step3 = provider.get(reverse("step", args=[SLUG, 3])).content.decode()
    assert reverse("verify_start", args=[SLUG, "test"]) not in step3
    step4 = provider.get(reverse("step", args=[SLUG, 4])).content.decode()
    assert reverse("verify_start", args=[SLUG, "reference"]) in step4
    # A site operator removes the environment: the record stays, the pages work on.
    FitConnectEnvironment.objects.filter(key="reference").delete()
    assert EnvironmentRecord.objects.filter(environment="reference").exists()
    step2 = provider.get(reverse("step", args=[SLUG, 2])).content.decode()
    assert "eigener-client" not in step2
    assert provider.get(reverse("step", args=[SLUG, 4])).status_code == 200
