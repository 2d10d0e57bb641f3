"""GET /healthz: database and worker state for load balancers, with nothing else attached."""

from __future__ import annotations

import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client, override_settings
from django.utils import timezone

from portal import health
from portal.models import Session, WorkerHeartbeat


def heartbeat(ago: timedelta) -> None:
    seen = timezone.now() - ago
    WorkerHeartbeat.objects.create(
        worker_id=f"w-{ago.total_seconds()}", hostname="app", pid=1, started_at=seen, seen_at=seen
    )


def test_ok_with_a_stale_worker_until_a_worker_beats(db: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "worker": "stale"}
    heartbeat(timedelta(minutes=5))
    assert Client().get("/healthz").json()["worker"] == "stale"
    heartbeat(timedelta(seconds=100))
    assert Client().get("/healthz").json() == {"status": "ok", "database": "ok", "worker": "ok"}


def test_503_when_the_database_does_not_answer(db: None, caplog: pytest.LogCaptureFixture) -> None:
    with mock.patch.object(health.connection, "cursor", side_effect=OperationalError("down")):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "worker": "unknown"}
    assert not [r for r in caplog.records if r.name in ("django.request", "portal.requests")]


def test_no_session_no_cookie_no_cache_and_no_log_line(
    db: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = Client().get("/healthz")
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert response["Cache-Control"] == "no-store"
    assert not Session.objects.exists()
    assert not [r for r in caplog.records if r.name == "portal.requests"]
    assert Client().head("/healthz").status_code == 200


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["anbindung.example.org"])
def test_probes_over_http_and_by_address_are_answered(db: None) -> None:
    """A load balancer probes the app server's address over plain HTTP: no redirect, no 400."""
    response = Client(HTTP_HOST="10.0.3.7:8000").get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    # Everything else still goes to HTTPS.
    page = Client(HTTP_HOST="anbindung.example.org").get("/anmelden/")
    assert page.status_code == 301
    assert page["Location"].startswith("https://")
