"""Heartbeats of the background workers, for ``/healthz``.

django-tasks-db keeps the task queue in the database but records no sign of life of its
workers. Each ``manage.py db_worker`` process (the portal's version of the command) writes
its own row in ``WorkerHeartbeat`` every 30 seconds from a small thread, and deletes it
when it stops. Any number of workers on any number of machines can run side by side; the
worker counts as alive while any row is younger than two minutes.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from django.db import DatabaseError, connection
from django.utils import timezone

from portal.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

BEAT_SECONDS = 30
STALE_AFTER = timedelta(minutes=2)
# Rows of workers that died without cleaning up are deleted after a day.
FORGET_AFTER = timedelta(days=1)


def beat(worker_id: str, started_at: datetime) -> None:
    """Record that the worker is alive now, and forget long-dead workers."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "seen_at": now,
        },
    )
    WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()


def worker_alive() -> bool:
    """Whether any worker has shown a sign of life within the last two minutes."""
    return WorkerHeartbeat.objects.filter(seen_at__gte=timezone.now() - STALE_AFTER).exists()


class Heartbeat:
    """Beat for one worker process: once at once, then every 30 seconds in a thread."""

    def __init__(self, worker_id: str, interval: float = BEAT_SECONDS) -> None:
        self.worker_id = worker_id
        self.interval = interval
        self.started_at = timezone.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)

    def start(self) -> None:
        beat(self.worker_id, self.started_at)  # alive before the first task is taken
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        except DatabaseError:
            logger.warning("Could not remove the heartbeat of worker %s", self.worker_id)

    def _run(self) -> None:
        try:
            self.beat_until_stopped(self._stop)
        finally:
            connection.close()  # this thread's own connection

    def beat_until_stopped(self, stop: threading.Event) -> None:
        """Beat every interval until ``stop`` is set (the thread's loop, callable directly)."""
        while not stop.wait(self.interval):
            try:
                beat(self.worker_id, self.started_at)
            except DatabaseError:
                # The database may be away for a moment; /healthz says "stale" if it stays.
                logger.warning("Worker %s could not record its heartbeat", self.worker_id)
