"""The overview of a coordination office: region, authority and provider searched by text,
in the address like every filter; its statements do not grow with the onboardings."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import Organisation
from tests.conftest import World, make_onboarding

NOT_COUNTED = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")
COORDINATOR_OVERVIEW_BUDGET = 6


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _authority(name: str, slug: str, ars: str) -> Organisation:
    return Organisation.objects.create(name=name, slug=slug, kind="authority", ars=ars)


def test_region_authority_and_provider_are_search_fields_not_selects(world: World) -> None:
    darmstadt = _authority("Stadt Darmstadt", "darmstadt", "064110000000")
    make_onboarding(darmstadt, None, world.authority_admin, "darmstadt-kfz", "Kfz Darmstadt")
    client = signed_in(world.coordinator)
    html = client.get(reverse("overview")).content.decode()
    assert 'name="region"' in html
    assert 'name="authority_name"' in html
    # No select listing every authority or provider of the area.
    assert 'name="authority"' not in html
    assert 'name="provider"' not in html

    def listed(**query: str) -> str:
        return client.get(reverse("overview"), query).content.decode()

    kreis = listed(region="06411")
    assert "Kfz Darmstadt" in kreis
    assert "Gewerbeanmeldung" not in kreis
    by_name = listed(authority_name="muster")
    assert "Gewerbeanmeldung" in by_name
    assert "Kfz Darmstadt" not in by_name
    by_provider = listed(provider_name="Kommunal")
    assert "Gewerbeanmeldung" in by_provider
    assert "Kfz Darmstadt" not in by_provider
    in_house = listed(provider_name="in Eigenregie")
    assert "Kfz Darmstadt" in in_house
    assert "Gewerbeanmeldung" not in in_house
    # The filters stay in the links of the sort columns.
    assert "region=06411&amp;sort=" in kreis


def test_a_wrong_region_is_named_in_german_at_the_field(world: World) -> None:
    html = signed_in(world.coordinator).get(reverse("overview"), {"region": "6"}).content
    assert "Bitte geben Sie einen ARS mit 2 (Land)" in html.decode()


def _statements(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("overview"), {"region": "06"})
    assert response.status_code == 200
    return len([q for q in captured.captured_queries if not q["sql"].startswith(NOT_COUNTED)])


def test_the_coordinator_overview_costs_the_same_for_more_onboardings_and_authorities(
    world: World,
) -> None:
    client = signed_in(world.coordinator)
    _statements(client)  # the first request of a session also refreshes the session
    few = _statements(client)
    for number in range(20):
        authority = _authority(f"Gemeinde {number}", f"gemeinde-{number}", f"0643500{number:05d}")
        make_onboarding(
            authority, None, world.authority_admin, f"g-{number}", f"Verfahren {number}"
        )
    many = _statements(client)
    assert many == few
    assert many <= COORDINATOR_OVERVIEW_BUDGET
