"""Fail when a UI text has no German translation.

Runs makemessages, so a text added to a template or to code and not yet extracted
counts as missing too. The catalogue is left as it was unless new texts were found;
then it keeps them, ready to translate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

IGNORE = [".venv/*", "var/*", "tests/*", "staticfiles/*", "node_modules/*"]


class Command(BaseCommand):
    help = "Check that every UI text has a German translation."

    def handle(self, *args: Any, **options: Any) -> None:
        catalogue = Path(settings.LOCALE_PATHS[0]) / "de" / "LC_MESSAGES" / "django.po"
        before = catalogue.read_bytes()
        known = {entry.msgid for entry in polib.pofile(str(catalogue))}
        call_command(
            "makemessages", locale=["de"], no_location=True, ignore_patterns=IGNORE, verbosity=0
        )
        po = polib.pofile(str(catalogue))
        current = [entry for entry in po if not entry.obsolete]
        new = [entry.msgid for entry in current if entry.msgid not in known]
        untranslated = [e.msgid for e in current if not e.translated() or "fuzzy" in e.flags]
        if not new:
            catalogue.write_bytes(before)  # keep the file byte-identical when nothing changed
        if untranslated:
            listing = "\n".join(f"  - {msgid!r}" for msgid in untranslated)
            raise CommandError(
                f"{len(untranslated)} UI text(s) have no German translation in {catalogue}:\n"
                f"{listing}\nTranslate them and run the check again."
            )
        self.stdout.write(f"All {len(current)} UI texts are translated into German.")
