"""The dashboard's keys expiring within 30 days.

A JWK carries no expiry of its own. What expires is the certificate it carries (``x5c``):
the connection check "Keys of the destination" reads its leaf certificate's end of validity
and records it with the key (``fitconnect.checks.keys``, evidence ``keys[].expires``), the
same date the scheduled reminders use (``notifications.jobs``). Counted here: each key of
the newest finished connection check of an environment (not a rehearsal against a
stand-in) whose certificate ends within 30 days. A key without a certificate has no date
and is not counted; the certificates the provider records by hand are counted apart
(``EnvironmentRecord.certificate_expiry``).

One statement: the database keeps only runs whose stored results name an expiry date in
the window (one regular expression on the JSON text, as both SQLite and PostgreSQL write
it) and that are the newest of their environment; only those runs' results are read,
never every onboarding's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from checklist.evidence import key_expiries
from checklist.models import Onboarding, VerificationRun

# Keys recorded by checks older than this are not looked at (as notifications.jobs).
KEY_EVIDENCE_AGE = timedelta(days=400)


@dataclass
class ExpiringKey:
    onboarding: Onboarding
    run_id: int
    environment: str
    purpose: str
    kid: str
    expires: date


def _named_dates(first: date, days: int) -> str:
    """A pattern for stored results that name one of the dates as a key's expiry: one
    regular expression with the days grouped by month, e.g.
    ``"expires": "(2026-12-(30|31)|2027-01-(01|02))"``. PostgreSQL reads each run's results
    as text once for it; one ``LIKE`` per day read them 31 times (35 ms for 422 runs)."""
    months: dict[str, list[str]] = {}
    for n in range(days + 1):
        day = first + timedelta(days=n)
        months.setdefault(day.strftime("%Y-%m"), []).append(day.strftime("%d"))
    named = "|".join(f"{month}-({'|'.join(numbers)})" for month, numbers in months.items())
    return f'"expires": "({named})"'


def expiring_keys(onboardings: QuerySet[Onboarding, Any], days: int) -> list[ExpiringKey]:
    """Every key of the onboardings' newest checks whose certificate ends within ``days``,
    the earliest first."""
    today = timezone.localdate()
    horizon = today + timedelta(days=days)
    finished = Q(finished_at__isnull=False, rehearsal=False)
    newest = (
        VerificationRun.objects.filter(
            finished,
            onboarding=OuterRef("onboarding"),
            environment=OuterRef("environment"),
        )
        .order_by("-started_at", "-pk")
        .values("pk")[:1]
    )
    runs = (
        VerificationRun.objects.filter(
            finished,
            onboarding__in=onboardings.values("pk"),
            started_at__gte=timezone.now() - KEY_EVIDENCE_AGE,
        )
        .annotate(results_text=Cast("results", TextField()))
        .filter(results_text__regex=_named_dates(today, days))
        .filter(pk=Subquery(newest))
        .select_related("onboarding")
        .only("pk", "environment", "results", "onboarding__name", "onboarding__slug")
        .order_by()
    )
    found = []
    for run in runs:
        for key, expires in key_expiries(run.results):
            if today <= expires <= horizon:
                purpose = (
                    _("Signature key") if key.get("purpose") == "signature" else _("Encryption key")
                )
                found.append(
                    ExpiringKey(
                        run.onboarding,
                        run.pk,
                        run.environment,
                        purpose,
                        str(key.get("kid", "")),
                        expires,
                    )
                )
    found.sort(key=lambda k: (k.expires, k.onboarding.name, k.environment))
    return found
