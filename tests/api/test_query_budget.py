"""Query budgets of the API's main reads: a fixed number per request and per onboarding."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import ApiClient, make_token
from tests.conftest import World, make_onboarding

BASE = "/api/v1/onboardings/musterstadt-gewerbe"
# On PostgreSQL the token, its rate-limit window and (for a read of one onboarding) the
# onboarding are one statement (api.auth); elsewhere three (two for a list).
SAVED = 2 if connection.vendor == "postgresql" else 0


def _queries(api: ApiClient, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(path).status_code == 200
    return len(captured)


def test_reads_stay_within_their_query_budget(world: World) -> None:
    _token, plain = make_token(world.provider)
    api = ApiClient(plain)
    # The first read: token, rate-limit window (counted in one statement), onboarding, its
    # sign-offs: the rest comes from the summary stored with every change, but for the
    # evidence of the stage being signed off (its state: 4, its environment row, runs,
    # changes: <= 4). It also records the last-used time.
    assert _queries(api, BASE) <= 13 - SAVED
    # Read again, nothing changed: token, rate-limit window, onboarding (api.response_cache).
    assert _queries(api, BASE) == 3 - SAVED
    assert _queries(api, f"{BASE}/items") <= 9 - SAVED


def _listed(api: ApiClient, path: str) -> tuple[list[str], dict[str, Any]]:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries], response.json()


def test_a_list_of_onboardings_costs_the_same_statements_for_5_or_30(world: World) -> None:
    _token, plain = make_token(world.provider)
    api = ApiClient(plain)
    path = "/api/v1/onboardings?per_page=100"
    api.get(path)  # the first use records the last-used time
    for number in range(4):
        make_onboarding(world.authority, world.provider, world.authority_admin, f"w-{number}")
    five, page = _listed(api, path)
    assert page["count"] == 5
    for number in range(4, 29):
        make_onboarding(world.authority, world.provider, world.authority_admin, f"w-{number}")
    thirty, page = _listed(api, path)
    assert page["count"] == len(page["items"]) == 30
    # Token, rate-limit window (one statement on PostgreSQL), count, the page: none per
    # onboarding.
    assert len(thirty) == len(five) <= 4 - SAVED // 2, thirty
    # Each row still says where the onboarding stands, as the single read does.
    one = api.get(BASE).json()
    listed = next(row for row in page["items"] if row["slug"] == "musterstadt-gewerbe")
    for key in ("current_step", "progress", "next_action", "your_side", "provider"):
        assert listed[key] == one[key], key
