"""The floors ``make bench`` measures against: a tick's real writes with nothing changed, a
step page's templates rendered as the page is."""

from __future__ import annotations

import re

import pytest
from django.http import Http404
from django.test import Client, RequestFactory

from bench.views import bench_write_floor
from checklist import page_cache, summary
from checklist.models import AuditEvent, ItemState
from tests.conftest import World


def test_the_write_floor_writes_a_ticks_rows_and_changes_nothing_a_person_sees(
    world: World,
) -> None:
    onboarding = world.onboarding
    item = ItemState.objects.get(onboarding=onboarding, key="step2.client")
    before = (item.done, item.note, summary.stored(onboarding), onboarding.revision)
    request = RequestFactory().post("/")
    request.user = world.provider_staff

    response = bench_write_floor(request, onboarding.slug)

    assert response.status_code == 200
    item.refresh_from_db()
    onboarding.refresh_from_db()
    assert (item.done, item.note, summary.stored(onboarding)) == before[:3]
    assert onboarding.revision > before[3]  # the item state was written: the triggers saw it
    event = AuditEvent.objects.filter(onboarding=onboarding).latest("pk")
    assert (event.action, event.old_value, event.new_value) == ("note_changed", "", "")


def test_the_write_floor_of_an_unknown_onboarding_is_not_found(world: World) -> None:
    request = RequestFactory().post("/")
    request.user = world.provider_staff
    with pytest.raises(Http404):
        bench_write_floor(request, "gibt-es-nicht")


def _masked(html: str) -> str:
    """The page without what differs per request: tokens, the nonce, the session's seconds."""
    for placeholder in (page_cache.CSRF_PLACEHOLDER, page_cache.NONCE_PLACEHOLDER):
        html = html.replace(placeholder, "X")
    html = re.sub(r'"[A-Za-z0-9]{64}"', '"X"', html)
    html = re.sub(r'nonce="[^"]+"', 'nonce="X"', html)
    return re.sub(r'data-session-seconds="[^"]+"', 'data-session-seconds="X"', html)


@pytest.mark.urls("bench.urls")
@pytest.mark.parametrize("number", [1, 2, 5])
def test_the_render_floor_renders_the_step_page_a_person_gets(world: World, number: int) -> None:
    client = Client()
    client.force_login(world.provider_staff)
    slug = world.onboarding.slug
    page = client.get(f"/vorhaben/{slug}/schritt/{number}/")
    floor = client.get(f"/bench/zeichnen/{slug}/{number}/")
    again = client.get(f"/bench/zeichnen/{slug}/{number}/")  # from the context built ahead

    assert page.status_code == floor.status_code == again.status_code == 200
    # The frame points back at the address asked for (the language switcher): the page's.
    address = (f"/bench/zeichnen/{slug}/{number}/", f"/vorhaben/{slug}/schritt/{number}/")
    expected = _masked(page.content.decode())
    assert f"Schritt {number}" in expected
    assert _masked(floor.content.decode().replace(*address)) == expected
    assert _masked(again.content.decode().replace(*address)) == expected


@pytest.mark.urls("bench.urls")
def test_the_render_floor_shows_outsiders_nothing(world: World) -> None:
    client = Client()
    client.force_login(world.outsider)
    assert client.get(f"/bench/zeichnen/{world.onboarding.slug}/2/").status_code == 404
