"""Apply the retention rules now; one summary line per rule (``notifications.retention``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notifications import retention


class Command(BaseCommand):
    help = "Remove what the retention rules name (RETENTION_* settings); one line per rule."

    def handle(self, *args: Any, **options: Any) -> None:
        for line in retention.apply():
            self.stdout.write(line.text)
