"""The shipped LeiKa extract: well-formed, sourced, and searchable."""

from __future__ import annotations

import re

from checklist import leika
from checklist.validators import is_leika_key


def test_every_entry_is_a_valid_key_with_a_name_and_a_public_source() -> None:
    entries = leika.entries()
    assert len(entries) >= 15
    assert len({entry.key for entry in entries}) == len(entries)
    for entry in entries:
        assert is_leika_key(entry.key), entry
        assert entry.name, entry
        assert entry.name.strip() == entry.name, entry
        assert re.match(
            r"^https://(fimportal\.de|pvog\.fitko\.net|verwaltung\.bund\.de)/", entry.source
        ), entry


def test_keys_the_issue_found_unsourced_are_not_in_the_extract() -> None:
    keys = {entry.key for entry in leika.entries()}
    for unsourced in (
        "99050035001000",
        "99016001001000",
        "99107005001000",
        "99010003001000",
        "99036003001000",
    ):
        assert unsourced not in keys


def test_lookup_and_search() -> None:
    gewerbe = leika.lookup(" 9905 0012 1040 00 ")
    assert gewerbe is not None
    assert gewerbe.name == "Gewerbe anmelden"
    assert leika.lookup("99999999999999") is None
    assert [e.key for e in leika.search("991070320")] == [
        "99107032017002",
        "99107032017004",
        "99107032017005",
        "99107032017006",
    ]
    assert [e.key for e in leika.search("hundesteuer")] == ["99102013104000"]
    assert leika.search("   ") == []
