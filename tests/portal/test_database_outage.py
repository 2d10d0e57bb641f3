"""A database away for a moment answers a clear 503, and the next request works.

On PostgreSQL a running live server's request is caught mid-flight: a second connection
locks the session table, so the request waits in its query; that waiting backend is then
terminated with ``pg_terminate_backend`` (what a restart or failover does to every
connection: a fine stand-in for restarting the server, which a test cannot do to a shared
database) and the lock released. The request answers 503 with the page that says so; the
next one connects anew and answers 200. The same for the API (its token table locked).
On SQLite a view that meets a broken connection stands in.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from tests.api.conftest import make_token
from tests.conftest import World

SLUG = "musterstadt-gewerbe"
HEADING = "Die Datenbank ist kurz nicht erreichbar"
# Bounds a broken test; it goes on as soon as the request waits for the lock.
DEADLINE_SECONDS = 30
ON_POSTGRESQL = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="terminating a server's connections needs PostgreSQL (DATABASE_URL=postgres://…)",
)


def operator_connection() -> psycopg.Connection[Any]:
    """A second connection to the test database, as an operator's psql would be."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "localhost",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"],
        dbname=db["NAME"],
    )


def cut_off_mid_request(table: str, send: Any) -> httpx.Response:
    """Send a request that waits on ``table``, terminate its connection, return the answer."""
    answers: list[httpx.Response] = []
    with operator_connection() as operator:
        operator.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")  # in a transaction
        request = threading.Thread(target=lambda: answers.append(send()))
        request.start()
        deadline = time.monotonic() + DEADLINE_SECONDS
        waiting: list[Any] = []
        while not waiting:
            assert time.monotonic() < deadline, "the request never waited for the lock"
            time.sleep(0.05)
            # pg_stat_activity is read once per transaction and kept: the operator's holds the
            # lock, so without this a first look before the request waits is all it sees.
            operator.execute("SELECT pg_stat_clear_snapshot()")
            waiting = operator.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            ).fetchall()
        for (pid,) in waiting:
            operator.execute("SELECT pg_terminate_backend(%s)", (pid,))
        operator.rollback()  # the lock goes; the database is "back"
        request.join(timeout=DEADLINE_SECONDS)
    assert answers, "the request did not answer"
    return answers[0]


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_a_database_restart_mid_request_answers_503_and_the_next_request_works(
    world: World, live_server: Any
) -> None:
    signed_in = Client()
    signed_in.force_login(world.provider_staff)
    cookies = {settings.SESSION_COOKIE_NAME: signed_in.cookies[settings.SESSION_COOKIE_NAME].value}
    page = f"{live_server.url}{reverse('step', args=[SLUG, 2])}"

    with httpx.Client(cookies=cookies, timeout=DEADLINE_SECONDS) as browser:
        answer = cut_off_mid_request("portal_session", lambda: browser.get(page))
        assert answer.status_code == 503
        assert HEADING in answer.text
        assert "nicht gespeichert" in answer.text
        assert answer.headers["Retry-After"] == "5"

        again = browser.get(page)
        assert again.status_code == 200
        assert HEADING not in again.text

    _token, plain = make_token(world.provider, name="Pipeline")
    api = f"{live_server.url}/api/v1/onboardings/{SLUG}"
    headers = {"authorization": f"Bearer {plain}"}
    with httpx.Client(timeout=DEADLINE_SECONDS, headers=headers) as pipeline:
        problem = cut_off_mid_request("portal_apitoken", lambda: pipeline.get(api))
        assert problem.status_code == 503
        assert problem.headers["Content-Type"].startswith("application/problem+json")
        assert problem.json()["title"] == HEADING
        assert problem.headers["Retry-After"] == "5"
        assert pipeline.get(api).status_code == 200


def test_a_lost_database_connection_answers_503_not_the_500_page(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OperationalError("terminating connection due to administrator command")

    url = reverse("step", args=[SLUG, 2])  # the URLs load the views in their order
    monkeypatch.setattr("checklist.presentation.step_context", broken)
    client = Client(raise_request_exception=False)
    client.force_login(world.provider_staff)

    answer = client.get(url)

    assert answer.status_code == 503
    assert HEADING in answer.content.decode()
    assert answer["Retry-After"] == "5"


def test_any_other_error_still_answers_the_500_page(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    url = reverse("step", args=[SLUG, 2])  # the URLs load the views in their order
    monkeypatch.setattr("checklist.presentation.step_context", broken)
    client = Client(raise_request_exception=False)
    client.force_login(world.provider_staff)

    answer = client.get(url)

    assert answer.status_code == 500
    assert "Ein technischer Fehler ist aufgetreten" in answer.content.decode()
