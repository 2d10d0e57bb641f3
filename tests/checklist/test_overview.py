"""The overview of many onboardings: pages of 50, filters and search as plain GET links."""

from __future__ import annotations

from datetime import date

from django.test import Client
from django.urls import reverse

from checklist import catalogue, services
from checklist.models import Onboarding
from portal.models import Organisation
from tests.checklist.helpers import signed_off_test
from tests.conftest import World, make_onboarding


def signed_in(world: World, persona: str) -> Client:
    client = Client()
    client.force_login(getattr(world, persona))
    return client


def many(world: World, count: int) -> None:
    for n in range(count):
        make_onboarding(
            world.authority,
            world.provider if n % 2 else None,
            world.authority_admin,
            slug=f"vorhaben-{n:03d}",
            name=f"Vorhaben {n:03d}",
        )


def test_the_overview_shows_fifty_per_page_with_links_to_the_next(world: World) -> None:
    many(world, 60)
    client = signed_in(world, "authority_admin")
    first = client.get(reverse("overview")).content.decode()
    assert "61 Anbindungsvorhaben, angezeigt: 1 bis 50" in first
    assert "Vorhaben 048" in first
    assert "Vorhaben 049" not in first
    assert "Seite 1 von 2" in first
    assert 'href="?page=2"' in first
    second = client.get(reverse("overview"), {"page": "2"}).content.decode()
    assert "Vorhaben 049" in second
    assert "Vorhaben 000" not in second
    # A page number out of range shows the last page instead of an error.
    assert client.get(reverse("overview"), {"page": "99"}).status_code == 200


def test_filters_and_search_narrow_the_list_and_are_kept_in_sort_and_page_links(
    world: World,
) -> None:
    many(world, 6)
    Onboarding.objects.filter(slug="vorhaben-001").update(target_go_live=date(2020, 1, 1))
    client = signed_in(world, "authority_admin")
    in_house = client.get(reverse("overview"), {"provider": "in_house"}).content.decode()
    assert "Vorhaben 000" in in_house
    assert "Vorhaben 001" not in in_house
    overdue = client.get(reverse("overview"), {"overdue": "on"}).content.decode()
    assert "Vorhaben 001" in overdue
    assert "Vorhaben 000" not in overdue
    assert "überfällig" in overdue
    found = client.get(reverse("overview"), {"q": "ben 00", "sort": "-name"}).content.decode()
    assert "Gewerbeanmeldung" not in found
    assert "Vorhaben 005" in found
    assert "q=ben+00&amp;sort=name" in found  # the sort links keep the search
    before = client.get(reverse("overview"), {"go_live_before": "01.01.2021"}).content.decode()
    assert "Vorhaben 001" in before
    assert "Vorhaben 002" not in before


def test_filters_by_current_step_and_sign_off_state(world: World) -> None:
    signed_off_test(world.onboarding, world.provider_staff, world.authority_staff)
    make_onboarding(
        world.authority, world.provider, world.authority_admin, "drittes", "Drittes Vorhaben"
    )
    client = signed_in(world, "authority_admin")
    step = client.get(reverse("overview"), {"step": "1"}).content.decode()
    assert "Drittes Vorhaben" in step
    assert "Gewerbeanmeldung" not in step
    signed = client.get(reverse("overview"), {"signoff": "approved"}).content.decode()
    assert "Gewerbeanmeldung" in signed
    assert "Drittes Vorhaben" not in signed
    # Changing a signed value makes the sign-off invalid: the overview follows at once.
    item = catalogue.load().by_key()["step3.token"]
    services.set_item_done(world.onboarding, item, False, world.provider_staff)
    invalid = client.get(reverse("overview"), {"signoff": "invalid"}).content.decode()
    assert "Gewerbeanmeldung" in invalid
    assert "Abnahme Test ist ungültig" in invalid  # the next action says what to do


def test_a_wrong_date_is_explained_at_the_field(world: World) -> None:
    client = signed_in(world, "authority_admin")
    page = client.get(reverse("overview"), {"go_live_before": "morgen"}).content.decode()
    assert "Bitte geben Sie ein Datum als TT.MM.JJJJ ein" in page
    assert "Gewerbeanmeldung" in page  # the other filters still apply; nothing breaks


def test_a_provider_filters_by_authority(world: World) -> None:
    make_onboarding(world.other_authority, world.provider, world.outsider, "kfz", "Kfz-Zulassung")
    client = signed_in(world, "provider_staff")
    both = client.get(reverse("overview")).content.decode()
    assert "Kfz-Zulassung" in both
    assert "Gewerbeanmeldung" in both
    one = client.get(reverse("overview"), {"authority": world.other_authority.pk}).content.decode()
    assert "Kfz-Zulassung" in one
    assert "Gewerbeanmeldung" not in one


def test_a_site_operator_sees_every_onboarding_and_others_only_their_own(world: World) -> None:
    make_onboarding(world.other_authority, None, world.outsider, "kfz", "Kfz-Zulassung")
    operator = signed_in(world, "site_operator").get(reverse("overview")).content.decode()
    assert "Kfz-Zulassung" in operator
    assert "Gewerbeanmeldung" in operator
    admin = signed_in(world, "authority_admin").get(reverse("overview")).content.decode()
    assert "Kfz-Zulassung" not in admin
    # The authority filter offers only organisations the person may see.
    assert Organisation.objects.get(pk=world.other_authority.pk).name not in admin
