"""The provider's side: authorities invite their IT service provider, roles change."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse

from portal.models import Invitation, Membership, Organisation, Partnership
from portal.partnership_requests import PartnershipRequest
from tests.conftest import World, make_user

NEW_PASSWORD = "Ein-neues-Passwort-2026"
# What differs between any two pages: nonces, form tokens, the session's seconds left.
VARYING = r'(nonce|value|data-session-seconds)="[^"]*"|"x-csrftoken": "[^"]*"'
INVITE = {"provider-email": "", "provider-name": "Neue IT GmbH"}


def _invite(client: Client, authority: Organisation, email: str) -> tuple[int, str, str]:
    """Invite the address; return the status, the message and the page (without the
    address and what varies between any two pages)."""
    url = reverse("invite_provider", args=[authority.pk])
    with transaction.atomic():
        first = client.post(url, {**INVITE, "provider-email": email})
        page = client.get(first["Location"]).content.decode()
        transaction.set_rollback(True)
    page = re.sub(VARYING, "", page.replace(email, "ADDRESS"))
    message = re.search(r"Die Einladung wurde an .*?verbunden\.", page)
    return first.status_code, message.group(0) if message else "", page


def test_the_authority_hears_the_same_for_a_known_and_an_unknown_address(
    world: World, client_for: Any
) -> None:
    Membership.objects.update_or_create(
        user=world.outsider, organisation=world.other_authority, defaults={"role": "admin"}
    )
    client = client_for("outsider")
    # Clara works for the provider; the other address is nobody's.
    known = _invite(client, world.other_authority, "clara@kommunal-it.example")
    unknown = _invite(client, world.other_authority, "niemand@unbekannt.example")
    assert known == unknown
    # Also where the provider works with the authority already.
    admin = client_for("authority_admin")
    linked = _invite(admin, world.authority, "clara@kommunal-it.example")
    assert linked == _invite(admin, world.authority, "niemand@unbekannt.example")
    status, message, page = known
    assert status == 302
    assert message == (
        "Die Einladung wurde an ADDRESS gesendet. Sobald der Dienstleister sie annimmt, ist "
        "er mit Landkreis Beispiel verbunden."
    )
    assert "Kommunal-IT" not in page
    assert "ADDRESS, eingeladen am" in page  # pending, without the provider's name


def test_the_authority_hears_the_same_for_a_known_and_an_unknown_address_at_errors(
    world: World, client_for: Any
) -> None:
    client = client_for("authority_admin")
    url = reverse("invite_provider", args=[world.authority.pk])
    pages = []
    for email in ("clara@kommunal-it.example", "niemand@unbekannt.example"):
        response = client.post(url, {"provider-email": email})
        page = response.content.decode().replace(email, "ADDRESS")
        page = re.sub(VARYING, "", page)
        pages.append((response.status_code, page))
    assert pages[0] == pages[1]
    assert "Bitte geben Sie den Namen des IT-Dienstleisters ein" in pages[0][1]


def test_a_known_provider_is_linked_only_when_its_administrator_accepts(
    world: World, client_for: Any
) -> None:
    lead = make_user("leitung@kommunal-it.example", "Lea Leitung")
    Membership.objects.create(user=lead, organisation=world.provider, role="admin")
    other = world.other_authority
    Membership.objects.update_or_create(
        user=world.outsider, organisation=other, defaults={"role": "admin"}
    )
    client_for("outsider").post(
        reverse("invite_provider", args=[other.pk]),
        {"provider-email": "clara@kommunal-it.example", "provider-name": "egal"},
    )
    assert not Partnership.objects.filter(authority=other, provider=world.provider).exists()
    assert Organisation.objects.filter(kind="provider").count() == 1
    [message] = mail.outbox
    assert message.to == ["leitung@kommunal-it.example"]
    assert "Landkreis Beispiel" in message.subject
    assert "nehmen Sie die Anfrage" in message.body
    pending = PartnershipRequest.objects.get(authority=other)
    accept = reverse("accept_partnership_request", args=[world.provider.pk, pending.pk])
    # Staff of the provider, the authority and strangers cannot accept.
    assert client_for("provider_staff").post(accept).status_code == 404
    assert client_for("outsider").post(accept).status_code == 404
    assert not Partnership.objects.filter(authority=other, provider=world.provider).exists()

    lead_client = Client()
    lead_client.force_login(lead)
    page = lead_client.get(reverse("organisation_detail", args=[world.provider.pk]))
    assert "Landkreis Beispiel (eingeladen von" in page.content.decode()
    answer = lead_client.post(accept, follow=True)
    assert "Sie arbeiten jetzt mit Landkreis Beispiel" in answer.content.decode()
    assert Partnership.objects.filter(authority=other, provider=world.provider).exists()
    served = lead_client.get(reverse("organisation_detail", args=[world.provider.pk]))
    assert "<li>Landkreis Beispiel</li>" in served.content.decode()
    # Answered: the request is gone from both pages.
    authority_page = client_for("outsider").get(reverse("organisation_detail", args=[other.pk]))
    assert "clara@kommunal-it.example" not in authority_page.content.decode()
    assert lead_client.post(accept).status_code == 404


def test_a_known_provider_may_decline(world: World, client_for: Any) -> None:
    lead = make_user("leitung@kommunal-it.example", "Lea Leitung")
    Membership.objects.create(user=lead, organisation=world.provider, role="admin")
    Membership.objects.update_or_create(
        user=world.outsider, organisation=world.other_authority, defaults={"role": "admin"}
    )
    client_for("outsider").post(
        reverse("invite_provider", args=[world.other_authority.pk]),
        {"provider-email": "clara@kommunal-it.example", "provider-name": "egal"},
    )
    pending = PartnershipRequest.objects.get()
    lead_client = Client()
    lead_client.force_login(lead)
    answer = lead_client.post(
        reverse("decline_partnership_request", args=[world.provider.pk, pending.pk]),
        follow=True,
    )
    assert "Sie haben die Anfrage von Landkreis Beispiel abgelehnt" in answer.content.decode()
    assert not Partnership.objects.filter(authority=world.other_authority).exists()
    accept = reverse("accept_partnership_request", args=[world.provider.pk, pending.pk])
    assert lead_client.post(accept).status_code == 404


def test_a_new_provider_is_linked_when_its_invited_contact_accepts(
    world: World, client_for: Any
) -> None:
    client_for("authority_admin").post(
        reverse("invite_provider", args=[world.authority.pk]),
        {"provider-email": "Leitung@Neue-IT.example", "provider-name": "Neue IT GmbH"},
    )
    provider = Organisation.objects.get(name="Neue IT GmbH")
    assert provider.kind == Organisation.Kind.PROVIDER
    assert not Partnership.objects.filter(authority=world.authority, provider=provider).exists()
    invitation = Invitation.objects.get(organisation=provider)
    assert (invitation.email, invitation.role) == ("leitung@neue-it.example", "admin")
    [message] = mail.outbox
    assert "als Administrator:in von Neue IT GmbH" in message.body
    # The authority's own membership list is untouched.
    assert not Invitation.objects.filter(organisation=world.authority).exists()
    link = re.search(r"http://testserver(/einladung/[^/\s]+/)", message.body)
    assert link is not None
    Client().post(
        link.group(1),
        {"full_name": "Nora Neu", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert Partnership.objects.filter(authority=world.authority, provider=provider).exists()


def test_a_taken_name_gives_the_new_provider_a_number(world: World, client_for: Any) -> None:
    client_for("authority_admin").post(
        reverse("invite_provider", args=[world.authority.pk]),
        {"provider-email": "neu@it.example", "provider-name": "kommunal-it gmbh"},
    )
    assert Organisation.objects.filter(name="kommunal-it gmbh (2)", kind="provider").exists()


def test_the_provider_sees_the_authorities_it_serves(world: World, client_for: Any) -> None:
    html = client_for("provider_staff").get(reverse("served_authorities")).content.decode()
    assert "Stadt Musterstadt" in html
    assert reverse("onboarding_detail", args=["musterstadt-gewerbe"]) in html
    assert "Landkreis Beispiel" not in html


def test_admins_change_roles_but_never_remove_the_last_admin(world: World, client_for: Any) -> None:
    client = client_for("authority_admin")
    bernd = Membership.objects.get(user=world.authority_staff)
    anna = Membership.objects.get(user=world.authority_admin)
    refused = client.post(
        reverse("change_role", args=[world.authority.pk, anna.pk]), {"role": "staff"}, follow=True
    )
    assert "die einzige Administrator:in" in refused.content.decode()
    anna.refresh_from_db()
    assert anna.role == "admin"
    client.post(reverse("change_role", args=[world.authority.pk, bernd.pk]), {"role": "admin"})
    bernd.refresh_from_db()
    assert bernd.role == "admin"
    # staff cannot change roles
    assert (
        client_for("provider_staff")
        .post(reverse("change_role", args=[world.authority.pk, bernd.pk]), {"role": "staff"})
        .status_code
        == 404
    )
