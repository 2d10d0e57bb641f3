"""A small, sourced extract of Leistungsschlüssel and their names (``data/leika.csv``).

It helps a clerk find a key while typing and see which service a key stands for; it is not
a full catalogue, so an unknown key is never refused because of it (see ``data/README.md``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LEIKA_FILE = Path(__file__).with_name("data") / "leika.csv"


@dataclass(frozen=True)
class LeikaEntry:
    key: str
    name: str
    source: str


@cache
def entries() -> tuple[LeikaEntry, ...]:
    """Return every entry of the extract, ordered by key (read once per process)."""
    with LEIKA_FILE.open(encoding="utf-8", newline="") as file:
        rows = [LeikaEntry(r["key"], r["name"], r["source"]) for r in csv.DictReader(file)]
    return tuple(sorted(rows, key=lambda entry: entry.key))


def lookup(key: str) -> LeikaEntry | None:
    """Return the entry of a Leistungsschlüssel, or None if the extract does not have it."""
    key = "".join(key.split())
    return next((entry for entry in entries() if entry.key == key), None)


def search(query: str, limit: int = 10) -> list[LeikaEntry]:
    """Return entries whose key starts with the digits or whose name has all the words."""
    compact = "".join(query.split())
    if not compact:
        return []
    if compact.isdigit():
        return [entry for entry in entries() if entry.key.startswith(compact)][:limit]
    words = query.casefold().split()
    return [e for e in entries() if all(word in e.name.casefold() for word in words)][:limit]
