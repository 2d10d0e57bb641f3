"""Two workers run the watch's cycle at the same moment: each destination is checked once
(PostgreSQL row locks, ``SKIP LOCKED``; skipped on SQLite, which writes one at a time).

Run with ``DATABASE_URL=postgres://…`` (a database name of your own)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from tests.checklist.test_concurrency import run_together
from tests.conftest import World, make_onboarding
from watch import cycle
from watch.checks import Finding
from watch.models import State, WatchDestination

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL (CI)"
    ),
]

DESTINATIONS = 40


def test_two_workers_check_each_destination_exactly_once_per_cycle(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(DESTINATIONS):
        onboarding = make_onboarding(
            world.authority, world.provider, world.authority_admin, f"live-{n:03d}", f"Live {n}"
        )
        WatchDestination.objects.create(onboarding=onboarding, environment="sandbox")
    checked: list[tuple[str, int]] = []
    lock = threading.Lock()

    def recorded(destination: WatchDestination, now: datetime, **_: Any) -> list[Finding]:
        with lock:
            checked.append((threading.current_thread().name, destination.pk))
        return [Finding("token", State.GREEN, {"code": "", "params": {}, "text": ""})]

    monkeypatch.setattr(cycle, "run_checks", recorded)
    now = timezone.now()
    done: list[int] = []
    run_together(
        lambda: done.append(cycle.run_cycle(now, batch=3)),
        lambda: done.append(cycle.run_cycle(now, batch=3)),
    )
    per_destination = Counter(pk for _, pk in checked)
    assert sorted(per_destination) == sorted(WatchDestination.objects.values_list("pk", flat=True))
    assert set(per_destination.values()) == {1}
    assert sum(done) == DESTINATIONS
    assert set(WatchDestination.objects.values_list("checks_done", flat=True)) == {1}
    # The same cycle again finds nothing due.
    assert cycle.run_cycle(now) == 0
