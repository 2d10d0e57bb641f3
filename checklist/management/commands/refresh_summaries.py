"""Recompute the summary the overview shows and the kept due dates of every onboarding."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from checklist import deadlines, summary


class Command(BaseCommand):
    help = (
        "Recompute progress, current step, sign-off states, next action and the set due dates "
        "kept on every onboarding (after data was changed outside the portal)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        changed = summary.refresh_all()
        dates = deadlines.refresh_all()
        self.stdout.write(f"{changed} summaries and {dates} sets of due dates updated.")
