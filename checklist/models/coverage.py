"""What a coordination office expects to be connected, and what FIT-Connect's Routing API
answered when the office compared it (``checklist.coverage``, ``checklist.routing_comparison``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Organisation


class ExpectedRegion(models.Model):
    """A region (ARS) a coordination office expects every Leistung to be connected for."""

    office = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="expected_regions"
    )
    ars = models.CharField(_("Amtlicher Regionalschlüssel (ARS)"), max_length=12)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("expected region")
        verbose_name_plural = _("expected regions")
        ordering = ["ars"]
        constraints = [
            models.UniqueConstraint(fields=["office", "ars"], name="expected_region_unique")
        ]

    def __str__(self) -> str:
        return f"{self.ars} {self.name}"


class ExpectedLeistung(models.Model):
    """A Leistung a coordination office expects in every expected region (optional: without
    any, the Leistungen recorded in the office's area are expected)."""

    office = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="expected_leistungen"
    )
    key = models.CharField(_("Leistungsschlüssel"), max_length=200)
    name = models.CharField(_("name of the service"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("expected service")
        verbose_name_plural = _("expected services")
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["office", "key"], name="expected_leistung_unique")
        ]

    def __str__(self) -> str:
        return self.key


class RoutingComparison(models.Model):
    """One run of "mit FIT-Connect abgleichen": the Routing API asked per Leistung × region."""

    office = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="routing_comparisons"
    )
    environment = models.CharField(max_length=20)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # How many pairs there were, and how many this run asks (at most the configured bound).
    pairs_total = models.PositiveIntegerField(default=0)
    pairs_planned = models.PositiveIntegerField(default=0)
    # A fault that stopped the whole run (no environment set up), in words.
    problem = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["office", "-started_at"], name="routing_comparison_office")]

    def __str__(self) -> str:
        return f"{self.office} {self.started_at:%Y-%m-%d %H:%M}"


class RoutingAnswer(models.Model):
    """What the Routing API answered for one Leistung in one region."""

    class Outcome(models.TextChoices):
        KNOWN = "known", _("routes to a destination known to the portal")
        UNKNOWN = "unknown", _("routes to a destination the portal does not know")
        NOWHERE = "nowhere", _("routes nowhere")
        FAULT = "fault", _("could not ask")

    comparison = models.ForeignKey(
        RoutingComparison, on_delete=models.CASCADE, related_name="answers"
    )
    key = models.CharField(max_length=200)
    ars = models.CharField(max_length=12)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    # The destination IDs the routes name (unknown ones first), and a fault in words.
    destinations = models.JSONField(default=list)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["key", "ars"]
        constraints = [
            models.UniqueConstraint(
                fields=["comparison", "key", "ars"], name="routing_answer_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.ars} {self.outcome}"
