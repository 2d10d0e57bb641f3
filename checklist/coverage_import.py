"""The lists a coordination office uploads for the coverage page: the regions it expects
(ARS and name) and, optionally, the Leistungen (Leistungsschlüssel and name).

A file (CSV, like the bulk import, or XLSX) is checked row by row; each bad row gets a
German message naming it, and a file with any bad row changes nothing. A good file replaces
the office's list in one transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from checklist.bulk_import import FileRefused, read_table
from checklist.models import ExpectedLeistung, ExpectedRegion
from fitconnect.constants import LEIKA_KEY_PATTERN
from portal.models import ARS_PATTERN, Organisation

MAX_ROWS = 20000
ARS = re.compile(ARS_PATTERN)
LEIKA_KEY = re.compile(LEIKA_KEY_PATTERN)
REGION_COLUMNS = {
    "ars": (
        "ars",
        "regionalschlüssel",
        "amtlicher regionalschlüssel",
        "amtlicher regionalschlüssel (ars)",
    ),
    "name": ("name", "region", "bezeichnung"),
}
LEISTUNG_COLUMNS = {
    "key": ("leistungsschlüssel", "leistungsschluessel", "schlüssel", "key"),
    "name": ("name", "leistung", "bezeichnung"),
}


@dataclass
class Checked:
    """A file's rows as (first, second) values, or the German reasons per bad row."""

    values: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _rows(
    filename: str, content: bytes, columns: dict[str, tuple[str, ...]], first: str
) -> list[tuple[int, str, str]]:
    table = read_table(filename, content)
    if not table:
        raise FileRefused(_("The file is empty."))
    header = [cell.strip().lower() for cell in table[0]]
    positions = {}
    for key, names in columns.items():
        found = next((i for i, cell in enumerate(header) if cell in names), None)
        if found is not None:
            positions[key] = found
    if first not in positions:
        raise FileRefused(
            _("The first row must name the columns; missing: %(columns)s.")
            % {"columns": columns[first][0].upper() if first == "ars" else "Leistungsschlüssel"}
        )
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        values = {key: (cells[i] if i < len(cells) else "").strip() for key, i in positions.items()}
        rows.append((number, values.get(first, ""), values.get("name", "")))
    if not rows:
        raise FileRefused(_("The file has no rows below the column names."))
    if len(rows) > MAX_ROWS:
        raise FileRefused(
            _("The file has %(count)d rows; at most %(max)d are read at once.")
            % {"count": len(rows), "max": MAX_ROWS}
        )
    return rows


def check_regions(office: Organisation, filename: str, content: bytes) -> Checked:
    """Every row an ARS of the office's area with a name, each ARS once."""
    checked = Checked()
    seen: dict[str, int] = {}
    area = [str(region) for region in office.regions or []]
    for number, ars, name in _rows(filename, content, REGION_COLUMNS, "ars"):
        reasons = []
        if not ars:
            reasons.append(_("The ARS is missing."))
        elif not ARS.match(ars):
            reasons.append(
                _(
                    "“%(ars)s” is not an ARS: it has 2 (Land), 3 (Regierungsbezirk), "
                    "5 (Kreis), 9 (Gemeindeverband) or 12 (Gemeinde) digits."
                )
                % {"ars": ars}
            )
        elif area and not any(ars.startswith(region) for region in area):
            reasons.append(
                _("The region %(ars)s is not in your office's area (%(area)s).")
                % {"ars": ars, "area": ", ".join(area)}
            )
        elif ars in seen:
            reasons.append(
                _("The ARS %(ars)s is already in row %(row)d.") % {"ars": ars, "row": seen[ars]}
            )
        if not name:
            reasons.append(_("The name of the region is missing."))
        elif len(name) > 200:
            reasons.append(_("The name is longer than 200 characters."))
        if reasons:
            checked.errors.append(
                _("Row %(number)d: %(reasons)s") % {"number": number, "reasons": " ".join(reasons)}
            )
        else:
            seen[ars] = number
            checked.values.append((ars, name))
    return checked


def check_leistungen(filename: str, content: bytes) -> Checked:
    """Every row a Leistungsschlüssel (14 digits, starting with 99), each once."""
    checked = Checked()
    seen: dict[str, int] = {}
    for number, key, name in _rows(filename, content, LEISTUNG_COLUMNS, "key"):
        reasons = []
        if not key:
            reasons.append(_("The Leistungsschlüssel is missing."))
        elif not LEIKA_KEY.match(key):
            reasons.append(
                _("“%(key)s” is not a Leistungsschlüssel: it has 14 digits and starts with 99.")
                % {"key": key}
            )
        elif key in seen:
            reasons.append(
                _("The Leistungsschlüssel %(key)s is already in row %(row)d.")
                % {"key": key, "row": seen[key]}
            )
        if len(name) > 200:
            reasons.append(_("The name is longer than 200 characters."))
        if reasons:
            checked.errors.append(
                _("Row %(number)d: %(reasons)s") % {"number": number, "reasons": " ".join(reasons)}
            )
        else:
            seen[key] = number
            checked.values.append((key, name))
    return checked


@transaction.atomic
def replace_regions(office: Organisation, values: list[tuple[str, str]]) -> int:
    """Replace the office's expected regions (all or nothing)."""
    ExpectedRegion.objects.filter(office=office).delete()
    ExpectedRegion.objects.bulk_create(
        [ExpectedRegion(office=office, ars=ars, name=name) for ars, name in values]
    )
    return len(values)


@transaction.atomic
def replace_leistungen(office: Organisation, values: list[tuple[str, str]]) -> int:
    """Replace the office's expected Leistungen (all or nothing; none: those of its area)."""
    ExpectedLeistung.objects.filter(office=office).delete()
    ExpectedLeistung.objects.bulk_create(
        [ExpectedLeistung(office=office, key=key, name=name) for key, name in values]
    )
    return len(values)
