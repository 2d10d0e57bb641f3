"""Property-based fuzzing: no input makes the portal answer with a server error.

Every URL of the persona matrix (tests/portal/test_url_matrix.py) is requested as every
persona with generated input: form fields (the portal's own field names and random ones)
with hostile values in the body of POSTs and the query of GETs, as plain and as htmx
requests, ids in the path replaced by generated numbers (beyond 2^63 too) and other path
segments (slugs, environment and item keys) by NUL and other control characters. Each
example runs in a savepoint that is rolled back, so every request meets the same world.
No request leaves the machine: the outbound guard's resolver answers with an internal
address, which it refuses.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from django import forms
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import checklist.forms
import portal.forms
from tests.conftest import PERSONAS, World
from tests.portal.test_url_matrix import CASES

EXAMPLES_PER_PERSONA = 200
# The PDFs read no input and take half a second each; the persona matrix requests them.
FUZZED = sorted(name for name in CASES if name not in ("onboarding_pdf", "blank_pdf"))


def _field_names() -> list[str]:
    names = {"next", "carry", "csrfmiddlewaretoken", "sort", "step", "person", "q", "page"}
    for module in (portal.forms, checklist.forms):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, forms.BaseForm):
                names |= set(value.base_fields)
    return sorted(names)


FIELDS = _field_names()
NASTY = [
    "",
    "null",
    "None",
    "undefined",
    "//evil.example/",
    "/\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "home",
    "0",
    "-1",
    "²",
    "١٢٣",
    str(2**63),
    str(2**64 + 1),
    "9" * 40,
    "1e309",
    "NaN",
    "https://fachverfahren.example:99999/callback",
    "https://[::1]:0/",
    "http://100.100.100.200/latest/meta-data/",
    "https://xn--/",
    "[" * 5000 + "]" * 5000,
    '{"a":' * 3000 + "1" + "}" * 3000,
    '{"kty": "RSA", "n": 5, "e": [[[[[[]]]]]]}',
    "\x00",
    "\ud7ff\ue000",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "x" * 70_000,
    "2026-02-30",
    "31.12.2026",
    "test",
    "production",
    "sandbox",
    "on",
    "store",
    "once",
    "admin",
    "staff",
    "99050035001000",
    "anna@musterstadt.example",
]

values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
form_data = st.dictionaries(
    keys=st.one_of(st.sampled_from(FIELDS), st.text(min_size=1, max_size=12)),
    values=st.one_of(values, st.lists(values, max_size=3)),
    max_size=8,
)
path_ids = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=2**70),
    st.sampled_from([2**63 - 1, 2**63, 2**64, 10**30]),
)

# A segment of the path (by position) replaced by control characters, NUL above all, which
# PostgreSQL refuses in a string: every one must be "not found" before any query.
CONTROL = ["\x00", "\x01", "\x7f", "\n", "\r", "\t", "\x1f", "\x85", "a\x00b", "test\x00"]
path_segments = st.one_of(
    st.none(),
    st.tuples(
        st.integers(min_value=0, max_value=8),
        st.one_of(
            st.sampled_from(CONTROL),
            st.text(st.characters(categories=["Cc"]), min_size=1, max_size=4),
        ),
    ),
)

stats = {"requests": 0, "server_errors": 0}


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolve every host to a documentation address, which the outbound guard refuses."""
    monkeypatch.setattr("fitconnect.http.resolve", lambda host, port: ["192.0.2.1"])


def _replace_segment(path: str, index: int, text: str) -> str:
    parts = path.split("/")
    # The non-empty segments after the first (vorhaben, api/v1, …): slugs, keys, ids, words.
    places = [i for i, part in enumerate(parts) if part][1:] or [0]
    parts[places[index % len(places)]] = quote(text, safe="")
    return "/".join(parts)


def _request(
    world: World,
    client: Client,
    name: str,
    data: dict[str, Any],
    number: int | None,
    htmx: bool,
    segment: tuple[int, str] | None = None,
) -> int:
    case = CASES[name]
    path = case.path(world)
    if number is not None:
        path = re.sub(r"/\d+/", f"/{number}/", path, count=1)
    if segment is not None:
        path = _replace_segment(path, *segment)
    headers = {"HX-Request": "true"} if htmx else {}
    stats["requests"] += 1
    try:
        response = getattr(client, case.method)(path, data, headers=headers)
    except Exception:
        stats["server_errors"] += 1  # the view raised: a 500, shown with its traceback
        raise
    if response.status_code >= 500:
        stats["server_errors"] += 1
    return int(response.status_code)


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_generated_input_causes_a_server_error(
    persona: str, world: World, offline: None, client_for: Callable[[str], Client]
) -> None:
    client = client_for(persona)
    cookies = copy.deepcopy(client.cookies)

    @settings(
        max_examples=EXAMPLES_PER_PERSONA,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        name=st.sampled_from(FUZZED),
        data=form_data,
        number=path_ids,
        htmx=st.booleans(),
        segment=path_segments,
    )
    def fuzz(
        name: str,
        data: dict[str, Any],
        number: int | None,
        htmx: bool,
        segment: tuple[int, str] | None,
    ) -> None:
        # The session as signed in before the examples: a sign-out is rolled back with them.
        client.cookies = copy.deepcopy(cookies)
        with transaction.atomic():
            status = _request(world, client, name, data, number, htmx, segment)
            transaction.set_rollback(True)
        assert status < 500, (
            f"{persona} {name} {data!r} id={number} htmx={htmx} segment={segment!r} → {status}"
        )

    before = dict(stats)
    fuzz()
    requests = stats["requests"] - before["requests"]
    errors = stats["server_errors"] - before["server_errors"]
    print(f"fuzz {persona}: {requests} requests, {errors} server errors")
    assert requests >= EXAMPLES_PER_PERSONA
