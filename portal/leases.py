"""Leases of background work: which task works on a row, and until when it answers for it.

A row that a background task works on (a connection check, a conformance run, a PDF export,
later a watch cycle) has two fields, ``lease_until`` (empty while its task waits in the
queue) and ``attempts`` (how often a task took it). The task takes the lease when it starts
(``claim``: only if nobody holds a live one, so two workers never work on the same row) and
keeps it fresh while it works with ``Renewal``, a small thread that renews it every third
of the lease time, also while the task waits on the network. Its own code ends the row
(``finished_at`` or the like); the lease is then simply no longer looked at.

A worker that dies (SIGKILL, out of memory, a lost machine) stops renewing: once
``lease_until`` has passed, the row is lost (``expired``). Whoever reads it (a page, the API,
the scheduled jobs) decides what then happens, e.g. resume it by enqueueing its task again
(after ``release``, which only one reader wins) or end it with a message.

The lease time is ``settings.TASK_LEASE_SECONDS`` (120 s by default, environment variable
``TASK_LEASE_SECONDS``): long enough that a busy database or a slow garbage collection never
makes a living task look dead (it renews every 40 s), short enough that a lost run ends
within about two minutes. Tests set it small.

Usage, for a model with ``lease_until`` and ``attempts``::

    unfinished = Run.objects.filter(finished_at=None)
    if not leases.claim(unfinished, run_id):
        return  # another worker holds it, or it has finished
    with leases.Renewal(unfinished, run_id):
        ...  # the work
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import F, Model, Q, QuerySet
from django.utils import timezone

logger = logging.getLogger(__name__)


def lease_seconds() -> float:
    return float(settings.TASK_LEASE_SECONDS)


def _until(now: datetime) -> datetime:
    return now + timedelta(seconds=lease_seconds())


def claim(rows: QuerySet[Any], pk: int) -> bool:
    """Take the lease of the row ``pk`` among ``rows`` (the unfinished ones) for this task.

    Returns False when the row has finished or another task holds a live lease.
    """
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    taken = rows.filter(free, pk=pk).update(lease_until=_until(now), attempts=F("attempts") + 1)
    return bool(taken)


def renew(rows: QuerySet[Any], pk: int) -> bool:
    """Extend the lease of a row this task holds; False if the row has finished meanwhile."""
    return bool(rows.filter(pk=pk).update(lease_until=_until(timezone.now())))


def expired(rows: QuerySet[Any]) -> QuerySet[Any]:
    """The rows among ``rows`` whose task took them and stopped renewing (a lost worker)."""
    return rows.filter(lease_until__lt=timezone.now())


def is_expired(row: Model) -> bool:
    lease_until: datetime | None = getattr(row, "lease_until", None)
    return lease_until is not None and lease_until < timezone.now()


def release(rows: QuerySet[Any], row: Model) -> bool:
    """Free the expired lease of ``row`` so that its task can be enqueued again.

    Only one of several readers that saw the same expired lease wins (returns True) and may
    enqueue; the others leave it. The row is waiting in the queue again afterwards.
    """
    seen = getattr(row, "lease_until", None)
    if seen is None:
        return False
    return bool(rows.filter(pk=row.pk, lease_until=seen).update(lease_until=None))


class Renewal:
    """Renew a row's lease from a thread while the ``with`` block runs.

    The thread has its own database connection and closes it when it stops. A renewal that
    fails (the database away for a moment) is retried at the next interval; should the row
    have finished or been ended by a reader meanwhile, ``lost`` is set and it stops.
    """

    def __init__(self, rows: QuerySet[Any], pk: int) -> None:
        self.rows = rows
        self.pk = pk
        self.interval = lease_seconds() / 3
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-renewal", daemon=True)

    def __enter__(self) -> Renewal:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    if not renew(self.rows, self.pk):
                        self.lost = True
                        return
                except DatabaseError:
                    logger.warning("Could not renew the lease of %s %s", self.rows.model, self.pk)
        finally:
            connection.close()  # this thread's own connection
