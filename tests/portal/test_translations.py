"""The compiled German catalogue is committed, so a production install without make speaks German.

The portal's pages, e-mails and ``export_checklist`` need ``django.mo``; a production install
runs pip, migrate, collectstatic and gunicorn, never ``compilemessages`` (which would also
need GNU gettext on the server). So the ``.mo`` is part of the repository and must match
the ``.po`` it was compiled from.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "portal" / "locale" / "de" / "LC_MESSAGES"

Entries = dict[tuple[str, str, str], tuple[str, tuple[tuple[int, str], ...]]]


def entries(catalogue: Iterable[polib.POEntry | polib.MOEntry]) -> Entries:
    return {
        (entry.msgctxt or "", entry.msgid, entry.msgid_plural or ""): (
            entry.msgstr,
            tuple(sorted((int(k), v) for k, v in entry.msgstr_plural.items())),
        )
        for entry in catalogue
    }


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    po = polib.pofile(str(CATALOGUE / "django.po"))
    mo = polib.mofile(str(CATALOGUE / "django.mo"))
    compiled = [e for e in po.translated_entries() if not e.fuzzy and not e.obsolete]
    assert entries(mo) == entries(compiled), (
        "portal/locale/de/LC_MESSAGES/django.mo is not up to date with django.po: "
        "run `make compilemessages` and commit django.mo."
    )


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout"
)
def test_the_compiled_catalogue_is_not_git_ignored() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "--quiet", str(CATALOGUE / "django.mo")],
        cwd=ROOT,
        check=False,
    )
    assert ignored.returncode == 1, "django.mo must be committed, not ignored"
