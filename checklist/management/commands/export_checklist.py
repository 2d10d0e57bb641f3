"""Export an onboarding's checklist and go-live record (or the blank checklist) as PDF."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from checklist import export
from checklist.models import Onboarding
from portal.converters import parse_id


class Command(BaseCommand):
    help = "Write the checklist PDF of an onboarding (slug or id), or the blank checklist."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("onboarding", nargs="?", help="slug or numeric id of the onboarding")
        parser.add_argument("--output", required=True, help="where to write the PDF")
        parser.add_argument("--blank", action="store_true", help="the blank checklist instead")

    def handle(self, *args: Any, **options: Any) -> None:
        reference: str | None = options["onboarding"]
        if options["blank"]:
            if reference:
                raise CommandError("Give either an onboarding or --blank, not both.")
            pdf = export.export_blank()
        else:
            if not reference:
                raise CommandError("Name the onboarding by slug or id, or use --blank.")
            pk = parse_id(reference)
            lookup = {"pk": pk} if pk is not None else {"slug": reference}
            onboarding = Onboarding.objects.filter(**lookup).first()
            if onboarding is None:
                raise CommandError(f"There is no onboarding {reference!r}.")
            pdf = export.export_record(onboarding)
        output = Path(options["output"])
        try:
            output.write_bytes(pdf)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}") from error
        self.stdout.write(f"Wrote {output} ({len(pdf) // 1024} KiB).")
