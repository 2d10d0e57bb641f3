"""Query budgets of the API's main reads: a fixed number per request and per onboarding."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import ApiClient, make_token
from tests.conftest import World, make_onboarding

BASE = "/api/v1/onboardings/musterstadt-gewerbe"


def _queries(api: ApiClient, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(path).status_code == 200
    return len(captured)


def test_reads_stay_within_their_query_budget(world: World) -> None:
    _token, plain = make_token(world.provider)
    api = ApiClient(plain)
    api.get(BASE)  # the first use records the last-used time
    # Token, rate-limit window (update, read), onboarding, state (4 queries), catalogue check,
    # the evidence of the stage being signed off (its environment row, runs, changes: <= 4).
    assert _queries(api, BASE) <= 12
    assert _queries(api, f"{BASE}/items") <= 9
    one = _queries(api, "/api/v1/onboardings")
    for number in range(3):
        make_onboarding(
            world.authority, world.provider, world.authority_admin, f"weitere-{number}", "Weitere"
        )
    four = _queries(api, "/api/v1/onboardings")
    assert (four - one) / 3 <= 5  # per onboarding: its state
