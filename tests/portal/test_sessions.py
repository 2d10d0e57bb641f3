"""A signed-in session is written at most once a minute; the timeout warning stays right."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import World

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _writes(client: Client, url: str) -> tuple[int, int]:
    """Return the session writes of one request and the seconds it says are left."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")
    ]
    return len(writes), int(response["X-Session-Expires-In"])


def test_the_session_is_written_at_most_once_a_minute_and_says_how_long_it_lasts(
    world: World,
) -> None:
    age = settings.SESSION_COOKIE_AGE
    with time_machine.travel(START, tick=False) as clock:
        client = Client()
        client.force_login(world.authority_admin)
        assert _writes(client, reverse("home"))[0] == 1  # recorded once after sign-in
        clock.shift(timedelta(seconds=30))
        writes, left = _writes(client, reverse("imprint"))
        assert writes == 0
        assert left == age - 30  # not extended: the warning must come 30 seconds earlier
        page = client.get(reverse("home")).content.decode()
        assert f'data-session-seconds="{age - 30}"' in page
        clock.shift(timedelta(seconds=31))
        writes, left = _writes(client, reverse("imprint"))
        assert (writes, left) == (1, age)
        # "Stay signed in" always extends at once.
        clock.shift(timedelta(seconds=10))
        response = client.post(reverse("extend_session"))
        assert response.json()["expires_in"] == age
        assert int(response["X-Session-Expires-In"]) == age


def test_an_expired_session_signs_out_even_without_writes_in_between(world: World) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = Client()
        client.force_login(world.authority_admin)
        client.get(reverse("home"))
        clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
        response = client.get(reverse("overview"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_signed_in_request_reads_the_session_and_the_user_with_memberships_only(
    world: World,
) -> None:
    client = Client()
    client.force_login(world.authority_admin)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("imprint")).content.decode()
    tables = [re.search(r'FROM "(\w+)"', q["sql"]).group(1) for q in captured.captured_queries]  # type: ignore[union-attr]
    assert tables == ["django_session", "portal_membership"]
    assert "Stadt Musterstadt" in page  # the current organisation in the header
