"""Notifications: one row per person and event, shown in the inbox and sent by e-mail.

A notification stores what happened as a kind with parameters and is described in the
reader's language when shown or sent. Its e-mail delivery state is kept on the row, so a
failed send is retried later and never loses the notification.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from checklist.access import takes_part
from checklist.models import Onboarding


class Kind(models.TextChoices):
    SIGNOFF_REQUESTED = "signoff_requested", _("Ready for sign-off: your approval is needed")
    SIGNOFF_APPROVED = "signoff_approved", _("Sign-off approved")
    SIGNOFF_RETURNED = "signoff_returned", _("Sign-off sent back")
    SIGNOFF_INVALIDATED = "signoff_invalidated", _("Sign-off invalid after a change")
    ASSIGNED = "assigned", _("An item was assigned to you")
    MENTIONED = "mentioned", _("You were mentioned in a comment")
    COMMENTED = "commented", _("New comment on an item assigned to you")
    VERIFICATION_FAILED = "verification_failed", _("Connection check failed")
    DUE_SOON = "due_soon", _("Step due in 7 days")
    OVERDUE = "overdue", _("Step overdue")
    KEY_EXPIRING = "key_expiring", _("Key or certificate expires soon")
    HOSTS_CHANGED = "hosts_changed", _("Addresses of an environment changed")
    REMINDER = "reminder", _("Reminder of the open work of an onboarding")
    WATCH_RED = "watch_red", _("Production watch: a connection is disrupted")
    WATCH_EXPIRING = "watch_expiring", _("Production watch: a key expires soon")
    WATCH_WAITING = "watch_waiting", _("Production watch: submissions are not picked up")
    WATCH_OUTAGE = "watch_outage", _("Production watch: an outage requires deactivation")
    WATCH_DIGEST = "watch_digest", _("Production watch: daily overview for coordination offices")


class Channel(models.TextChoices):
    IMMEDIATE = "immediate", _("E-mail at once")
    DIGEST = "digest", _("Daily digest e-mail")
    OFF = "off", _("No e-mail")


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_participants(self) -> NotificationQuerySet:
        """Only notifications whose recipient still takes part in their onboarding.

        Somebody who left the organisation, or whose provider no longer works on the
        onboarding, neither sees nor receives what happens there any more: the inbox, the
        unread count, every e-mail and digest ask this (one subquery in the same statement).
        """
        return self.filter(Q(onboarding__isnull=True) | takes_part("recipient_id", "onboarding"))


class Notification(models.Model):
    class Delivery(models.TextChoices):
        PENDING = "pending", _("to be sent")
        SENDING = "sending", _("being sent")
        DIGEST = "digest", _("waits for the daily digest")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed, will be retried")
        NONE = "none", _("no e-mail")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    onboarding = models.ForeignKey(
        Onboarding,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("onboarding"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=500, blank=True)
    # Scheduled reminders carry a key: a second run, or a second worker, finds it taken.
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_state = models.CharField(
        _("e-mail"), max_length=10, choices=Delivery.choices, default=Delivery.NONE
    )
    email_attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    email_sent_at = models.DateTimeField(_("e-mail sent"), null=True, blank=True)
    email_error = models.CharField(_("last send error"), max_length=200, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["email_state", "next_attempt_at"], name="notification_delivery"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_once_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient} – {self.kind} – {self.created_at:%Y-%m-%d %H:%M}"


class Preference(models.Model):
    """How one person wants to hear about one kind of notification."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    channel = models.CharField(_("e-mail"), max_length=10, choices=Channel.choices)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="preference_unique_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.kind}: {self.channel}"


class DigestRun(models.Model):
    """The daily digest of one person on one day: written before sending, so it goes once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_once_per_day")]

    def __str__(self) -> str:
        return f"{self.user} – {self.day}"
