"""The English UI is complete: no German UI text shows on the main pages in English."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from portal.models import User

CATALOGUE = (
    Path(__file__).resolve().parents[2] / "portal" / "locale" / "de" / "LC_MESSAGES" / "django.po"
)


def german_texts() -> set[str]:
    """German translations long enough to be unambiguous and different from their msgid."""
    texts = set()
    for entry in polib.pofile(str(CATALOGUE)):
        if entry.obsolete or entry.msgstr == entry.msgid:
            continue  # no UI text any more, or the same in both languages (a name)
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            plain = re.sub(r"%\(\w+\)[sd]|\{\{[^}]+\}\}|<[^>]+>", "|", text)
            for part in plain.split("|"):
                part = part.strip(" .,:;–-")
                if len(part) >= 14 and part != entry.msgid and " " in part:
                    texts.add(part)
    return texts


@pytest.fixture
def english(db: None) -> Client:
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    client = Client()
    client.force_login(User.objects.get(email="entwicklung@kommunal-it.example"))
    client.post(reverse("set_language"), {"language": "en"})
    return client


PAGES = [
    "/",
    "/vorhaben/",
    "/vorhaben/musterstadt-gewerbe/",
    "/vorhaben/musterstadt-gewerbe/schritt/1/",
    "/vorhaben/musterstadt-gewerbe/schritt/2/",
    "/vorhaben/musterstadt-gewerbe/schritt/3/",
    "/vorhaben/musterstadt-gewerbe/schritt/4/",
    "/vorhaben/musterstadt-gewerbe/schritt/5/",
    "/vorhaben/musterstadt-gewerbe/protokoll/",
    "/vorhaben/musterstadt-gewerbe/umgebung/test/",
    "/vorhaben/schluessel/",
    "/impressum/",
    "/datenschutz/",
    "/barrierefreiheit/",
    "/konto/zwei-faktor/",
]


@pytest.mark.parametrize("path", PAGES)
def test_no_german_ui_text_on_english_pages(english: Client, path: str) -> None:
    response = english.get(path)
    assert response.status_code == 200
    page = html_lib.unescape(response.content.decode())
    assert '<html lang="en">' in page
    leaks = sorted(text for text in german_texts() if text in page)
    assert not leaks, f"German UI text on the English page {path}: {leaks[:10]}"
