"""The production watch: which connections are watched, what each check found per day, and
the outages providers record.

A ``WatchDestination`` exists for every onboarding whose production sign-off is approved
(``watch.cycle.enrol``). ``next_check_at`` is what workers claim: a destination whose time
has come is taken by exactly one worker per cycle. Its ``state`` is the stored summary the
onboarding's page, the overview and the dashboard show without asking the results.

A ``WatchResult`` is one check of one destination on one day (the newest of the day wins):
the state, the message as a code with parameters (rendered in the reader's language where
it is shown) and measured values such as days to expiry or the age of waiting submissions.
It holds ids and dates only: never a secret, never a submission's content.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from checklist.models import Onboarding


class State(models.TextChoices):
    GREEN = "green", _("in order")
    AMBER = "amber", _("attention")
    RED = "red", _("disrupted")
    UNREACHABLE = "unreachable", _("not reachable")


class WatchDestination(models.Model):
    onboarding = models.OneToOneField(
        Onboarding, on_delete=models.CASCADE, related_name="watch", verbose_name=_("onboarding")
    )
    # The environment whose Zustellpunkt is watched: FITKO's production, or (in the demo)
    # the sandbox standing in for it, which the Betrieb page names.
    environment = models.CharField(_("environment"), max_length=20, default="production")
    active = models.BooleanField(_("watched"), default=True)
    next_check_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    checks_done = models.PositiveIntegerField(default=0, editable=False)
    state = models.CharField(max_length=12, choices=State.choices, blank=True)
    state_since = models.DateTimeField(null=True, blank=True)
    # Consecutive cycles in which a check found FIT-Connect not reachable, by check.
    unreachable_cycles = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("watched destination")
        verbose_name_plural = _("watched destinations")
        indexes = [models.Index(fields=["active", "next_check_at"], name="watch_due")]

    def __str__(self) -> str:
        return f"{self.onboarding} ({self.environment})"


class WatchResult(models.Model):
    destination = models.ForeignKey(
        WatchDestination, on_delete=models.CASCADE, related_name="results"
    )
    check_key = models.CharField(max_length=20)
    day = models.DateField()
    checked_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=State.choices)
    # {"code", "params", "text"} as fitconnect.messages stores it.
    message = models.JSONField(default=dict)
    details = models.JSONField(default=list)
    # Measured values: days to expiry, count and age of waiting submissions (ids and dates).
    values = models.JSONField(default=dict)

    class Meta:
        ordering = ["check_key", "-day"]
        constraints = [
            models.UniqueConstraint(
                fields=["destination", "check_key", "day"], name="watch_result_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.destination_id} {self.check_key} {self.day}: {self.state}"


class Outage(models.Model):
    """An outage of the Fachverfahren that the provider recorded, planned or not."""

    class Kind(models.TextChoices):
        PLANNED = "planned", _("planned")
        UNPLANNED = "unplanned", _("unplanned")

    onboarding = models.ForeignKey(Onboarding, on_delete=models.CASCADE, related_name="outages")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    # For an outage longer than FITKO allows: when the provider confirmed that the
    # Zustellpunkt was deactivated, and who.
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-starts_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.onboarding} {self.starts_on}–{self.ends_on or ''}"
