"""Coordination offices and site operators read onboardings along, through the same pages.

A coordination office reads the onboardings of the authorities of its region (ARS prefixes)
and of those listed for it; nothing else (404). It may comment and remind, nothing else.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from checklist import catalogue, rules
from checklist.access import get_onboarding_for_user
from checklist.models import Environment, ItemState
from checklist.state import OnboardingState
from portal.models import Membership, Organisation
from tests.conftest import World, make_onboarding, make_user


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _authority(name: str, slug: str, ars: str = "") -> Organisation:
    return Organisation.objects.create(
        name=name, slug=slug, kind=Organisation.Kind.AUTHORITY, ars=ars
    )


@pytest.fixture
def regions(world: World) -> dict[str, str]:
    """Onboardings in Hessen (two Kreise), in Bayern, and of an authority without an ARS."""
    darmstadt = _authority("Stadt Darmstadt", "darmstadt", "064110000000")
    muenchen = _authority("Stadt München", "muenchen", "091620000000")
    make_onboarding(darmstadt, None, world.authority_admin, "darmstadt-kfz", "Kfz Darmstadt")
    make_onboarding(muenchen, None, world.authority_admin, "muenchen-kfz", "Kfz München")
    make_onboarding(world.other_authority, None, world.outsider, "beispiel-kfz", "Kfz Beispiel")
    return {
        "musterstadt": "musterstadt-gewerbe",  # ARS 064350014014, Kreis 06435
        "darmstadt": "darmstadt-kfz",
        "muenchen": "muenchen-kfz",
        "no_ars": "beispiel-kfz",
    }


def _answers(client: Client, slugs: dict[str, str]) -> dict[str, int]:
    return {
        name: client.get(reverse("onboarding_detail", args=[slug])).status_code
        for name, slug in slugs.items()
    }


def test_a_land_office_reads_exactly_the_onboardings_of_its_land(
    world: World, regions: dict[str, str]
) -> None:
    client = signed_in(world.coordinator)  # Hessen, "06"
    assert _answers(client, regions) == {
        "musterstadt": 200,
        "darmstadt": 200,
        "muenchen": 404,
        "no_ars": 404,
    }
    overview = client.get(reverse("overview")).content.decode()
    assert "Gewerbeanmeldung" in overview
    assert "Kfz Darmstadt" in overview
    assert "Kfz München" not in overview
    assert "Kfz Beispiel" not in overview
    # Step, run-less Protokoll and PDF pages too: the same pages everyone uses.
    assert client.get(reverse("step", args=[regions["musterstadt"], 2])).status_code == 200
    assert client.get(reverse("audit_trail", args=[regions["musterstadt"]])).status_code == 200
    assert client.get(reverse("step", args=[regions["muenchen"], 2])).status_code == 404
    assert client.get(reverse("audit_trail", args=[regions["muenchen"]])).status_code == 404


def test_a_kreis_office_reads_its_kreis_and_an_authority_listed_for_it(
    world: World, regions: dict[str, str]
) -> None:
    kreis = Organisation.objects.create(
        name="Koordinierung Kreis 06435",
        slug="kreis-06435",
        kind=Organisation.Kind.COORDINATION,
        regions=["06435"],
    )
    kreis.coordinated_authorities.add(world.other_authority)  # no ARS: listed by name
    person = make_user("kreis@koordinierung.example", "Karla Kreis")
    Membership.objects.create(user=person, organisation=kreis, role="staff")
    assert _answers(signed_in(person), regions) == {
        "musterstadt": 200,
        "darmstadt": 404,  # another Kreis of the same Land
        "muenchen": 404,
        "no_ars": 200,
    }


def test_an_office_without_an_area_reads_nothing(world: World, regions: dict[str, str]) -> None:
    world.coordination.regions = []
    world.coordination.save()
    client = signed_in(world.coordinator)
    assert set(_answers(client, regions).values()) == {404}
    assert "Gewerbeanmeldung" not in client.get(reverse("overview")).content.decode()


def test_the_site_operator_reads_every_onboarding_on_its_page_not_in_the_admin(
    world: World, regions: dict[str, str]
) -> None:
    client = signed_in(world.site_operator)
    assert set(_answers(client, regions).values()) == {200}
    overview = client.get(reverse("overview")).content.decode()
    assert reverse("onboarding_detail", args=[regions["muenchen"]]) in overview
    assert "/admin/checklist/onboarding/" not in overview


def test_a_reader_changes_nothing_but_may_comment(world: World) -> None:
    client = signed_in(world.coordinator)
    slug = world.onboarding.slug
    tick = client.post(reverse("item_toggle", args=[slug, "step2.client"]), {"done": "1"})
    assert tick.status_code == 403
    assert not ItemState.objects.filter(onboarding=world.onboarding, done=True).exists()
    note = client.post(reverse("item_note", args=[slug, "step5.terms_of_use"]), {"note": "x"})
    assert note.status_code == 403
    assert client.post(reverse("signoff_declare", args=[slug, "test"])).status_code == 403
    assert client.post(reverse("verify_start", args=[slug, "test"])).status_code == 403
    comment = client.post(
        reverse("item_comment", args=[slug, "step2.client"]), {"text": "Wie ist der Stand?"}
    )
    assert comment.status_code == 302
    page = client.get(reverse("step", args=[slug, 2])).content.decode()
    assert "Wie ist der Stand?" in page
    # No tick button on the page: the reader may not tick.
    assert reverse("item_toggle", args=[slug, "step2.client"]) not in page


def test_the_rules_answer_a_reader_no_but_for_comments_and_reminders(world: World) -> None:
    participation = get_onboarding_for_user(world.coordinator, world.onboarding.slug)
    assert participation.reader
    state = OnboardingState(world.onboarding)
    item = catalogue.load().by_key()["step2.client"]
    refusals = [
        rules.may_tick(participation, state, item),
        rules.may_note(participation, item),
        rules.may_assign(participation, state.item_view(item)),
        rules.may_set_due_dates(participation),
        rules.may_start_run(participation),
        rules.may_declare(participation, state, Environment.TEST),
        rules.may_decide(participation, state, Environment.TEST),
    ]
    assert not any(refusals)
    assert all(answer.forbidden for answer in refusals)
    assert "Koordinierungsstelle" in refusals[0].reason
    assert rules.may_comment(participation, item)
    assert rules.may_remind(participation)


def test_an_authority_sees_which_coordination_office_reads_its_onboardings(
    world: World,
) -> None:
    page = signed_in(world.authority_admin).get(
        reverse("organisation_detail", args=[world.authority.pk])
    )
    assert "Koordinierungsstelle Hessen" in page.content.decode()
    other = signed_in(world.outsider).get(
        reverse("organisation_detail", args=[world.other_authority.pk])
    )
    assert "Koordinierungsstelle Hessen" not in other.content.decode()


def test_the_office_page_names_its_area(world: World) -> None:
    page = signed_in(world.coordinator).get(
        reverse("organisation_detail", args=[world.coordination.pk])
    )
    html = page.content.decode()
    assert "Ihr Gebiet" in html
    assert "Regionalschlüssel mit 06 beginnt" in html
    assert "Von Ihnen betreute Behörden" not in html  # not a service provider
