"""Restore the portal's database from an encrypted backup (see ``portal.backup``)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal import backup


class Command(BaseCommand):
    help = "Replace the database's contents with an encrypted backup (BACKUP_KEY)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("backup", help="the backup file written by manage.py backup")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask before replacing the database",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["backup"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        try:
            manifest, _dump = backup.read_manifest(data)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        if options["interactive"]:
            answer = input(
                f"Replace everything in the database with the backup of "
                f"{manifest['created_at']}? Type 'yes' to continue: "
            )
            if answer != "yes":
                raise CommandError("Restore cancelled.")
        try:
            backup.restore(data)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored the backup of {manifest['created_at']}.")
