"""The benchmark's read floor stays what it says: the reads of a step page, in raw SQL.

``make bench`` reports a step page seen for the first time against that floor; a floor that
reads less than the page would make the page look dearer than it is (and a goal beyond the
floor look further away). It is written for PostgreSQL, the database the bench runs on.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from tests.checklist.test_query_budgets import signed_in, statements
from tests.conftest import World

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the bench's floors are written for PostgreSQL"
)


@override_settings(ROOT_URLCONF="bench.urls")
@pytest.mark.parametrize("number", [1, 2, 3, 4, 5])
def test_the_read_floor_reads_as_many_times_as_the_step_page(world: World, number: int) -> None:
    client = signed_in(world, "provider_staff")
    slug = world.onboarding.slug
    page = statements(lambda: client.get(reverse("step", args=[slug, number])))
    floor = statements(lambda: client.get(reverse("bench_read_floor", args=[slug, number])))
    assert len(floor) == len(page), "\n".join(page)


@override_settings(ROOT_URLCONF="bench.urls")
def test_the_read_floor_shows_nothing_to_somebody_outside(world: World) -> None:
    client = signed_in(world, "outsider")
    response = client.get(reverse("bench_read_floor", args=[world.onboarding.slug, 1]))
    assert response.status_code == 404
