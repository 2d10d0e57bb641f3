"""Inviting colleagues: single-use links that expire, and existing users added directly."""

from __future__ import annotations

import re
from datetime import timedelta
from smtplib import SMTPServerDisconnected
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import Invitation, Membership, User, hash_token
from tests.conftest import World

NEW_PASSWORD = "Neues-Konto-Passwort-2026"


def invite(client: Client, world: World, email: str, role: str = "staff"):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("invite", args=[world.authority.pk]), {"email": email, "role": role}, follow=True
    )


def link_from_mail() -> str:
    match = re.search(r"http://testserver(/einladung/[^/\s]+/)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


@pytest.fixture
def admin_client(world: World, client_for: Any) -> Client:
    return client_for("authority_admin")  # type: ignore[no-any-return]


def test_admin_invites_a_new_person_who_sets_a_password_and_joins(
    world: World, admin_client: Client
) -> None:
    response = invite(admin_client, world, "Neu@Musterstadt.example", role="admin")
    assert "Die Einladung wurde an neu@musterstadt.example gesendet" in response.content.decode()
    assert mail.outbox[0].to == ["neu@musterstadt.example"]
    assert "Stadt Musterstadt" in mail.outbox[0].subject
    link = link_from_mail()

    invitee = Client()
    page = invitee.get(link)
    assert page.status_code == 200
    assert "neu@musterstadt.example" in page.content.decode()
    response = invitee.post(
        link,
        {"full_name": "Nora Neu", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Willkommen, Nora Neu" in response.content.decode()
    user = User.objects.get(email="neu@musterstadt.example")
    assert user.check_password(NEW_PASSWORD)
    membership = Membership.objects.get(user=user)
    assert (membership.organisation, membership.role) == (world.authority, "admin")


def test_only_a_hash_of_the_token_is_stored(world: World, admin_client: Client) -> None:
    invite(admin_client, world, "neu@musterstadt.example")
    token = link_from_mail().split("/")[2]
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hash_token(token)
    assert token not in invitation.token_hash


def test_the_link_works_only_once(world: World, admin_client: Client) -> None:
    invite(admin_client, world, "neu@musterstadt.example")
    link = link_from_mail()
    Client().post(
        link, {"full_name": "Nora Neu", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    again = Client().get(link)
    assert again.status_code == 404
    assert "Dieser Einladungslink ist ungültig" in again.content.decode()


def test_the_link_expires_after_seven_days(world: World, admin_client: Client) -> None:
    invite(admin_client, world, "neu@musterstadt.example")
    link = link_from_mail()
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        assert Client().get(link).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = Client().post(
            link, {"full_name": "Zu Spät", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )
        assert response.status_code == 404
    assert not User.objects.filter(email="neu@musterstadt.example").exists()


def test_mismatched_or_weak_passwords_are_explained_at_the_field(
    world: World, admin_client: Client
) -> None:
    invite(admin_client, world, "neu@musterstadt.example")
    link = link_from_mail()
    response = Client().post(
        link, {"full_name": "Nora Neu", "password1": NEW_PASSWORD, "password2": "anders"}
    )
    html = response.content.decode()
    assert "Die beiden Passwörter stimmen nicht überein" in html
    assert 'id="id_password2_error"' in html
    assert 'aria-describedby="id_password2_error"' in html
    weak = Client().post(
        link, {"full_name": "Nora Neu", "password1": "12345", "password2": "12345"}
    )
    assert "Dieses Passwort ist zu kurz" in weak.content.decode()
    assert not User.objects.filter(email="neu@musterstadt.example").exists()
    assert Invitation.objects.get().accepted_at is None


def _message(response: Any) -> str:
    match = re.search(r'kern-title--small">([^<]*)<', response.content.decode())
    assert match, "no message shown"
    return match.group(1)


def test_inviting_an_existing_account_waits_for_the_person_to_accept(
    world: World, admin_client: Client
) -> None:
    known = invite(admin_client, world, "clara@kommunal-it.example")
    unknown = invite(admin_client, world, "niemand@musterstadt.example")
    # The same answer for both: the page does not disclose that Clara has an account.
    assert _message(known) == "Die Einladung wurde an clara@kommunal-it.example gesendet."
    assert _message(unknown) == "Die Einladung wurde an niemand@musterstadt.example gesendet."
    assert not Membership.objects.filter(
        user=world.provider_staff, organisation=world.authority
    ).exists()
    invitation_mail = next(m for m in mail.outbox if m.to == ["clara@kommunal-it.example"])
    assert "bereits ein Konto" in invitation_mail.body
    link = re.search(r"http://testserver(/einladung/[^/\s]+/)", invitation_mail.body)
    assert link

    clara = Client()
    clara.force_login(world.provider_staff)
    page = clara.get(link.group(1))
    assert "Einladung annehmen" in page.content.decode()
    clara.post(link.group(1))
    assert Membership.objects.filter(
        user=world.provider_staff, organisation=world.authority, role="staff"
    ).exists()


def test_inviting_a_member_again_is_refused_at_the_field(
    world: World, admin_client: Client
) -> None:
    response = invite(admin_client, world, "bernd@musterstadt.example")
    html = response.content.decode()
    assert "Diese Person ist bereits Mitglied von Stadt Musterstadt" in html
    assert "<title>Fehler:" in html
    assert 'href="#id_email"' in html  # the error summary links to the field
    assert mail.outbox == []


def test_an_invalid_address_is_refused_and_nothing_is_saved(
    world: World, admin_client: Client
) -> None:
    response = invite(admin_client, world, "keine-adresse")
    assert (
        "Bitte geben Sie eine gültige E-Mail-Adresse ein, zum Beispiel name@behoerde.de"
        in response.content.decode()
    )
    assert not Invitation.objects.exists()


def test_a_new_invitation_replaces_the_open_one(world: World, admin_client: Client) -> None:
    invite(admin_client, world, "neu@musterstadt.example")
    first = link_from_mail()
    invite(admin_client, world, "neu@musterstadt.example")
    second = link_from_mail()
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    assert Invitation.objects.open().count() == 1


def test_a_withdrawn_invitation_cannot_be_used(world: World, admin_client: Client) -> None:
    invite(admin_client, world, "neu@musterstadt.example")
    link = link_from_mail()
    invitation = Invitation.objects.get()
    response = admin_client.post(
        reverse("revoke_invitation", args=[world.authority.pk, invitation.pk]), follow=True
    )
    assert "wurde zurückgezogen" in response.content.decode()
    assert Client().get(link).status_code == 404


def test_staff_cannot_invite(world: World, client_for: Any) -> None:
    response = invite(client_for("authority_staff"), world, "neu@musterstadt.example")
    assert response.status_code == 404
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_staff_does_not_see_the_invitation_form(world: World, client_for: Any) -> None:
    page = client_for("authority_staff").get(
        reverse("organisation_detail", args=[world.authority.pk])
    )
    html = page.content.decode()
    assert "Bernd Beispiel" in html
    assert "Einladung senden" not in html
    admin_page = client_for("authority_admin").get(
        reverse("organisation_detail", args=[world.authority.pk])
    )
    assert "Einladung senden" in admin_page.content.decode()


class BrokenMailServer(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        raise SMTPServerDisconnected("connection lost")


def test_when_mail_cannot_be_sent_nobody_is_invited_and_the_input_stays(
    world: World, admin_client: Client, settings: Any
) -> None:
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.BrokenMailServer"}}
    response = admin_client.post(
        reverse("invite", args=[world.authority.pk]),
        {"email": "neu@musterstadt.example", "role": "staff"},
    )
    html = response.content.decode()
    assert response.status_code == 503
    assert "Die E-Mail konnte nicht gesendet werden" in html
    assert 'value="neu@musterstadt.example"' in html
    assert not Invitation.objects.exists()


def test_an_existing_user_must_sign_in_to_accept(world: World) -> None:
    _, token = Invitation.create(
        organisation=world.authority,
        email="clara@kommunal-it.example",
        role="staff",
        invited_by=world.authority_admin,
    )
    link = reverse("accept_invitation", args=[token])
    anonymous = Client().get(link)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))

    other = Client()
    other.force_login(world.authority_staff)
    assert other.get(link).status_code == 403

    clara = Client()
    clara.force_login(world.provider_staff)
    assert clara.get(link).status_code == 200
    clara.post(link)
    assert Membership.objects.filter(
        user=world.provider_staff, organisation=world.authority
    ).exists()
    assert Client().get(link).status_code == 404
