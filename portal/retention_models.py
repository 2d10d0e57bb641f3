"""What the retention rules remember between runs (``notifications.retention``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class InactivityReminder(models.Model):
    """A person told that her account will be deactivated for lack of use.

    ``last_login`` is the sign-in the reminder was about: a sign-in since then cancels it.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    last_login = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user_id} reminded {self.reminded_at:%Y-%m-%d}"


class RetentionRun(models.Model):
    """One day's retention run: written first, so overlapping scheduled runs apply it once."""

    day = models.DateField(unique=True)
    summary = models.JSONField(default=dict)

    def __str__(self) -> str:
        return str(self.day)
