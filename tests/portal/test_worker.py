"""Background tasks: queued in the database, run by db_worker, which records a heartbeat."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from io import StringIO
from unittest.mock import patch

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.tasks import TaskResultStatus, task
from django.test import override_settings
from django.utils import timezone

from portal import worker
from portal.models import WorkerHeartbeat

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@task()
def add(a: int, b: int) -> int:
    return a + b


@task()
def worker_heartbeat_seen() -> bool:
    """Run by the worker: is its own heartbeat in the database while it works?"""
    return WorkerHeartbeat.objects.filter(worker_id="test-worker").exists()


def test_tasks_run_at_once_in_the_tests(db: None) -> None:
    result = add.enqueue(2, 3)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 5


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_queued_tasks_and_beats_while_it_runs() -> None:
    with override_settings(TASKS=DATABASE_TASKS):
        queued = [add.enqueue(20, 22), worker_heartbeat_seen.enqueue()]
        assert all(r.status == TaskResultStatus.READY for r in queued)
        call_command(
            "db_worker",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            "--worker-id",
            "test-worker",
            stdout=StringIO(),
        )
        for result in queued:
            result.refresh()
        assert [r.status for r in queued] == [TaskResultStatus.SUCCESSFUL] * 2
        assert [r.return_value for r in queued] == [42, True]
    # A worker that stops cleanly takes its heartbeat with it.
    assert not WorkerHeartbeat.objects.exists()


class Ticks(threading.Event):
    """A stop event for the heartbeat loop: each wait is one interval; set after ``beats``."""

    def __init__(self, beats: int, on_wait: Callable[[], None] = lambda: None) -> None:
        super().__init__()
        self.beats = beats
        self.on_wait = on_wait

    def wait(self, timeout: float | None = None) -> bool:
        self.on_wait()
        if self.beats == 0:
            self.set()
        self.beats -= 1
        return self.is_set()


def test_the_heartbeat_loop_beats_every_interval_until_stopped(db: None) -> None:
    heartbeat = worker.Heartbeat("beating")
    start = timezone.now()
    moments = [start + timedelta(seconds=30 * n) for n in range(3)]
    clock = iter(moments)
    seen: list[datetime] = []

    def interval_passes() -> None:
        if WorkerHeartbeat.objects.filter(worker_id="beating").exists():
            seen.append(WorkerHeartbeat.objects.get(worker_id="beating").seen_at)

    with patch("portal.worker.timezone.now", lambda: next(clock)):
        heartbeat.beat_until_stopped(Ticks(3, on_wait=interval_passes))
    # One beat after each of three intervals, each recorded at its moment; then the stop.
    assert seen == moments


def test_a_failed_heartbeat_is_logged_and_the_next_one_tried(
    db: None, caplog: pytest.LogCaptureFixture
) -> None:
    heartbeat = worker.Heartbeat("flaky")
    calls = []

    def beat(worker_id: str, started_at: datetime) -> None:
        calls.append(worker_id)
        if len(calls) == 1:
            raise DatabaseError("the database is away for a moment")

    with patch("portal.worker.beat", beat):
        heartbeat.beat_until_stopped(Ticks(2))
    assert calls == ["flaky", "flaky"]
    assert "Worker flaky could not record its heartbeat" in caplog.text


def test_a_started_worker_beats_at_once_and_its_heartbeat_goes_when_it_stops(db: None) -> None:
    # The thread waits an hour for its next beat; stopping ends that wait at once, so the
    # thread never touches the database while the test does.
    heartbeat = worker.Heartbeat("beating", interval=3600)
    heartbeat.start()
    assert WorkerHeartbeat.objects.filter(worker_id="beating").exists()
    heartbeat.stop()
    assert not heartbeat._thread.is_alive()
    assert not WorkerHeartbeat.objects.filter(worker_id="beating").exists()


def beat_at(worker_id: str, ago: timedelta) -> None:
    seen = timezone.now() - ago
    WorkerHeartbeat.objects.create(
        worker_id=worker_id, hostname="app-1", pid=1, started_at=seen, seen_at=seen
    )


def test_a_worker_is_alive_while_any_heartbeat_is_younger_than_two_minutes(db: None) -> None:
    assert not worker.worker_alive()
    beat_at("old", timedelta(minutes=3))
    assert not worker.worker_alive()
    beat_at("recent", timedelta(seconds=90))
    assert worker.worker_alive()


def test_heartbeats_of_long_dead_workers_are_forgotten(db: None) -> None:
    beat_at("dead", timedelta(days=2))
    beat_at("quiet", timedelta(hours=3))
    worker.beat("alive", timezone.now())
    assert set(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == {"quiet", "alive"}
