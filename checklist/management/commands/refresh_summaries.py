"""Recompute the summary the overview shows for every onboarding."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from checklist.summary import refresh_all


class Command(BaseCommand):
    help = (
        "Recompute progress, current step, sign-off states and next action of every onboarding "
        "(after data was changed outside the portal)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        changed = refresh_all()
        self.stdout.write(f"{changed} onboarding(s) updated.")
