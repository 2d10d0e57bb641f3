"""Scheduled jobs: due and overdue steps, expiring keys and certificates, retries, digests.

``manage.py run_scheduled_jobs`` runs them (from cron, every 15 minutes or hourly). Each
is idempotent: reminders carry a key that the database accepts once per person
(``Notification.dedupe_key``), a digest is recorded per person and day before it is sent
(``DigestRun``), and e-mails are claimed before sending. Several workers or overlapping
cron runs therefore never send the same reminder twice.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from checklist import lost_work, people
from checklist.environments import all_environments
from checklist.evidence import key_expiries
from checklist.models import EnvironmentRecord, Onboarding, VerificationRun
from checklist.state import STATE_PREFETCH, OnboardingState, StepStatus
from notifications import delivery, retention
from notifications.home import my_tasks
from notifications.models import DigestRun, Kind, Notification
from notifications.services import notify
from portal.models import User

logger = logging.getLogger(__name__)

# Days before a key or certificate expires on which its people are reminded.
EXPIRY_THRESHOLDS = (30, 14, 7)
# Keys recorded by checks older than this are not looked at any more.
KEY_EVIDENCE_AGE = timedelta(days=400)


def scan_due_dates(today: date) -> int:
    """Remind the responsible side of steps due within seven days and of overdue steps."""
    onboardings = (
        Onboarding.objects.filter(Q(target_go_live__isnull=False) | Q(deadlines__isnull=False))
        .distinct()
        .prefetch_related(*STATE_PREFETCH)
    )
    sent = 0
    for onboarding in onboardings:
        state = OnboardingState(onboarding)
        for step, due in sorted(state.due_dates.items()):
            if state.status(step) == StepStatus.DONE:
                continue
            if due.overdue(today):
                kind, prefix = Kind.OVERDUE, "overdue"
            elif due.due_soon(today):
                kind, prefix = Kind.DUE_SOON, "due_soon"
            else:
                continue
            sent += len(
                notify(
                    people.responsible_for(onboarding, people.step_side(step)),
                    kind,
                    onboarding=onboarding,
                    url=reverse("step", args=[onboarding.slug, step]),
                    params={
                        "step": step,
                        "date": due.date.isoformat(),
                        "days": (due.date - today).days,
                    },
                    dedupe_key=f"{prefix}:{onboarding.pk}:{step}:{due.date.isoformat()}",
                )
            )
    return sent


def expiry_threshold(days: int) -> int | None:
    """Return the smallest reminder threshold the remaining days fall under, if any."""
    fitting = [limit for limit in EXPIRY_THRESHOLDS if 0 <= days <= limit]
    return min(fitting) if fitting else None


def _expiries(today: date) -> list[tuple[Onboarding, str, str, str, date]]:
    """Return (onboarding, environment, what, kid, expiry) of every recorded expiry date."""
    found: list[tuple[Onboarding, str, str, str, date]] = []
    horizon = today + timedelta(days=max(EXPIRY_THRESHOLDS))
    records = EnvironmentRecord.objects.filter(
        certificate_expiry__gte=today, certificate_expiry__lte=horizon
    ).select_related("onboarding")
    for record in records:
        assert record.certificate_expiry is not None  # noqa: S101 (filtered above)
        found.append(
            (record.onboarding, record.environment, "certificate", "", record.certificate_expiry)
        )
    # The keys of each environment's newest check, as the JWK sets showed them.
    runs = (
        VerificationRun.objects.filter(
            finished_at__isnull=False, started_at__gte=timezone.now() - KEY_EVIDENCE_AGE
        )
        .select_related("onboarding")
        .order_by("-started_at", "-pk")
    )
    newest: dict[tuple[int, str], VerificationRun] = {}
    for run in runs:
        newest.setdefault((run.onboarding_id, run.environment), run)
    for run in newest.values():
        for key, expires in key_expiries(run.results):
            if today <= expires <= horizon:
                found.append(
                    (run.onboarding, run.environment, "key", str(key.get("kid", "")), expires)
                )
    return found


def scan_expiry(today: date) -> int:
    """Remind the provider's side 30, 14 and 7 days before a key or certificate expires."""
    steps = {env.key: env.step for env in all_environments()}
    sent = 0
    for onboarding, environment, what, kid, expires in _expiries(today):
        days = (expires - today).days
        threshold = expiry_threshold(days)
        if threshold is None:
            continue
        step = 2 if what == "certificate" else steps.get(environment, 3)
        sent += len(
            notify(
                people.provider_side(onboarding),
                Kind.KEY_EXPIRING,
                onboarding=onboarding,
                url=reverse("step", args=[onboarding.slug, step]),
                params={
                    "env": environment,
                    "what": what,
                    "kid": kid,
                    "date": expires.isoformat(),
                    "days": days,
                },
                dedupe_key=(
                    f"expiry:{onboarding.pk}:{environment}:{what}:{kid}:"
                    f"{expires.isoformat()}:{threshold}"
                )[:200],
            )
        )
    return sent


def send_digests(now: datetime) -> int:
    """Send each person with collected notifications one digest e-mail a day."""
    local = timezone.localtime(now)
    if local.hour < settings.NOTIFICATION_DIGEST_HOUR:
        return 0
    today = local.date()
    sent = 0
    collected = Notification.objects.for_participants().filter(
        recipient=OuterRef("pk"), email_state=Notification.Delivery.DIGEST
    )
    waiting = User.objects.filter(Exists(collected), is_active=True)
    for user in waiting:
        try:
            with transaction.atomic():
                run = DigestRun.objects.create(user=user, day=today)
        except IntegrityError:  # today's digest is sent or being sent elsewhere
            continue
        if _send_digest(user, run):
            sent += 1
    return sent


def _send_digest(user: User, run: DigestRun) -> bool:
    collected = list(
        Notification.objects.for_participants()
        .filter(recipient=user, email_state=Notification.Delivery.DIGEST)
        .select_related("onboarding", "actor")
        .order_by("created_at", "pk")
    )
    ids = [n.pk for n in collected]
    Notification.objects.filter(pk__in=ids).update(email_state=Notification.Delivery.SENDING)
    try:
        delivery.digest_message(user, collected, my_tasks(user).all()).send()
    except Exception as error:  # keep everything for the next run
        logger.warning("Digest for user %s failed: %s", user.pk, type(error).__name__)
        Notification.objects.filter(pk__in=ids).update(email_state=Notification.Delivery.DIGEST)
        run.delete()
        return False
    now = timezone.now()
    Notification.objects.filter(pk__in=ids).update(
        email_state=Notification.Delivery.SENT, email_sent_at=now
    )
    DigestRun.objects.filter(pk=run.pk).update(sent_at=now)
    return True


def run_all(now: datetime | None = None) -> dict[str, int]:
    """Run every scheduled job once; return how many notifications or e-mails each made."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return {
        "due_dates": scan_due_dates(today),
        "expiry": scan_expiry(today),
        "retries": delivery.retry_due(now),
        # The watch before the digests: what it finds today is in today's digest.
        "watch": _watch_cycle(now),
        "watch_digest": _watch_digest(now),
        "digests": send_digests(now),
        # Runs and PDF exports whose worker was lost: resumed or ended (checklist.lost_work).
        "lost_work": lost_work.settle_all(),
        # Once a day: the retention rules (``notifications.retention``).
        "retention": retention.apply_daily(now),
    }


def _watch_cycle(now: datetime) -> int:
    """The production watch's cycle (``watch.cycle``): each due destination once."""
    from watch.cycle import run_cycle  # the watch sends notifications through this app

    return run_cycle(now)


def _watch_digest(now: datetime) -> int:
    """The coordination offices' daily digest of the watch (``watch.office_digest``)."""
    from watch.office_digest import send_office_digests

    return send_office_digests(now)


@task()
def scheduled_jobs() -> dict[str, int]:
    """The scheduled jobs as a background task (``run_scheduled_jobs --enqueue``)."""
    return run_all()
