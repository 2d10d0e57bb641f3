"""What a person keeps of the overview: large exports the worker built, and saved filters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Organisation


class FileExport(models.Model):
    """The overview as a file, built by the background worker when it is large, or the
    management report as PDF (``checklist.export_tasks``). The file is kept as built: the
    download is exactly it."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        PDF = "pdf", "PDF"  # the management report (checklist.management_report)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # The organisation chosen in the session when it was requested (its view of the
    # overview); empty for a site operator without one.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The overview's query string (filters and sort), or the report's (month and filters).
    query = models.TextField(blank=True)
    format = models.CharField(max_length=4, choices=Format.choices)
    content = models.BinaryField(null=True, blank=True, editable=False)
    content_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    rows = models.PositiveIntegerField(null=True, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.requested_by} – {self.format} – {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def ready(self) -> bool:
        return self.finished_at is not None and not self.failed


class SavedFilter(models.Model):
    """A filter of the overview a person saved under a name; only she sees it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.TextField(blank=True)  # the overview's query string
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_filter_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.name}"
