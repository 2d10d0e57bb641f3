"""Run the scheduled jobs once: reminders, expiry warnings, e-mail retries, digests.

Meant for cron, e.g. every 15 minutes. Safe to run on several machines at once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notifications.jobs import run_all, scheduled_jobs


class Command(BaseCommand):
    help = (
        "Send due-date and expiry reminders, retry failed e-mails and send the daily digests "
        "(idempotent; run it from cron)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Hand the jobs to the background worker instead of running them here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = scheduled_jobs.enqueue()
            self.stdout.write(f"Queued for the background worker (task {result.id}).")
            return
        counts = run_all()
        self.stdout.write(
            "Reminders for due steps: {due_dates}, expiry reminders: {expiry}, "
            "e-mails sent again: {retries}, digests: {digests}, "
            "watched connections checked: {watch}, work of lost workers settled: {lost_work}, "
            "retention applied: {retention}".format(**counts)
        )
