"""Signing in and out, the sign-in rate limit and resetting a forgotten password."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, World


def sign_in(client: Client, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": email, "password": password}, follow=True)


def test_staff_signs_in_with_email_in_any_case_and_sees_their_name(world: World) -> None:
    client = Client()
    response = sign_in(client, "  ANNA@Musterstadt.example ")
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Willkommen, Anna Amtmann" in response.content.decode()


def test_wrong_password_shows_a_german_message_at_the_form(world: World) -> None:
    response = sign_in(Client(), "anna@musterstadt.example", "falsch")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Fehler: Anmelden" in html
    assert "Die E-Mail-Adresse oder das Passwort ist nicht korrekt" in html


def test_sign_in_is_blocked_after_five_failures_even_with_the_right_password(
    world: World,
) -> None:
    client = Client()
    for _ in range(5):
        sign_in(client, "anna@musterstadt.example", "falsch")
    response = sign_in(client, "anna@musterstadt.example")
    assert response.status_code == 429
    assert "Anmeldung vorübergehend gesperrt" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_successful_sign_in_resets_the_failure_count(world: World) -> None:
    client = Client()
    for _ in range(4):
        sign_in(client, "anna@musterstadt.example", "falsch")
    sign_in(client, "anna@musterstadt.example")
    client.post(reverse("logout"))
    for _ in range(4):
        sign_in(client, "anna@musterstadt.example", "falsch")
    assert sign_in(client, "anna@musterstadt.example").status_code == 200


def test_sign_out_ends_the_session(world: World) -> None:
    client = Client()
    sign_in(client, "anna@musterstadt.example")
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_reset_sends_a_link_that_sets_a_new_password(world: World) -> None:
    client = Client()
    response = client.post(reverse("password_reset"), {"email": "anna@musterstadt.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@musterstadt.example"]
    assert "Passwort" in message.subject
    link = re.search(r"http://testserver(/passwort-neu/\S+/)", message.body)
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    assert "Neues Passwort" in form_page.content.decode()
    new_password = "Ganz-neues-Passwort-2026"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
        follow=True,
    )
    assert "Ihr Passwort wurde geändert" in done.content.decode()
    assert sign_in(Client(), "anna@musterstadt.example", new_password).redirect_chain


def test_password_reset_for_an_unknown_address_looks_the_same_but_sends_nothing(
    world: World,
) -> None:
    response = Client().post(reverse("password_reset"), {"email": "niemand@example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []
