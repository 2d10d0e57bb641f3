"""Sending notifications by e-mail, through the background worker, with retries.

A notification's e-mail is claimed with one conditional UPDATE before it is sent, so two
workers (or a worker and the cron job) never send it twice. A failed send leaves the
notification in the inbox, marked "failed", and is tried again later: by a deferred task
where the task backend can defer, and in any case by ``run_scheduled_jobs``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.tasks import default_task_backend, task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.describe import describe
from notifications.home import Task
from notifications.models import Notification
from portal.models import User

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# While one sender holds a claimed e-mail nobody else takes it; after this it may.
LEASE = timedelta(minutes=15)
# A pending e-mail that no worker sent within this time is sent by the cron job.
STALE_PENDING = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    """Wait 5, 10, 20, 40 minutes after the first, second, … failed attempt."""
    return timedelta(minutes=5 * 2 ** max(attempts - 1, 0))


def absolute(path: str) -> str:
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}"


def queue(notification: Notification) -> None:
    """Hand the notification's e-mail to the worker (in the caller's transaction)."""
    send_notification.enqueue(notification.pk)


@task()
def send_notification(notification_id: int) -> str:
    """Send one notification's e-mail now, unless somebody else has sent or claimed it."""
    return deliver(notification_id)


def _claim(notification_id: int, now: datetime) -> bool:
    claimable = Q(email_state__in=[Notification.Delivery.PENDING, Notification.Delivery.FAILED])
    claimable |= Q(email_state=Notification.Delivery.SENDING, next_attempt_at__lte=now)
    # Nobody who left the onboarding since the notification was written receives it.
    return (
        Notification.objects.for_participants()
        .filter(claimable, pk=notification_id, email_attempts__lt=MAX_ATTEMPTS)
        .update(
            email_state=Notification.Delivery.SENDING,
            email_attempts=F("email_attempts") + 1,
            next_attempt_at=now + LEASE,
        )
        == 1
    )


def deliver(notification_id: int) -> str:
    now = timezone.now()
    if not _claim(notification_id, now):
        return "skipped"
    notification = Notification.objects.select_related("recipient", "onboarding", "actor").get(
        pk=notification_id
    )
    try:
        single_message(notification).send()
    except Exception as error:  # any failure of the mail system: keep it and try again
        _failed(notification, error)
        return "failed"
    Notification.objects.filter(pk=notification.pk).update(
        email_state=Notification.Delivery.SENT,
        email_sent_at=timezone.now(),
        email_error="",
        next_attempt_at=None,
    )
    return "sent"


def _failed(notification: Notification, error: Exception) -> None:
    attempts = notification.email_attempts
    retry_at = timezone.now() + backoff(attempts)
    logger.warning(
        "E-mail of notification %s failed (attempt %s): %s",
        notification.pk,
        attempts,
        type(error).__name__,
    )
    Notification.objects.filter(pk=notification.pk).update(
        email_state=Notification.Delivery.FAILED,
        email_error=type(error).__name__[:200],
        next_attempt_at=retry_at,
    )
    if attempts < MAX_ATTEMPTS and default_task_backend.supports_defer:
        send_notification.using(run_after=retry_at).enqueue(notification.pk)


def retry_due(now: datetime) -> int:
    """Send the e-mails whose retry time has come, and pending ones no worker took."""
    due = (
        Notification.objects.for_participants()
        .filter(
            Q(email_state=Notification.Delivery.FAILED, next_attempt_at__lte=now)
            | Q(email_state=Notification.Delivery.SENDING, next_attempt_at__lte=now)
            | Q(email_state=Notification.Delivery.PENDING, created_at__lte=now - STALE_PENDING),
            email_attempts__lt=MAX_ATTEMPTS,
        )
        .values_list("pk", flat=True)
    )
    return sum(deliver(pk) == "sent" for pk in list(due))


def portal_name() -> str:
    """The short name that starts every subject line, so people can filter the e-mails."""
    return _("Onboarding portal")


# Composing -----------------------------------------------------------------------------


def _footer_context(user: User) -> dict[str, str]:
    return {
        "name": user.full_name or user.email,
        "settings_link": absolute(reverse("notification_settings")),
        "inbox_link": absolute(reverse("inbox")),
    }


def single_message(notification: Notification) -> EmailMultiAlternatives:
    """Return the e-mail of one notification, in the recipient's language."""
    user = notification.recipient
    with translation.override(user.language or settings.LANGUAGE_CODE):
        text = describe(notification)
        context = {
            **_footer_context(user),
            "text": text,
            "link": absolute(notification.url or reverse("home")),
            "onboarding": notification.onboarding,
        }
        subject = f"[{portal_name()}] {text.title}"
        body = render_to_string("notifications/email/notification.txt", context)
        html = render_to_string("notifications/email/notification.html", context)
    return _message(subject, body, html, user)


def digest_message(
    user: User, notifications: list[Notification], tasks: list[Task]
) -> EmailMultiAlternatives:
    """Return the daily digest: the collected notifications and the open tasks."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        entries = [
            {"text": describe(n), "link": absolute(n.url or reverse("home"))} for n in notifications
        ]
        context = {
            **_footer_context(user),
            "entries": entries,
            "tasks": [
                {"title": f"{t.onboarding.name}: {t.title}", "link": absolute(t.url)} for t in tasks
            ],
            "home_link": absolute(reverse("home")),
        }
        subject = f"[{portal_name()}] " + ngettext(
            "Your daily summary: %(count)d notification",
            "Your daily summary: %(count)d notifications",
            len(entries),
        ) % {"count": len(entries)}
        body = render_to_string("notifications/email/digest.txt", context)
        html = render_to_string("notifications/email/digest.html", context)
    return _message(subject, body, html, user)


def _message(subject: str, body: str, html: str, user: User) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(subject, body, None, [user.email])
    message.attach_alternative(html, "text/html")
    return message
