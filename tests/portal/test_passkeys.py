"""Passkeys as a second factor: adding, signing in, confirming a session, removing.

The ceremonies are real: a software authenticator (tests/portal/soft_authenticator.py)
signs what the portal asks for, and the portal checks the signatures as it does for a
browser. The browser journey with Chromium's virtual authenticator is in
tests/browser/test_passkeys.py.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp_webauthn.models import WebAuthnCredential

from checklist.models import Environment, SignOff
from checklist.signoff import declare_ready
from portal.mfa import confirm_enrolment, start_enrolment
from portal.models import User
from tests.checklist.helpers import ready_for_test
from tests.conftest import PASSWORD, World
from tests.portal.enrolment import open_enrolment_link
from tests.portal.soft_authenticator import SoftAuthenticator, b64url

SLUG = "musterstadt-gewerbe"
HOST = "localhost:8000"  # the origin passkeys belong to (PORTAL_BASE_URL's default, as localhost)
FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"
)


@pytest.fixture
def required(settings: Any) -> None:
    settings.MFA_REQUIRED = True


def browser() -> Client:
    return Client(HTTP_HOST=HOST, HTTP_USER_AGENT=FIREFOX_ON_WINDOWS)


def post_json(client: Client, name: str, body: Any = None, query: str = "") -> Any:
    return client.post(
        reverse(name) + query, json.dumps(body or {}), content_type="application/json"
    )


def add_passkey(client: Client, authenticator: SoftAuthenticator) -> Any:
    options = post_json(client, "passkey_register_begin").json()
    return post_json(client, "passkey_register_complete", authenticator.create(options))


def confirm(client: Client, authenticator: SoftAuthenticator, **options: Any) -> Any:
    challenge = post_json(client, "passkey_verify_begin").json()
    return post_json(client, "passkey_verify_complete", authenticator.get(challenge, **options))


def with_passkey(user: User, **options: Any) -> SoftAuthenticator:
    """Give the user a passkey (and recovery codes) as the set-up page would."""
    authenticator = SoftAuthenticator(**options)
    client = browser()
    client.force_login(user)
    if settings.MFA_REQUIRED:
        open_enrolment_link(client)
    assert add_passkey(client, authenticator).status_code == 200
    return authenticator


def signed_in(user: User, authenticator: SoftAuthenticator) -> Client:
    """Sign in with password and passkey."""
    client = browser()
    password_step(client, user.email)
    assert confirm(client, authenticator).status_code == 200
    return client


def password_step(client: Client, email: str, next_url: str = "") -> None:
    url = reverse("login") + (f"?next={next_url}" if next_url else "")
    response = client.post(url, {"username": email, "password": PASSWORD})
    assert response["Location"] == reverse("login_second_factor")


def test_a_first_passkey_brings_recovery_codes_shown_once(world: World) -> None:
    anna = browser()
    anna.force_login(world.authority_admin)
    page = anna.get(reverse("mfa_setup")).content.decode()
    assert "Passkey / Sicherheitsschlüssel" in page
    assert 'id="passkey-register-button"' in page
    assert 'id="otp_webauthn_config" type="application/json"' in page

    options = post_json(anna, "passkey_register_begin").json()
    assert options["rp"] == {"id": "localhost", "name": "FIT-Connect Anbindungsportal"}
    assert options["user"]["name"] == "anna@musterstadt.example"
    done = post_json(anna, "passkey_register_complete", SoftAuthenticator().create(options))
    assert done.json()["redirect_url"] == reverse("mfa_recovery_codes")

    codes = anna.get(reverse("mfa_recovery_codes")).content.decode()
    assert "Ihr Passkey wurde hinzugefügt" in codes
    assert len(re.findall(r"<li><code>[a-z0-9]{8}</code></li>", codes)) == 10
    # Shown once: the next visit goes to the overview of the second factors.
    assert anna.get(reverse("mfa_recovery_codes"))["Location"] == reverse("mfa_setup")
    page = anna.get(reverse("mfa_setup")).content.decode()
    assert "Passkey (Firefox, Windows)" in page
    assert "10 Wiederherstellungscodes sind noch übrig" in page
    credential = WebAuthnCredential.objects.get(user=world.authority_admin)
    for internal in (
        credential.credential_id_sha256,
        credential.aaguid,
        b64url(credential.credential_id),
    ):
        assert internal not in page


def test_a_second_passkey_needs_a_confirmed_session_and_keeps_the_codes(world: World) -> None:
    authenticator = with_passkey(world.authority_admin)
    codes = set(StaticToken.objects.values_list("token", flat=True))
    anna = browser()
    anna.force_login(world.authority_admin)  # a session without the second factor
    refused = post_json(anna, "passkey_register_begin")
    assert refused.status_code == 403
    assert "zuerst mit Ihrem zweiten Faktor" in refused.json()["detail"]

    anna = signed_in(world.authority_admin, authenticator)
    done = add_passkey(anna, SoftAuthenticator(transports=["usb"]))
    assert done.json()["redirect_url"] == reverse("mfa_setup")
    page = anna.get(reverse("mfa_setup")).content.decode()
    assert "Sicherheitsschlüssel (Firefox, Windows) wurde hinzugefügt." in page
    assert "Ihre 2 Passkeys" in page
    assert set(StaticToken.objects.values_list("token", flat=True)) == codes


def test_signing_in_with_password_and_passkey(world: World, required: None) -> None:
    authenticator = with_passkey(world.authority_admin)
    anna = browser()
    password_step(anna, "anna@musterstadt.example", next_url="/vorhaben/")
    assert anna.get(reverse("overview")).status_code == 302  # the password alone is not enough
    page = anna.get(reverse("login_second_factor")).content.decode()
    assert "Mit Passkey bestätigen" in page
    assert "Wiederherstellungscode" in page  # no app: the field takes recovery codes
    session_before = anna.cookies["sessionid"].value

    challenge = post_json(anna, "passkey_verify_begin").json()
    allowed = [c["id"] for c in challenge["allowCredentials"]]
    assert allowed == [b64url(authenticator.credential_id)]
    # The page's own "next" is ignored: the address was checked at the password step.
    done = post_json(
        anna, "passkey_verify_complete", authenticator.get(challenge), "?next=https://evil.example/"
    )
    assert done.status_code == 200
    assert done.json()["redirect_url"] == "/vorhaben/"
    assert anna.cookies["sessionid"].value != session_before  # a new session, as after a code
    # Signed in with a second factor: an administrator is not sent to set one up.
    assert anna.get(reverse("overview")).status_code == 200
    assert WebAuthnCredential.objects.get().last_used_at is not None


def test_a_passkey_sign_in_expires_with_the_password_step(world: World) -> None:
    authenticator = with_passkey(world.authority_staff)
    bernd = browser()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        password_step(bernd, "bernd@musterstadt.example")
        challenge = post_json(bernd, "passkey_verify_begin").json()
        traveller.shift(timedelta(minutes=6))
        late = post_json(bernd, "passkey_verify_complete", authenticator.get(challenge))
    assert late.status_code == 403
    assert (
        late.json()["detail"] == "Ihre Anmeldung ist abgelaufen. Bitte melden Sie sich erneut an."
    )
    assert bernd.get(reverse("overview")).status_code == 302


def test_another_persons_passkey_or_a_forged_answer_signs_nobody_in(world: World) -> None:
    with_passkey(world.authority_admin)
    bernds = with_passkey(world.authority_staff)
    anna = browser()
    password_step(anna, "anna@musterstadt.example")
    foreign = confirm(anna, bernds)
    assert foreign.status_code == 403
    assert "gehört zu einem anderen Konto" in foreign.json()["detail"]
    assert anna.get(reverse("overview")).status_code == 302

    bernd = browser()
    password_step(bernd, "bernd@musterstadt.example")
    forged = confirm(bernd, bernds, tamper=True)  # signed for another challenge
    assert forged.status_code == 422
    assert forged.json()["detail"] == (
        "Der Passkey konnte nicht geprüft werden. Bitte versuchen Sie es noch einmal oder "
        "verwenden Sie stattdessen einen Code."
    )
    # The challenge is used up: the same answer again is refused, too.
    assert post_json(bernd, "passkey_verify_complete", {}).status_code == 400
    assert bernd.get(reverse("overview")).status_code == 302


def test_a_recovery_code_still_signs_in_a_passkey_only_account(world: World) -> None:
    with_passkey(world.authority_staff)
    codes = list(StaticToken.objects.values_list("token", flat=True))
    bernd = browser()
    password_step(bernd, "bernd@musterstadt.example")
    wrong = bernd.post(reverse("login_second_factor"), {"code": "123456"}).content.decode()
    assert "Wiederherstellungscode: Dieser Wiederherstellungscode ist nicht richtig" in wrong
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):  # after the pause
        done = bernd.post(reverse("login_second_factor"), {"code": codes[0]}, follow=True)
    assert "mit einem Wiederherstellungscode angemeldet; 9 sind noch übrig" in (
        done.content.decode()
    )


def test_a_successful_passkey_sign_in_clears_failed_passwords(world: World) -> None:
    authenticator = with_passkey(world.authority_staff)
    bernd = browser()
    for _ in range(3):
        bernd.post(reverse("login"), {"username": "bernd@musterstadt.example", "password": "x"})
    assert AccessAttempt.objects.filter(username="bernd@musterstadt.example").exists()
    password_step(bernd, "bernd@musterstadt.example")
    assert confirm(bernd, authenticator).status_code == 200
    assert not AccessAttempt.objects.filter(username="bernd@musterstadt.example").exists()


def test_a_session_without_the_second_factor_is_confirmed_with_the_passkey(
    world: World, required: None
) -> None:
    ready_for_test(world.onboarding, world.provider_staff)
    declare_ready(world.onboarding, Environment.TEST, world.provider_staff)
    authenticator = with_passkey(world.authority_staff)
    bernd = browser()
    bernd.force_login(world.authority_staff)  # a session started before the passkey existed
    url = reverse("signoff_approve", args=[SLUG, "test"])
    assert bernd.post(url)["Location"] == reverse("mfa_setup")
    page = bernd.get(reverse("mfa_setup")).content.decode()
    assert "Mit dem zweiten Faktor bestätigen" in page
    assert 'id="passkey-verification-button"' in page
    done = confirm(bernd, authenticator)
    assert done.json()["redirect_url"] == reverse("mfa_setup")
    page = bernd.get(reverse("mfa_setup")).content.decode()
    assert "Ihre Eingaben sind erhalten" in page
    bernd.post(url, {"mfa_resume": "1"})
    assert SignOff.objects.get().state == SignOff.State.APPROVED


def test_adding_the_app_beside_a_passkey_keeps_the_recovery_codes(world: World) -> None:
    with_passkey(world.authority_staff)
    before = set(StaticToken.objects.values_list("token", flat=True))
    device = start_enrolment(world.authority_staff)
    assert confirm_enrolment(device) == []
    assert set(StaticToken.objects.values_list("token", flat=True)) == before


def test_removing_a_passkey_asks_first_and_never_removes_the_last_factor(world: World) -> None:
    authenticator = with_passkey(world.authority_staff)
    only = WebAuthnCredential.objects.get()
    bernd = signed_in(world.authority_staff, authenticator)
    page = bernd.get(reverse("passkey_remove", args=[only.pk])).content.decode()
    assert "einzige zweite Faktor Ihres Kontos" in page
    assert "Passkey entfernen</span></button>" not in page
    refused = bernd.post(reverse("passkey_remove", args=[only.pk]), follow=True)
    assert "einzige zweite Faktor Ihres Kontos" in refused.content.decode()
    assert WebAuthnCredential.objects.filter(pk=only.pk).exists()

    add_passkey(bernd, SoftAuthenticator(transports=["usb"]))
    page = bernd.get(reverse("passkey_remove", args=[only.pk])).content.decode()
    assert '<h1 class="kern-heading-large">Passkey (Firefox, Windows) entfernen?</h1>' in page
    assert "hinzugefügt am" in page
    done = bernd.post(reverse("passkey_remove", args=[only.pk]), follow=True).content.decode()
    assert "Passkey (Firefox, Windows) wurde entfernt." in done
    # It had confirmed this session, so the session is asked to confirm again.
    assert "bitte bestätigen Sie sie noch einmal" in done
    assert list(WebAuthnCredential.objects.values_list("transports", flat=True)) == [["usb"]]


def test_nobody_reaches_another_persons_passkey(world: World) -> None:
    with_passkey(world.authority_staff)
    bernds = WebAuthnCredential.objects.get()
    anna = signed_in(world.authority_admin, with_passkey(world.authority_admin))
    for method in (anna.get, anna.post):
        assert method(reverse("passkey_remove", args=[bernds.pk])).status_code == 404
    assert WebAuthnCredential.objects.filter(pk=bernds.pk).exists()


@pytest.mark.parametrize(
    "body",
    [
        "[" * 5000 + "]" * 5000,
        '"a passkey"',
        '{"id": 5, "response": []}',
        '{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {"clientDataJSON": 1}}',
        "\udcff".encode("utf-8", "surrogateescape").decode("latin-1"),
        "{" + '"x": 1,' * 20_000 + '"y": 2}',
    ],
)
def test_malformed_answers_get_a_message_never_a_server_error(world: World, body: str) -> None:
    with_passkey(world.authority_staff)
    waiting = browser()
    password_step(waiting, "bernd@musterstadt.example")
    signed_in_only = browser()
    signed_in_only.force_login(world.provider_staff)
    for client, name in [
        (waiting, "passkey_verify_begin"),
        (waiting, "passkey_verify_complete"),
        (signed_in_only, "passkey_register_begin"),
        (signed_in_only, "passkey_register_complete"),
        (browser(), "passkey_verify_complete"),
    ]:
        response = client.post(reverse(name), body, content_type="application/json")
        assert response.status_code in (200, 400, 403, 422), (name, response.status_code)
        if response.status_code != 200:
            detail = response.json()["detail"]
            assert "Bitte" in detail  # one of the portal's plain German messages
            assert "{" not in detail
    assert waiting.get(reverse("overview")).status_code == 302


def test_passkeys_are_offered_only_at_the_address_they_belong_to(world: World) -> None:
    with_passkey(world.authority_staff)
    elsewhere = Client(HTTP_HOST="127.0.0.1:8000")
    password_step(elsewhere, "bernd@musterstadt.example")
    page = elsewhere.get(reverse("login_second_factor")).content.decode()
    assert "öffnen Sie das Portal unter http://localhost:8000" in page
    assert "passkey-verification-button" not in page
    assert 'id="id_code"' in page  # the recovery codes still work here


def test_an_operator_resets_a_lost_passkey_in_the_admin(world: World) -> None:
    with_passkey(world.authority_staff)
    credential = WebAuthnCredential.objects.get()
    petra = Client()
    petra.force_login(world.site_operator)
    listing = petra.get(reverse("admin:django_otp_webauthn_webauthncredential_changelist"))
    assert str(world.authority_staff) in listing.content.decode()
    url = reverse("admin:django_otp_webauthn_webauthncredential_delete", args=[credential.pk])
    petra.post(url, {"post": "yes"})
    assert not WebAuthnCredential.objects.exists()
    # Without a passkey (or app) the password signs in again; a new factor can be set up.
    bernd = browser()
    response = bernd.post(
        reverse("login"), {"username": "bernd@musterstadt.example", "password": PASSWORD}
    )
    assert response["Location"] == reverse("home")


def test_the_scripts_messages_follow_the_language_of_the_page(db: None) -> None:
    german = Client().get(reverse("passkey_texts")).content.decode()
    assert "Verifizierung abgebrochen oder nicht zugelassen." in german
    english = Client()
    english.cookies["django_language"] = "en"
    page = english.get(reverse("passkey_texts")).content.decode()
    assert "Verifizierung" not in page


def test_the_passkey_steps_stay_within_their_query_budgets(
    world: World, django_assert_max_num_queries: Any
) -> None:
    authenticator = with_passkey(world.authority_admin)
    anna = browser()
    password_step(anna, "anna@musterstadt.example")
    with django_assert_max_num_queries(5):
        anna.get(reverse("login_second_factor"))
    with django_assert_max_num_queries(7):
        challenge = post_json(anna, "passkey_verify_begin").json()
    answer = authenticator.get(challenge)
    # Signing in with a code from the app takes 21 (session, axes, last login, device).
    with django_assert_max_num_queries(23):
        assert post_json(anna, "passkey_verify_complete", answer).status_code == 200
    with django_assert_max_num_queries(11):
        anna.get(reverse("mfa_setup"))
