"""Run the production watch's cycle once (it also runs with ``run_scheduled_jobs``).

``--due-now`` makes every watched destination due first: after a restart, or for the demo
once the sandbox answers. Safe beside other workers: each destination is checked once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from watch.cycle import run_cycle
from watch.models import WatchDestination


class Command(BaseCommand):
    help = "Check every watched production connection that is due (the watch's cycle)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--due-now", action="store_true", help="Make every watched destination due first."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["due_now"]:
            WatchDestination.objects.filter(active=True).update(next_check_at=now)
        checked = run_cycle(now)
        self.stdout.write(f"Watched connections checked: {checked}")
