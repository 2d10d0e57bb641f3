"""A NUL byte or another control character in an address answers 404, never a server error.

PostgreSQL refuses a NUL in a string, so such a segment reaching a query raised a 500. The
portal's ``<key:…>`` converter and the API's ``{slug:slug}``/``{key:…}`` converters match
only the characters real keys have; anything else is "not found" before any query.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import transaction
from django.test import Client

from tests.api.conftest import ApiClient, make_token
from tests.conftest import World
from tests.portal.test_url_matrix import CASES, SLUG, STEP2_ITEM, STEP5_ITEM

HOSTILE = ["%00", "%01", "%7F", "%0A", "%1F", "te%00st", "step2.client%00", "%C2%85"]
SEGMENTS = [SLUG, "test", STEP2_ITEM, STEP5_ITEM, "subscriber"]


def _variants(path: str) -> list[str]:
    """The path with each of its slug and key segments replaced by each hostile value."""
    parts = path.split("/")
    return [
        "/".join([*parts[:i], bad, *parts[i + 1 :]])
        for i, part in enumerate(parts)
        if part in SEGMENTS
        for bad in HOSTILE
    ]


PORTAL = sorted(name for name in CASES if not name.startswith(("api:", "admin:")))
API = sorted(name for name in CASES if name.startswith("api:"))


@pytest.mark.parametrize("persona", ["authority_admin", "provider_staff"])
def test_control_characters_in_portal_addresses_answer_not_found(
    persona: str, world: World, client_for: Callable[[str], Client]
) -> None:
    client = client_for(persona)
    tried = 0
    for name in PORTAL:
        case = CASES[name]
        with transaction.atomic():  # some cases create rows: the same world for each
            for path in _variants(case.path(world)):
                response = getattr(client, case.method)(path, case.data(world))
                assert response.status_code == 404, f"{name} {path} → {response.status_code}"
                tried += 1
            transaction.set_rollback(True)
    # Every address with an environment, item, secret kind or onboarding in it.
    assert tried > 20 * len(HOSTILE)


def test_control_characters_in_api_addresses_answer_a_not_found_problem(world: World) -> None:
    for organisation in (world.authority, world.provider):
        _token, plain = make_token(organisation)
        api = ApiClient(plain)
        tried = 0
        for name in API:
            case = CASES[name]
            for path in _variants(case.path(world)):
                body = None if case.method == "get" else {"done": True, "text": "x"}
                response = api.call(case.method, path, body)
                assert response.status_code == 404, f"{name} {path} → {response.status_code}"
                assert response["Content-Type"] == "application/problem+json"
                tried += 1
        assert tried >= 12 * len(HOSTILE)
