"""The provider's side: authorities invite their IT service provider, roles change."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.urls import reverse

from portal.models import Invitation, Membership, Organisation, Partnership
from tests.conftest import World


def test_inviting_an_unknown_provider_creates_it_with_the_contact_as_admin(
    world: World, client_for: Any
) -> None:
    response = client_for("authority_admin").post(
        reverse("invite_provider", args=[world.authority.pk]),
        {"provider-email": "Leitung@Neue-IT.example", "provider-name": "Neue IT GmbH"},
        follow=True,
    )
    assert "Neue IT GmbH wurde angelegt" in response.content.decode()
    provider = Organisation.objects.get(name="Neue IT GmbH")
    assert provider.kind == Organisation.Kind.PROVIDER
    assert Partnership.objects.filter(authority=world.authority, provider=provider).exists()
    invitation = Invitation.objects.get(organisation=provider)
    assert (invitation.email, invitation.role) == ("leitung@neue-it.example", "admin")
    [message] = mail.outbox
    assert "als Administrator:in von Neue IT GmbH" in message.body
    # The authority's own membership list is untouched.
    assert not Invitation.objects.filter(organisation=world.authority).exists()


def test_inviting_a_known_providers_person_links_that_provider(
    world: World, client_for: Any
) -> None:
    other = Organisation.objects.create(name="Land-IT", slug="land-it", kind="authority")
    Membership.objects.create(user=world.outsider, organisation=other, role="admin")
    response = client_for("outsider").post(
        reverse("invite_provider", args=[other.pk]),
        {"provider-email": "clara@kommunal-it.example"},
        follow=True,
    )
    assert "Kommunal-IT GmbH ist jetzt als IT-Dienstleister" in response.content.decode()
    assert Partnership.objects.filter(authority=other, provider=world.provider).exists()
    assert Organisation.objects.filter(kind="provider").count() == 1
    # nobody is added anywhere without consent
    assert not Membership.objects.filter(user=world.provider_staff, organisation=other).exists()


def test_a_new_provider_needs_a_name_that_is_not_taken(world: World, client_for: Any) -> None:
    client = client_for("authority_admin")
    url = reverse("invite_provider", args=[world.authority.pk])
    missing = client.post(url, {"provider-email": "neu@it.example"}).content.decode()
    assert "Bitte geben Sie den Namen des IT-Dienstleisters ein" in missing
    taken = client.post(
        url, {"provider-email": "neu@it.example", "provider-name": "kommunal-it gmbh"}
    )
    assert "Eine Organisation mit diesem Namen gibt es bereits" in taken.content.decode()
    assert Organisation.objects.count() == 3
    assert mail.outbox == []


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
