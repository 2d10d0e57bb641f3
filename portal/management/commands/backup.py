"""Write an encrypted backup of the portal's database (see ``portal.backup``)."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal import backup


class Command(BaseCommand):
    help = "Write an encrypted backup (BACKUP_KEY) of the database to --output."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--output", required=True, help="the file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"])
        try:
            data = backup.create()
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        partial = output.with_name(output.name + ".partial")
        try:
            # Readable by the owner only; renamed into place once complete.
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            partial.replace(output)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}") from error
        self.stdout.write(f"Backup written to {output} ({len(data)} bytes, encrypted).")
