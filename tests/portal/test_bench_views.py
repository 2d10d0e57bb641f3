"""The write floor ``make bench`` measures a tick against: real writes, nothing changed."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import RequestFactory

from bench.views import bench_write_floor
from checklist import summary
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
