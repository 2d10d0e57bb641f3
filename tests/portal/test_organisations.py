"""Home page, switching between organisations and managing members."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from portal.access import SESSION_KEY
from portal.models import Membership
from tests.conftest import World, make_user


def test_home_explains_the_five_steps_when_there_is_no_onboarding_yet(
    world: World, client_for: Any
) -> None:
    html = client_for("outsider").get(reverse("home")).content.decode()
    for title in [
        "Konzeptionelle Vorüberlegungen",
        "Schnittstellenimplementierung Empfänger",
        "Testen auf der Testumgebung",
        "Testen auf der Referenzumgebung",
        "Produktivsetzung",
    ]:
        assert title in html
    assert "https://docs.fitko.de/fit-connect/" in html
    assert "Landkreis Beispiel" in html
    assert "Stadt Musterstadt" not in html
    assert "Erstes Anbindungsvorhaben anlegen" in html


def test_home_lists_the_onboardings_of_each_organisation(world: World, client_for: Any) -> None:
    html = client_for("provider_staff").get(reverse("home")).content.decode()
    assert reverse("onboarding_detail", args=["musterstadt-gewerbe"]) in html
    assert "Konzeptionelle Vorüberlegungen" not in html


def test_a_person_without_organisation_is_told_how_to_get_access(world: World) -> None:
    client = Client()
    client.force_login(make_user("lose@example.org", "Lea Lose"))
    html = client.get(reverse("home")).content.decode()
    assert "Sie gehören noch zu keiner Organisation" in html


def test_a_person_in_two_organisations_switches_between_them(world: World) -> None:
    Membership.objects.create(user=world.provider_staff, organisation=world.authority)
    client = Client()
    client.force_login(world.provider_staff)
    home = client.get(reverse("home")).content.decode()
    assert 'id="switch-organisation"' in home
    assert home.index("Kommunal-IT GmbH") < home.index("Stadt Musterstadt")

    response = client.post(
        reverse("switch_organisation"),
        {"organisation": world.authority.pk, "next": reverse("imprint")},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("imprint")
    assert client.session[SESSION_KEY] == world.authority.pk
    assert "Sie arbeiten jetzt für Stadt Musterstadt" in response.content.decode()


def test_switching_to_a_foreign_organisation_is_refused(world: World) -> None:
    client = Client()
    client.force_login(world.authority_staff)
    response = client.post(
        reverse("switch_organisation"), {"organisation": world.other_authority.pk}, follow=True
    )
    assert SESSION_KEY not in client.session
    assert "Bitte wählen Sie eine Ihrer Organisationen" in response.content.decode()


def test_switching_ignores_a_redirect_to_another_site(world: World) -> None:
    client = Client()
    client.force_login(world.authority_staff)
    response = client.post(
        reverse("switch_organisation"),
        {"organisation": world.authority.pk, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("home")


def test_admin_removes_a_member_who_then_loses_access(world: World, client_for: Any) -> None:
    membership = Membership.objects.get(user=world.authority_staff)
    response = client_for("authority_admin").post(
        reverse("remove_member", args=[world.authority.pk, membership.pk]), follow=True
    )
    assert "Bernd Beispiel gehört nicht mehr zu Stadt Musterstadt" in response.content.decode()
    former = client_for("authority_staff")
    assert former.get(reverse("organisation_detail", args=[world.authority.pk])).status_code == 404


def test_the_only_administrator_cannot_be_removed(world: World, client_for: Any) -> None:
    own = Membership.objects.get(user=world.authority_admin)
    response = client_for("authority_admin").post(
        reverse("remove_member", args=[world.authority.pk, own.pk]), follow=True
    )
    assert "einzige" in response.content.decode()
    assert Membership.objects.filter(pk=own.pk).exists()


def test_an_admin_cannot_remove_members_of_another_organisation(
    world: World, client_for: Any
) -> None:
    foreign = Membership.objects.get(user=world.outsider)
    response = client_for("authority_admin").post(
        reverse("remove_member", args=[world.authority.pk, foreign.pk])
    )
    assert response.status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_a_second_admin_may_leave(world: World, client_for: Any) -> None:
    second = Membership.objects.get(user=world.authority_staff)
    second.role = Membership.Role.ADMIN
    second.save()
    response = client_for("authority_staff").post(
        reverse("remove_member", args=[world.authority.pk, second.pk])
    )
    assert response["Location"] == reverse("home")
    assert not Membership.objects.filter(pk=second.pk).exists()
