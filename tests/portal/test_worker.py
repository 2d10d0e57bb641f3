"""Background tasks: queued in the database, run by db_worker, which records a heartbeat."""

from __future__ import annotations

import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
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


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_keeps_beating_until_stopped() -> None:
    heartbeat = worker.Heartbeat("beating", interval=0.05)
    heartbeat.start()
    first = WorkerHeartbeat.objects.get(worker_id="beating").seen_at
    deadline = time.monotonic() + 5
    while WorkerHeartbeat.objects.get(worker_id="beating").seen_at == first:
        assert time.monotonic() < deadline, "no second heartbeat"
        time.sleep(0.05)
    heartbeat.stop()
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
