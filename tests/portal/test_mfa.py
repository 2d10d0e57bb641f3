"""Two-factor sign-in: enrolment, sign-in with a code or a recovery code, and where it is
required (organisation administrators, sign-off decisions, production secrets)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from checklist.models import Environment, EnvironmentRecord, SignOff, StoredSecret
from checklist.signoff import declare_ready
from portal.mfa import confirm_enrolment, start_enrolment
from portal.models import User
from tests.checklist.helpers import ready_for_test
from tests.conftest import PASSWORD, World
from tests.portal.enrolment import open_enrolment_link

SLUG = "musterstadt-gewerbe"


@pytest.fixture
def required(settings: object) -> None:
    settings.MFA_REQUIRED = True  # type: ignore[attr-defined]


def code(device: TOTPDevice, offset: int = 0) -> str:
    """The code the authenticator app shows now (offset in 30-second steps)."""
    return f"{totp(device.bin_key, t0=device.t0 - offset * device.step):06d}"


def enrolled(user: User) -> tuple[TOTPDevice, list[str]]:
    device = start_enrolment(user)
    return device, confirm_enrolment(device)


def password_step(client: Client, email: str) -> None:
    response = client.post(reverse("login"), {"username": email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("login_second_factor")


def test_an_administrator_sets_up_the_app_and_gets_recovery_codes(
    world: World, required: None
) -> None:
    anna = Client()
    anna.post(reverse("login"), {"username": "anna@musterstadt.example", "password": PASSWORD})
    # Signed in with the password only, an administrator is sent to set it up first ...
    response = anna.get(reverse("overview"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("mfa_setup")
    page = response.content.decode()
    assert "Als Administrator:in einer Organisation brauchen Sie die Zwei-Faktor" in page
    # The password alone does not enrol an app: first the link sent by e-mail.
    assert "data:image/svg+xml" not in page
    assert "senden wir zuerst einen Link an Ihre E-Mail-Adresse" in page
    open_enrolment_link(anna)
    page = anna.get(reverse("mfa_setup")).content.decode()
    assert 'src="data:image/svg+xml' in page
    key = re.search(r'<code class="portal-key"[^>]*>([A-Z2-7 ]+)</code>', page)
    assert key is not None
    device = TOTPDevice.objects.get(user=world.authority_admin, confirmed=False)
    # ... a wrong code is explained at the field, a right one finishes the set-up.
    wrong = anna.post(reverse("mfa_setup"), {"code": "000000"}).content.decode()
    assert 'id="id_code_error"' in wrong
    assert "nicht richtig oder abgelaufen" in wrong
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):  # after the pause
        done = anna.post(reverse("mfa_setup"), {"code": code(device)})
    page = done.content.decode()
    assert "Ihre Wiederherstellungscodes" in page
    assert len(re.findall(r"<li><code>[a-z0-9]{8}</code></li>", page)) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert anna.get(reverse("overview")).status_code == 200


def test_sign_in_asks_for_the_code_before_the_session_starts(world: World) -> None:
    device, _codes = enrolled(world.authority_staff)
    bernd = Client()
    password_step(bernd, "bernd@musterstadt.example")
    # The password alone signs nobody in.
    assert bernd.get(reverse("overview"))["Location"].startswith(reverse("login"))
    page = bernd.get(reverse("login_second_factor")).content.decode()
    assert "Zwei-Faktor-Anmeldung" in page
    assert 'autocomplete="one-time-code"' in page
    assert (
        "nicht richtig"
        in bernd.post(reverse("login_second_factor"), {"code": "123456"}).content.decode()
    )
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):  # after the pause
        response = bernd.post(reverse("login_second_factor"), {"code": code(device)})
    assert response["Location"] == reverse("home")
    assert bernd.get(reverse("overview")).status_code == 200


def test_a_recovery_code_signs_in_once(world: World) -> None:
    _device, codes = enrolled(world.authority_staff)
    first = Client()
    password_step(first, "bernd@musterstadt.example")
    response = first.post(reverse("login_second_factor"), {"code": codes[0].upper()}, follow=True)
    assert "mit einem Wiederherstellungscode angemeldet; 9 sind noch übrig" in (
        response.content.decode()
    )
    again = Client()
    password_step(again, "bernd@musterstadt.example")
    refused = again.post(reverse("login_second_factor"), {"code": codes[0]})
    assert refused.status_code == 200
    assert again.get(reverse("overview")).status_code == 302


def test_the_second_step_expires_after_five_minutes(world: World) -> None:
    device, _codes = enrolled(world.authority_staff)
    bernd = Client()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        password_step(bernd, "bernd@musterstadt.example")
        traveller.shift(timedelta(minutes=6))
        response = bernd.post(reverse("login_second_factor"), {"code": code(device)})
    assert response["Location"] == reverse("login")
    assert bernd.get(reverse("overview")).status_code == 302


def test_repeated_wrong_codes_are_slowed_down(world: World) -> None:
    device, _codes = enrolled(world.authority_staff)
    bernd = Client()
    password_step(bernd, "bernd@musterstadt.example")
    for _ in range(3):
        bernd.post(reverse("login_second_factor"), {"code": "111111"})
    page = bernd.post(reverse("login_second_factor"), {"code": code(device)}).content.decode()
    assert "Zu viele falsche Codes" in page


def test_without_the_requirement_nobody_is_sent_to_set_it_up(world: World) -> None:
    anna = Client()
    anna.post(reverse("login"), {"username": "anna@musterstadt.example", "password": PASSWORD})
    assert anna.get(reverse("overview")).status_code == 200


def _declared(world: World) -> None:
    ready_for_test(world.onboarding, world.provider_staff)
    declare_ready(world.onboarding, Environment.TEST, world.provider_staff)


def test_a_sign_off_decision_waits_for_the_second_factor_and_keeps_the_reason(
    world: World, required: None
) -> None:
    _declared(world)
    bernd = Client()
    bernd.force_login(world.authority_staff)
    url = reverse("signoff_return", args=[SLUG, "test"])
    response = bernd.post(url, {"reason": "Die Schlüssel-IDs fehlen noch."}, follow=True)
    assert response.redirect_chain[0][0] == reverse("mfa_setup")
    assert "Ihre Entscheidung bleibt erhalten" in response.content.decode()
    assert SignOff.objects.get().state == SignOff.State.DECLARED
    open_enrolment_link(bernd)
    bernd.get(reverse("mfa_setup"))
    device = TOTPDevice.objects.get(user=world.authority_staff)
    page = bernd.post(reverse("mfa_setup"), {"code": code(device)}).content.decode()
    assert "Ihre Eingaben sind erhalten" in page
    assert f'action="{url}"' in page
    assert "Die Schlüssel-IDs fehlen noch." not in page  # kept on the server, not in the page
    bernd.post(url, {"mfa_resume": "1"})
    signoff = SignOff.objects.get()
    assert signoff.state == SignOff.State.RETURNED
    assert signoff.reason == "Die Schlüssel-IDs fehlen noch."


def test_a_confirmed_session_decides_at_once(world: World, required: None) -> None:
    _declared(world)
    device, _codes = enrolled(world.authority_staff)
    bernd = Client()
    password_step(bernd, "bernd@musterstadt.example")
    bernd.post(reverse("login_second_factor"), {"code": code(device)})
    response = bernd.post(reverse("signoff_approve", args=[SLUG, "test"]))
    assert response["Location"].endswith("#abnahme")
    assert SignOff.objects.get().state == SignOff.State.APPROVED


def test_storing_production_secrets_needs_the_second_factor(
    world: World, required: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No request leaves the machine: every host resolves to an address the guard refuses.
    monkeypatch.setattr("fitconnect.http.resolve", lambda host, port: ["192.0.2.1"])
    EnvironmentRecord.objects.create(
        onboarding=world.onboarding,
        environment="production",
        client_id="prod-client",
        destination_id="3fa85f64-5717-4562-b3fc-2c963f66afa6",
        certificate_expiry=timezone.now().date() + timedelta(days=400),
    )
    clara = Client()
    clara.force_login(world.provider_staff)
    url = reverse("verify_start", args=[SLUG, "production"])
    form = {"subscriber_secret": "geheim-prod-123", "handling": "store"}
    response = clara.post(url, form)
    assert response["Location"] == reverse("mfa_setup")
    assert not StoredSecret.objects.exists()
    # Using a secret once, without storing it, needs no second factor.
    once = clara.post(url, {"subscriber_secret": "geheim-prod-123", "handling": "once"})
    assert once["Location"].endswith("#verbindung")
    assert not StoredSecret.objects.exists()
    open_enrolment_link(clara)
    assert "QR-Code" in clara.get(reverse("mfa_setup")).content.decode()
    device = TOTPDevice.objects.get(user=world.provider_staff)
    clara.post(reverse("mfa_setup"), {"code": code(device)})
    clara.post(url, {"mfa_resume": "1"})
    stored = StoredSecret.objects.get()
    assert (stored.environment, stored.kind) == ("production", "subscriber")
