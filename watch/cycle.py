"""The watch's cycle: enrol live onboardings, claim due destinations, check, store, escalate.

Safe with several workers: a worker claims a batch of due destinations by moving their
``next_check_at`` one interval on, in one transaction that skips rows another worker has
locked (PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED``; SQLite runs write transactions one
at a time). A destination is therefore checked once per cycle, by whichever worker claimed
it. The results never tick or untick checklist items and never touch a sign-off: the watch
writes its own tables and sends notifications, nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from checklist.models import Onboarding, SignOff
from checklist.state import SIGNOFF_INVALID
from watch import conf, escalation
from watch.checks import Finding, apply_streaks, run_checks, worst
from watch.models import WatchDestination, WatchResult

BATCH = 10
# Production is live once signed off; a sign-off that a later change made invalid does
# not take the connection offline, so those stay watched too.
LIVE = Q(signoff_production=SignOff.State.APPROVED) | Q(signoff_production=SIGNOFF_INVALID)


def enrol(now: datetime) -> int:
    """Start watching every onboarding that went live and is not watched yet."""
    new = Onboarding.objects.filter(LIVE, watch__isnull=True).values_list("pk", flat=True)
    rows = [WatchDestination(onboarding_id=pk, next_check_at=now) for pk in new]
    WatchDestination.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def claim(now: datetime, size: int = BATCH) -> list[int]:
    """Claim up to ``size`` due destinations for this worker; return their ids."""
    with transaction.atomic():
        ids = list(
            WatchDestination.objects.filter(active=True, next_check_at__lte=now)
            .order_by("next_check_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:size]
        )
        if ids:
            WatchDestination.objects.filter(pk__in=ids).update(next_check_at=now + conf.interval())
    return ids


def store(destination: WatchDestination, findings: list[Finding], now: datetime) -> str:
    """Keep the findings as today's results (the newest of the day wins); return the state."""
    day = timezone.localdate(now)
    existing = {
        r.check_key: r for r in WatchResult.objects.filter(destination=destination, day=day)
    }
    new: list[WatchResult] = []
    changed: list[WatchResult] = []
    for finding in findings:
        row = existing.get(finding.check) or WatchResult(
            destination=destination, check_key=finding.check, day=day
        )
        row.checked_at = now
        row.state = finding.state
        row.message = (
            finding.message
            if isinstance(finding.message, dict)
            else {"code": "", "params": {}, "text": str(finding.message)}
        )
        row.details = finding.details
        row.values = {**finding.values, "fixes": finding.fixes}
        (changed if row.pk else new).append(row)
    WatchResult.objects.bulk_create(new)
    if changed:
        WatchResult.objects.bulk_update(
            changed, ["checked_at", "state", "message", "details", "values"]
        )
    return worst([f.state for f in findings])


def check_one(
    destination: WatchDestination,
    now: datetime,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Check one claimed destination, store what was found and tell whom it concerns."""
    findings = run_checks(destination, now, transport=transport, sleep=sleep)
    apply_streaks(destination, findings)
    previous = destination.state
    with transaction.atomic():
        state = store(destination, findings, now)
        destination.last_checked_at = now
        destination.checks_done += 1
        if state != previous:
            destination.state_since = now
        destination.state = state
        destination.save(
            update_fields=[
                "last_checked_at",
                "checks_done",
                "state",
                "state_since",
                "unreachable_cycles",
            ]
        )
        escalation.escalate(destination, findings, previous, now)
    return state


def run_cycle(
    now: datetime | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    batch: int = BATCH,
) -> int:
    """Check every due destination once (with the other workers); return how many here."""
    now = now or timezone.now()
    enrol(now)
    done = 0
    while ids := claim(now, batch):
        destinations = WatchDestination.objects.filter(pk__in=ids).select_related("onboarding")
        for destination in destinations:
            check_one(destination, now, transport=transport, sleep=sleep)
            done += 1
    escalation.remind_outages(now)
    prune(now)
    return done


def prune(now: datetime) -> int:
    """Forget daily results older than ``WATCH_KEEP_DAYS``."""
    horizon = timezone.localdate(now) - timedelta(days=conf.number("WATCH_KEEP_DAYS"))
    deleted, _ = WatchResult.objects.filter(day__lt=horizon).delete()
    return deleted
