"""Bulk creation of onboardings from a CSV or XLSX file: read, check every row, create all.

A coordination office's administrators create onboardings for the authorities of their
area, site operators for any authority. The file is checked row by row and shown as a
preview with one German message per bad row; only a file without a bad row can be created,
in one transaction, each onboarding through ``services.create_onboarding`` (its audit
entry "created" names the person). Checked again on creation: the world may have moved.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from checklist import services
from checklist.coordination import authorities_q, is_operator
from checklist.models import IN_HOUSE, Onboarding
from portal.models import Membership, Organisation, User

MAX_ROWS = 2000
MAX_BYTES = 2 * 1024 * 1024
# Column headers, German as the template shows them, and the English ones.
COLUMNS = {
    "authority": ("behörde", "behoerde", "authority"),
    "name": ("fachverfahren", "name"),
    "provider": ("it-dienstleister", "dienstleister", "provider", "it service provider"),
    "go_live": ("ziel-go-live", "go-live", "target go-live", "target_go_live"),
}
IN_HOUSE_WORDS = {"in eigenregie", "eigenregie", "in-house", "inhouse", IN_HOUSE}


class FileRefused(ValueError):
    """The file as a whole cannot be read (the message says why, in German)."""


@dataclass
class Row:
    number: int  # as the spreadsheet counts, the header being row 1
    cells: dict[str, str]
    errors: list[str] = field(default_factory=list)
    authority: Organisation | None = None
    provider: Organisation | str | None = None
    go_live: date | None = None

    @property
    def name(self) -> str:
        return self.cells.get("name", "")


def importer_scope(user: User, memberships: list[Membership]) -> Q | None:
    """SQL on authorities: those the person may import onboardings for; None for nobody.

    Site operators: every authority. Administrators of a coordination office: its area.
    """
    if is_operator(user):
        return Q(kind=Organisation.Kind.AUTHORITY)
    condition: Q | None = None
    for membership in memberships:
        office = membership.organisation
        if membership.user_id == user.pk and membership.is_admin and office.is_coordination:
            area = authorities_q(office)
            condition = area if condition is None else condition | area
    return condition


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def read_table(filename: str, content: bytes) -> list[list[str]]:
    """The file's rows as texts (CSV: UTF-8, ``;`` or ``,``; XLSX: the first sheet)."""
    if len(content) > MAX_BYTES:
        raise FileRefused(_("The file is larger than 2 MB. Please split it."))
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            raise FileRefused(_("The file is not an Excel workbook (XLSX).")) from None
        sheet = workbook.worksheets[0]
        table = [[_text(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
        workbook.close()
        return table
    if filename.lower().endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FileRefused(
                _("The CSV file is not in UTF-8. Please save it as “CSV UTF-8”.")
            ) from None
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") >= first.count(",") else ","
        return [
            [cell.strip() for cell in row]
            for row in csv.reader(io.StringIO(text), delimiter=delimiter)
        ]
    raise FileRefused(_("Please upload a CSV or an Excel (XLSX) file."))


def rows_of(table: list[list[str]]) -> list[Row]:
    """The table's data rows by column name; empty rows left out."""
    if not table:
        raise FileRefused(_("The file is empty."))
    header = [cell.strip().lower() for cell in table[0]]
    positions: dict[str, int] = {}
    for key, names in COLUMNS.items():
        found = next((i for i, cell in enumerate(header) if cell in names), None)
        if found is not None:
            positions[key] = found
    missing = [
        names[0].capitalize()
        for key, names in COLUMNS.items()
        if key not in positions and key in ("authority", "name")
    ]
    if missing:
        raise FileRefused(
            _("The first row must name the columns; missing: %(columns)s.")
            % {"columns": ", ".join(missing)}
        )
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        values = {key: (cells[i] if i < len(cells) else "").strip() for key, i in positions.items()}
        rows.append(Row(number, values))
    if not rows:
        raise FileRefused(_("The file has no rows below the column names."))
    if len(rows) > MAX_ROWS:
        raise FileRefused(
            _("The file has %(count)d rows; at most %(max)d are created at once.")
            % {"count": len(rows), "max": MAX_ROWS}
        )
    return rows


def _parse_date(value: str) -> date | None:
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def check(rows: list[Row], scope: Q) -> list[Row]:
    """Check every row; each bad one gets its German reasons. Few queries for any number."""
    authorities = list(Organisation.objects.filter(scope).filter(kind=Organisation.Kind.AUTHORITY))
    by_ars: dict[str, list[Organisation]] = {}
    by_name: dict[str, Organisation] = {}
    for authority in authorities:
        if authority.ars:
            by_ars.setdefault(authority.ars, []).append(authority)
        by_name[authority.name.casefold()] = authority
    wanted = {row.cells.get("provider", "").casefold() for row in rows} - {""}
    providers = {
        p.name.casefold(): p
        for p in Organisation.objects.filter(kind=Organisation.Kind.PROVIDER)
        if p.name.casefold() in wanted
    }
    existing = {
        (authority_id, name.casefold())
        for authority_id, name in Onboarding.objects.filter(authority__in=authorities).values_list(
            "authority_id", "name"
        )
    }
    today = timezone.localdate()
    seen: set[tuple[int, str]] = set()
    for row in rows:
        given = row.cells.get("authority", "")
        if not given:
            row.errors.append(_("The authority is missing (its ARS or name)."))
        elif given.isdigit():
            found = by_ars.get(given, [])
            if len(found) == 1:
                row.authority = found[0]
            elif found:
                row.errors.append(
                    _(
                        "Several authorities of your area have the ARS %(ars)s; "
                        "please give the name."
                    )
                    % {"ars": given}
                )
            else:
                row.errors.append(
                    _("No authority of your area has the ARS %(ars)s.") % {"ars": given}
                )
        else:
            row.authority = by_name.get(given.casefold())
            if row.authority is None:
                row.errors.append(
                    _("No authority of your area is called “%(name)s”.") % {"name": given}
                )
        name = row.name
        if not name:
            row.errors.append(_("The name of the Fachverfahren is missing."))
        elif len(name) > 200:
            row.errors.append(_("The name of the Fachverfahren has more than 200 characters."))
        elif row.authority is not None:
            key = (row.authority.pk, name.casefold())
            if key in existing or key in seen:
                row.errors.append(
                    _("%(authority)s already has an onboarding “%(name)s”.")
                    % {"authority": row.authority.name, "name": name}
                )
            seen.add(key)
        provider = row.cells.get("provider", "")
        if provider.casefold() in IN_HOUSE_WORDS:
            row.provider = IN_HOUSE
        elif provider:
            row.provider = providers.get(provider.casefold())
            if row.provider is None:
                row.errors.append(
                    _("No IT service provider is called “%(name)s” in the portal.")
                    % {"name": provider}
                )
        go_live = row.cells.get("go_live", "")
        if go_live:
            row.go_live = _parse_date(go_live)
            if row.go_live is None:
                row.errors.append(
                    _("“%(value)s” is not a date; please write it as DD.MM.YYYY.")
                    % {"value": go_live}
                )
            elif row.go_live < today:
                row.errors.append(_("The target go-live date lies in the past."))
    return rows


def _unique_slug(authority: Organisation, name: str, taken: set[str]) -> str:
    base = slugify(f"{authority.slug}-{name}")[:90] or "vorhaben"
    slug, number = base, 2
    while slug in taken or Onboarding.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    taken.add(slug)
    return slug


@transaction.atomic
def create(rows: list[Row], creator: User) -> list[Onboarding]:
    """Create an onboarding per row (all rows checked, none bad), all or none."""
    if any(row.errors for row in rows):
        raise ValueError("bad rows")
    taken: set[str] = set()
    created = []
    for row in rows:
        assert row.authority is not None  # noqa: S101 (checked)
        onboarding = Onboarding(
            authority=row.authority,
            name=row.name,
            slug=_unique_slug(row.authority, row.name, taken),
            target_go_live=row.go_live,
        )
        services.apply_provider(onboarding, row.provider if row.provider is not None else None)
        created.append(services.create_onboarding(onboarding, creator))
    return created
