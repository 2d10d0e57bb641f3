"""Archive copies: the go-live record as PDF/A-3 with its evidence embedded, kept unchanged."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from checklist.models.onboarding import Environment, Onboarding


class ArchiveCopy(models.Model):
    """One archive copy, written once by the worker (``checklist.archive``) and never changed.

    The onboarding may be removed by retention before the copy's own period ends: the copy
    then keeps its name and slug; the link to the onboarding becomes empty.
    """

    class Reason(models.TextChoices):
        APPROVAL = "approval", _("Sign-off approved")
        ON_DEMAND = "on_demand", _("Requested")
        REMOVAL = "removal", _("Before removal")

    onboarding = models.ForeignKey(
        Onboarding,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="archive_copies",
    )
    onboarding_name = models.CharField(max_length=300, editable=False)
    onboarding_slug = models.SlugField(max_length=100, editable=False)
    reason = models.CharField(max_length=20, choices=Reason.choices, editable=False)
    # The environment whose approval made it (empty for a copy requested by a person).
    environment = models.CharField(
        max_length=20, choices=Environment.choices, blank=True, editable=False
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    pdf = models.BinaryField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.onboarding_slug} – {self.created_at:%Y-%m-%d %H:%M} – {self.sha256[:12]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Write a new copy; an existing one is never changed."""
        if not self._state.adding:
            raise ValueError("An archive copy is never changed.")
        super().save(*args, **kwargs)
