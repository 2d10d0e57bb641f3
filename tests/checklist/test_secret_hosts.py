"""Stored secrets stay with the hosts they were stored for; deleting a production secret
needs the second factor; the JWK validator never shows a private key back."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from checklist import tasks, verification
from checklist.models import (
    AuditEvent,
    EnvironmentRecord,
    FitConnectEnvironment,
    StoredSecret,
    VerificationRun,
)
from fitconnect import crypto
from fitconnect.messages import render
from notifications.describe import describe
from notifications.models import Notification
from portal.mfa import confirm_enrolment, start_enrolment
from portal.models import User
from tests.checklist.helpers import admin_change
from tests.conftest import World, make_onboarding
from tests.portal.test_mfa import code

SLUG = "musterstadt-gewerbe"
SECRET = "geheim-prod-4711"
NEW_TOKEN_URL = "https://auth.elsewhere.example/token"


@pytest.fixture
def required(settings: Any) -> None:
    settings.MFA_REQUIRED = True


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """Every request the checks send, recorded instead of sent (all answered 400)."""
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        request.read()
        requests.append(request)
        return httpx.Response(400, json={"error": "invalid_client"})

    monkeypatch.setattr(
        "fitconnect.http.GuardedTransport", lambda **kwargs: httpx.MockTransport(answer)
    )
    return requests


def carrying_secret(requests: list[httpx.Request]) -> list[str]:
    return [str(r.url) for r in requests if SECRET in r.content.decode(errors="replace")]


def production_record(world: World) -> None:
    EnvironmentRecord.objects.create(
        onboarding=world.onboarding,
        environment="production",
        client_id="prod-client",
        destination_id="3fa85f64-5717-4562-b3fc-2c963f66afa6",
        certificate_expiry=timezone.now().date() + timedelta(days=400),
    )


def verified(client: Client, world: World, user: User | None = None) -> TOTPDevice:
    """Set up the app for the provider's member (or ``user``) and confirm the session."""
    device = start_enrolment(user or world.provider_staff)
    confirm_enrolment(device)
    client.post(reverse("mfa_setup"), {"code": code(device)})
    return device


def test_an_operator_moving_the_production_token_url_gets_no_secret_until_confirmed(
    world: World, required: None, sent: list[httpx.Request]
) -> None:
    production_record(world)
    clara = Client()
    clara.force_login(world.provider_staff)
    verified(clara, world)
    url = reverse("verify_start", args=[SLUG, "production"])
    clara.post(url, {"subscriber_secret": SECRET, "handling": "store"})
    assert StoredSecret.objects.filter(environment="production").exists()
    old_token_host = (
        "https://" + httpx.URL(FitConnectEnvironment.objects.get(key="production").token_url).host
    )
    # Another onboarding without stored secrets for production.
    other = make_onboarding(world.authority, world.provider, world.authority_admin, slug="zweites")
    sent.clear()

    # The site operator points the production token URL at another host in the admin.
    operator = Client()
    operator.force_login(world.site_operator)
    verified(operator, world, world.site_operator)  # the admin needs the second factor
    environment = FitConnectEnvironment.objects.get(key="production")
    response = operator.post(
        reverse("admin:checklist_fitconnectenvironment_change", args=[environment.pk]),
        admin_change(environment, token_url=NEW_TOKEN_URL),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    environment.refresh_from_db()
    assert environment.token_url == NEW_TOKEN_URL

    # The next run from the page refuses to use the stored secret and says why ...
    page = clara.post(url, {"handling": "once"}).content.decode()
    assert "Die Adressen der Umgebung wurden geändert" in page
    assert not carrying_secret(sent)
    # ... and a run started without the page (API, worker) goes without it and says why.
    run = tasks.begin_run(
        world.onboarding, environment, world.provider_staff, provided={}, store=False
    )
    assert not carrying_secret(sent)
    token = next(r for r in run.results if r["check"] == "token")
    assert token["status"] == "skipped"
    assert "das gespeicherte Geheimnis wird erst nach Ihrer Bestätigung" in render(token["message"])

    # The step page shows the change, who made it, and the confirmation.
    step = clara.get(reverse("step", args=[SLUG, environment.step]))
    html = step.content.decode()
    assert f"{old_token_host}</code> → <code>https://auth.elsewhere.example" in html
    assert "Geändert von Petra Plattform" in html
    assert "Neue Adressen bestätigen" in html

    # The Protokoll of the affected onboarding says what changed and who changed it.
    trail = clara.get(reverse("audit_trail", args=[SLUG])).content.decode()
    assert "Adressen von" in trail
    assert "Petra Plattform" in trail
    assert "https://auth.elsewhere.example" in trail
    # Its people are told, naming the operator; the other onboarding gets nothing.
    told = Notification.objects.filter(kind="hosts_changed")
    assert {n.recipient for n in told} >= {world.provider_staff, world.authority_admin}
    assert all(n.onboarding == world.onboarding for n in told)
    body = describe(told.first()).body  # type: ignore[arg-type]
    assert "Petra Plattform" in body
    assert "https://auth.elsewhere.example" in body
    assert not AuditEvent.objects.filter(onboarding=other, action="hosts_changed").exists()

    # Confirming needs the second factor in a session without it ...
    confirm = reverse("hosts_confirm", args=[SLUG, "production"])
    fresh = Client()
    fresh.force_login(world.provider_staff)
    assert fresh.post(confirm)["Location"] == reverse("mfa_setup")
    assert not StoredSecret.objects.get().is_bound_to(environment)
    # ... and with it rebinds the secret: the next run sends it to the new host.
    assert clara.post(confirm)["Location"].endswith("#verbindung")
    assert StoredSecret.objects.get().is_bound_to(environment)
    assert AuditEvent.objects.filter(action="hosts_confirmed", actor=world.provider_staff).exists()
    clara.post(url, {"handling": "once"})
    assert set(carrying_secret(sent)) == {NEW_TOKEN_URL}
    assert VerificationRun.objects.count() == 3


def test_deleting_a_production_secret_needs_the_second_factor(
    world: World, required: None, sent: list[httpx.Request]
) -> None:
    production_record(world)
    verification.store_secret(
        world.onboarding, "production", "subscriber", SECRET, world.provider_staff
    )
    clara = Client()
    clara.force_login(world.provider_staff)
    url = reverse("secret_delete", args=[SLUG, "production", "subscriber"])
    assert clara.post(url)["Location"] == reverse("mfa_setup")
    assert StoredSecret.objects.filter(environment="production").exists()
    # After the second factor the kept form deletes it with one click.
    device = start_enrolment(world.provider_staff)
    confirm_enrolment(device)
    clara.post(reverse("mfa_setup"), {"code": code(device)})
    clara.post(url, {"mfa_resume": "1"})
    assert not StoredSecret.objects.exists()


def test_the_jwk_validator_never_shows_a_private_key_back(world: World) -> None:
    _public, private = crypto.generate_key_pair("signature", "Test", kid="sig-pasted-02")
    client = Client()
    client.force_login(world.authority_staff)
    response = client.post(
        reverse("jwk_validator"), {"jwk": json.dumps(private), "purpose": "signature"}
    )
    html = response.content.decode()
    assert private["d"] not in html
    assert private["p"] not in html
    assert "Das Portal hat ihn nicht behalten" in html
    assert "no-store" in response["Cache-Control"]
    # Nor is a PEM private key.
    pem = client.post(
        reverse("jwk_validator"),
        {
            "jwk": "-----BEGIN PRIVATE KEY-----\nMIIabc\n-----END PRIVATE KEY-----",
            "purpose": "signature",
        },
    )
    assert "MIIabc" not in pem.content.decode()
