"""Saved filters on the overview: save under a name, list, apply, delete; each person sees
only her own, and a saved filter never shows more than she may see."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from checklist.models import Onboarding, SavedFilter
from portal.models import Membership, Organisation
from tests.conftest import World, make_onboarding, make_user


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _onboardings(world: World) -> None:
    """Darmstadt (overdue and not) in Hessen; München in Bayern, outside Kora's area."""
    darmstadt = Organisation.objects.create(
        name="Stadt Darmstadt", slug="darmstadt", kind="authority", ars="064110000000"
    )
    muenchen = Organisation.objects.create(
        name="Stadt München", slug="muenchen", kind="authority", ars="091620000000"
    )
    late = make_onboarding(darmstadt, None, world.authority_admin, "da-late", "Kfz Darmstadt")
    Onboarding.objects.filter(pk=late.pk).update(
        target_go_live=timezone.localdate() - timedelta(days=3)
    )
    make_onboarding(darmstadt, None, world.authority_admin, "da-fine", "Hund Darmstadt")
    make_onboarding(muenchen, None, world.authority_admin, "mu-kfz", "Kfz München")


def test_save_a_filter_then_apply_it_from_the_overview(world: World) -> None:
    _onboardings(world)
    client = signed_in(world.coordinator)
    overview = client.get(reverse("overview"), {"region": "06411", "overdue": "on"})
    save_link = f"{reverse('save_filter')}?region=06411&amp;overdue=on"
    assert f'href="{save_link}">Diesen Filter speichern' in overview.content.decode()

    page = client.get(reverse("save_filter"), {"region": "06411", "overdue": "on", "page": "3"})
    html = page.content.decode()
    assert "Dieser Filter zeigt derzeit 1 Anbindungsvorhaben:" in html
    assert "Region (ARS eines Landes oder Kreises): 06411" in html
    assert "overdue=" not in html.split("<main")[1].split('type="hidden"')[0]  # no parameters
    response = client.post(
        reverse("save_filter"),
        {"name": "Darmstadt überfällig", "query": "region=06411&overdue=on&page=3"},
    )
    saved = SavedFilter.objects.get()
    assert saved.query == "region=06411&overdue=on"  # the page is not part of a filter
    assert response["Location"] == f"{reverse('overview')}?region=06411&overdue=on"

    listed = client.get(reverse("overview")).content.decode()
    section = listed.split('id="saved-filters-heading"')[1].split("</section>")[0]
    apply_link = f'href="{reverse("overview")}?region=06411&amp;overdue=on">Darmstadt überfällig'
    assert apply_link in section
    applied = client.get(f"{reverse('overview')}?{saved.query}").content.decode()
    assert "Kfz Darmstadt" in applied
    assert "Hund Darmstadt" not in applied


def test_a_name_is_required_and_unique_per_person(world: World) -> None:
    client = signed_in(world.coordinator)
    url = reverse("save_filter")
    empty = client.post(url, {"name": "", "query": "region=06"}).content.decode()
    assert "Bitte geben Sie einen Namen für den Filter ein." in empty
    client.post(url, {"name": "Hessen", "query": "region=06"})
    twice = client.post(url, {"name": "Hessen", "query": "region=064"}).content.decode()
    assert "Sie haben schon einen Filter namens „Hessen“." in twice
    nothing = client.post(url, {"name": "Leer", "query": "page=2"}).content.decode()
    assert "Es gibt nichts zu speichern." in nothing
    assert SavedFilter.objects.count() == 1
    # Another person may use the same name for her own.
    signed_in(world.authority_admin).post(url, {"name": "Hessen", "query": "step=1"})
    assert SavedFilter.objects.count() == 2


def test_only_the_person_sees_and_deletes_her_filters(world: World) -> None:
    colleague = make_user("karl@koordinierung.example", "Karl Kollege")
    Membership.objects.create(user=colleague, organisation=world.coordination, role="staff")
    saved = SavedFilter.objects.create(user=world.coordinator, name="Kora privat", query="step=1")
    assert "Kora privat" not in signed_in(colleague).get(reverse("overview")).content.decode()
    delete = reverse("delete_filter", args=[saved.pk])
    assert signed_in(colleague).post(delete).status_code == 404
    assert SavedFilter.objects.filter(pk=saved.pk).exists()
    assert signed_in(world.coordinator).post(delete).status_code == 302
    assert not SavedFilter.objects.filter(pk=saved.pk).exists()


def test_a_saved_filter_never_widens_what_she_may_see(world: World) -> None:
    _onboardings(world)
    munich = Organisation.objects.get(slug="muenchen")
    # Forged or outdated: filters naming Bayern and München's authority directly.
    for user, query in (
        (world.coordinator, "region=09"),
        (world.coordinator, f"authority_name=M%C3%BCnchen&authority={munich.pk}"),
        (world.authority_admin, f"authority={munich.pk}"),
        (world.provider_staff, "q=Kfz"),
    ):
        saved = SavedFilter.objects.create(user=user, name=query[:50], query=query)
        html = signed_in(user).get(f"{reverse('overview')}?{saved.query}").content.decode()
        assert "Kfz München" not in html, (user, query)
        assert "Kfz Darmstadt" not in html or user == world.coordinator
