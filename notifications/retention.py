"""Retention: what the portal removes, when, and never what a running onboarding needs.

Each rule removes exactly what it names and reports a count (``apply`` returns them in
order; ``manage.py apply_retention`` prints one line per rule, ``run_scheduled_jobs`` runs
it once a day). The periods are operator settings (``RETENTION_*``, README "Retention").

- Expired or revoked API tokens, some time after the end: removed unless the Protokoll or a
  run names them (who acted stays readable; those are counted as kept).
- Idempotency records of the API: removed after their replay window.
- Read notifications: removed after a while; unread ones stay.
- Request logs: the portal stores none (they go to standard output; the log system
  rotates them), so there is nothing to count.
- Finished onboardings (production signed off, the approval older than the period): an
  archive copy is made first, then the onboarding goes; its archive copies stay.
- Archive copies whose onboarding is gone: removed when their own period ends.
- Accounts without a sign-in for months: reminded by e-mail once, deactivated when the
  reminder had no effect (a sign-in cancels it). Site operators are left alone.

- People who left (inactive, no membership left, no sign-in for a period): anonymised.
  The Protokoll's hash chain covers an entry's actor only by the person's id (a pseudonym,
  ``audit_chain.canonical``), never by name or e-mail, so rewriting the person's row keeps
  every chain verifiable and no entry changes; the Protokoll then shows "Ehemalige Person".
  Text an entry itself holds (comments, old and new values) is covered by the hash and
  stays as it is (README "Retention").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from api.models import IdempotencyRecord
from checklist import archive, audit_chain
from checklist.models import (
    ArchiveCopy,
    AuditEvent,
    ConformanceRun,
    Environment,
    Onboarding,
    SignOff,
    VerificationRun,
)
from notifications.models import Notification
from portal.mail import send_mail_task
from portal.models import ApiToken, InactivityReminder, RetentionRun, User
from sso.models import ExternalIdentity

logger = logging.getLogger(__name__)

YEAR = timedelta(days=365)
MONTH = timedelta(days=30)


@dataclass(frozen=True)
class Line:
    rule: str
    text: str


def purge_api_tokens(now: datetime) -> Line:
    cutoff = now - timedelta(days=settings.RETENTION_API_TOKEN_DAYS)
    ended = ApiToken.objects.filter(Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff))
    named = (
        Q(Exists(AuditEvent.objects.filter(api_token=OuterRef("pk"))))
        | Q(Exists(VerificationRun.objects.filter(started_by_token=OuterRef("pk"))))
        | Q(Exists(ConformanceRun.objects.filter(started_by_token=OuterRef("pk"))))
    )
    kept = ended.filter(named).count()
    removed = ended.exclude(named)
    count = removed.count()
    removed.delete()
    return Line(
        "api_tokens",
        f"Expired API tokens removed: {count} (kept because the Protokoll names them: {kept})",
    )


def purge_idempotency(now: datetime) -> Line:
    cutoff = now - timedelta(hours=settings.RETENTION_IDEMPOTENCY_HOURS)
    count, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return Line("idempotency", f"Idempotency records removed: {count}")


def purge_notifications(now: datetime) -> Line:
    cutoff = now - timedelta(days=settings.RETENTION_NOTIFICATION_DAYS)
    count, _by_model = Notification.objects.filter(read_at__lt=cutoff).delete()
    return Line("notifications", f"Read notifications removed: {count}")


def request_logs() -> Line:
    return Line(
        "request_logs",
        "Request logs removed: 0 (the portal stores none; they go to standard output)",
    )


def finished_onboardings(now: datetime) -> list[Onboarding]:
    """Onboardings whose newest production sign-off is valid and was approved before the
    period. A later declaration (a new round) means work goes on: not finished."""
    cutoff = now - settings.RETENTION_ONBOARDING_YEARS * YEAR
    candidates = Onboarding.objects.filter(
        Exists(
            SignOff.objects.filter(
                onboarding=OuterRef("pk"),
                environment=Environment.PRODUCTION,
                state=SignOff.State.APPROVED,
                decided_at__lt=cutoff,
            )
        )
    )
    finished = []
    for onboarding in candidates:
        latest = onboarding.signoffs.filter(environment=Environment.PRODUCTION).first()
        if (
            latest is not None
            and latest.is_valid
            and latest.decided_at is not None
            and latest.decided_at < cutoff
        ):
            finished.append(onboarding)
    return finished


def remove_onboardings(now: datetime) -> Line:
    removed = 0
    for onboarding in finished_onboardings(now):
        copy = archive.make_copy(onboarding.pk, reason=ArchiveCopy.Reason.REMOVAL.value)
        if copy is None:
            continue
        # The database refuses to delete Protokoll entries except on this released path
        # (``audit_chain.released()``); the archive copy keeps the chain head.
        with transaction.atomic(), audit_chain.released():
            Onboarding.objects.filter(pk=onboarding.pk).delete()
        removed += 1
    return Line("onboardings", f"Finished onboardings archived and removed: {removed}")


def purge_archive_copies(now: datetime) -> Line:
    cutoff = now - settings.RETENTION_ARCHIVE_COPY_YEARS * YEAR
    count, _by_model = ArchiveCopy.objects.filter(
        onboarding__isnull=True, created_at__lt=cutoff
    ).delete()
    return Line("archive_copies", f"Archive copies past their period removed: {count}")


def _remind(user: User) -> None:
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("Your account at the Anbindungsportal will be deactivated")
        body = _(
            "Hello %(name)s,\n\nyou have not signed in to the Anbindungsportal for a long "
            "time. Your account will be deactivated in %(days)d days unless you sign in "
            "before then: %(url)s\n\nAn administrator of your organisation can reactivate "
            "it later."
        ) % {
            "name": user.full_name,
            "days": settings.RETENTION_DEACTIVATE_DAYS,
            "url": f"{settings.PORTAL_BASE_URL.rstrip('/')}/",
        }
    send_mail_task.enqueue(subject, body, [user.email])


def inactive_accounts(now: datetime) -> Line:
    cutoff = now - settings.RETENTION_INACTIVE_MONTHS * MONTH
    idle = (
        User.objects.filter(is_active=True, is_staff=False, is_superuser=False)
        .filter(Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff))
        .order_by("pk")
    )
    reminders = {r.user_id: r for r in InactivityReminder.objects.filter(user__in=idle)}
    reminded = deactivated = 0
    grace = timedelta(days=settings.RETENTION_DEACTIVATE_DAYS)
    for user in idle:
        reminder = reminders.get(user.pk)
        if reminder is not None and reminder.last_login != user.last_login:
            reminder.delete()  # signed in since (and idle again): a new reminder
            reminder = None
        if reminder is None:
            InactivityReminder.objects.create(
                user=user, last_login=user.last_login, reminded_at=now
            )
            _remind(user)
            reminded += 1
        elif reminder.reminded_at <= now - grace:
            User.objects.filter(pk=user.pk).update(is_active=False)
            reminder.delete()
            deactivated += 1
    # A person who signed in again is no longer waiting for deactivation.
    InactivityReminder.objects.exclude(user__in=idle).delete()
    return Line(
        "accounts",
        f"Inactive accounts reminded: {reminded}, deactivated after a reminder: {deactivated}",
    )


ANONYMISED_NAME = "Ehemalige Person"
ANONYMISED_DOMAIN = "anonymisiert.invalid"


def anonymise_people(now: datetime) -> Line:
    """People who left: deactivated, in no organisation, no sign-in for the period.

    Name and e-mail give way to "Ehemalige Person" and an address that cannot be reached,
    the password becomes unusable; their inbox and their link to an identity provider go.
    Site operators are never touched, nor anyone still in an organisation. The person's id
    stays: the Protokoll's chain hashes that, not names.
    """
    cutoff = now - timedelta(days=settings.RETENTION_ANONYMISE_AFTER_DAYS)
    left = (
        User.objects.filter(is_active=False, is_staff=False, is_superuser=False)
        .filter(memberships__isnull=True)
        .filter(Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff))
        .exclude(email__endswith=f"@{ANONYMISED_DOMAIN}")
    )
    count = 0
    for pk in list(left.values_list("pk", flat=True)):
        with transaction.atomic():  # one person entirely or not at all
            User.objects.filter(pk=pk).update(
                full_name=ANONYMISED_NAME,
                email=f"ehemalig-{pk}@{ANONYMISED_DOMAIN}",
                password=make_password(None),
            )
            InactivityReminder.objects.filter(user_id=pk).delete()
            Notification.objects.filter(recipient_id=pk).delete()  # an inbox nobody reads
            ExternalIdentity.objects.filter(user_id=pk).delete()  # the link to the person
        count += 1
    return Line("anonymised", f"People who left anonymised: {count}")


def apply(now: datetime | None = None) -> list[Line]:
    """Apply every rule once; return one line per rule."""
    now = now or timezone.now()
    return [
        purge_api_tokens(now),
        purge_idempotency(now),
        purge_notifications(now),
        request_logs(),
        remove_onboardings(now),
        purge_archive_copies(now),
        inactive_accounts(now),
        anonymise_people(now),
    ]


def apply_daily(now: datetime | None = None) -> int:
    """Apply the rules once a day (from the scheduled jobs); return 1 when it ran now."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            run = RetentionRun.objects.create(day=timezone.localdate(now))
    except IntegrityError:
        return 0
    lines = apply(now)
    RetentionRun.objects.filter(pk=run.pk).update(summary={line.rule: line.text for line in lines})
    for line in lines:
        logger.info("Retention: %s", line.text)
    return 1
