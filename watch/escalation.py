"""Notifications of the watch, along FITKO's timeline; each is sent once per threshold.

A destination that turns red; a key whose certificate comes within 30, 14 or 7 days of
expiry (``notifications.jobs.EXPIRY_THRESHOLDS``); submissions waiting longer than 2, 7
and 12 days (before FITKO's first reminder, after its first, before its rejection). The
provider's side and the authority are told; preferences decide how (``notify``). The
dedupe keys make a second cycle, or a second worker, send nothing again.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from checklist import people
from notifications.jobs import expiry_threshold
from notifications.models import Kind
from notifications.services import notify
from watch import conf, fitko
from watch.checks import Finding
from watch.models import Outage, State, WatchDestination

# Days of waiting after which people are told: before FITKO's first reminder (day 3),
# after it, and before FITKO's rejection (day 14).
WAITING_THRESHOLDS = (2, 7, 12)


def remind_outages(now: datetime) -> int:
    """Remind the provider's side of FITKO's duty to deactivate the Zustellpunkt once an
    outage lasts longer than FITKO allows, until they confirm it (once per outage)."""
    today = timezone.localdate(now)
    limit = today - timedelta(days=conf.number("FITKO_OUTAGE_DEACTIVATE_DAYS"))
    outages = [
        outage
        for outage in Outage.objects.filter(
            deactivated_at__isnull=True, starts_on__lte=limit
        ).select_related("onboarding")
        if fitko.outage_deadline(outage.starts_on).day <= (outage.ends_on or today)
    ]
    sent = 0
    for outage in outages:
        onboarding = outage.onboarding
        sent += len(
            notify(
                people.provider_side(onboarding),
                Kind.WATCH_OUTAGE,
                onboarding=onboarding,
                url=reverse("watch_page", args=[onboarding.slug]) + "#ausfaelle",
                params={"date": outage.starts_on.isoformat()},
                dedupe_key=f"watch_outage:{outage.pk}",
            )
        )
    return sent


def waiting_threshold(days: int) -> int | None:
    passed = [limit for limit in WAITING_THRESHOLDS if days > limit]
    return max(passed) if passed else None


def _recipients(destination: WatchDestination) -> list[Any]:
    authority, provider = people.sides(destination.onboarding)
    return list({user.pk: user for user in (*provider, *authority)}.values())


def escalate(
    destination: WatchDestination, findings: list[Finding], previous: str, now: datetime
) -> int:
    onboarding = destination.onboarding
    url = reverse("watch_page", args=[onboarding.slug])
    recipients = _recipients(destination)
    today = timezone.localdate(now)
    sent = 0
    red = [f.check for f in findings if f.state == State.RED]
    if red and previous != State.RED:
        since = timezone.localtime(destination.state_since or now).date().isoformat()
        sent += len(
            notify(
                recipients,
                Kind.WATCH_RED,
                onboarding=onboarding,
                url=url,
                params={"checks": red, "date": since},
                dedupe_key=f"watch_red:{destination.pk}:{since}",
            )
        )
    for finding in findings:
        if finding.check == "keys":
            sent += _expiry(destination, finding, recipients, url, today)
        elif finding.check == "waiting":
            sent += _waiting(destination, finding, recipients, url)
    return sent


def _expiry(
    destination: WatchDestination, finding: Finding, recipients: list[Any], url: str, today: date
) -> int:
    sent = 0
    for key in finding.values.get("keys", []):
        days, expires = key.get("days"), key.get("expires")
        threshold = expiry_threshold(days) if isinstance(days, int) else None
        if threshold is None:
            continue
        sent += len(
            notify(
                recipients,
                Kind.WATCH_EXPIRING,
                onboarding=destination.onboarding,
                url=url,
                params={"kid": key.get("kid", ""), "date": expires, "days": days},
                dedupe_key=(
                    f"watch_expiry:{destination.pk}:{key.get('kid', '')}:{expires}:{threshold}"
                )[:200],
            )
        )
    return sent


def _waiting(
    destination: WatchDestination, finding: Finding, recipients: list[Any], url: str
) -> int:
    days, oldest = finding.values.get("oldest_days"), finding.values.get("oldest")
    threshold = waiting_threshold(days) if isinstance(days, int) else None
    if threshold is None or not isinstance(oldest, str):
        return 0
    submitted = datetime.fromisoformat(oldest)
    day = timezone.localtime(submitted).date().isoformat()
    return len(
        notify(
            recipients,
            Kind.WATCH_WAITING,
            onboarding=destination.onboarding,
            url=url,
            params={
                "count": finding.values.get("count", 0),
                "days": days,
                "date": day,
                "threshold": threshold,
            },
            dedupe_key=f"watch_waiting:{destination.pk}:{day}:{threshold}",
        )
    )
