"""The overview as CSV and XLSX, with the filters and the sort of the page that links here
(the views: ``checklist.file_export_views``).

Rows come from the stored summary in one query, streamed (CSV) or written row by row
(openpyxl's write-only mode), so that thousands of onboardings cost no memory per row
beyond the row itself. A value a spreadsheet would read as a formula is written as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from checklist import overview
from checklist.models import Environment
from checklist.state import describe_next_action

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def headers() -> list[str]:
    return [
        _("Fachverfahren"),
        _("Authority"),
        _("Amtlicher Regionalschlüssel (ARS)"),
        _("IT service provider"),
        _("Current step"),
        _("Progress (%)"),
        _("Target go-live"),
        *[_("Sign-off %(stage)s") % {"stage": stage.label} for stage in Environment],
        _("Next action"),
    ]


def _signoff_words() -> dict[str, str]:
    words = {key: str(label) for key, label in overview.SIGNOFF_STATES}
    words[""] = _("not declared")
    return words


def rows(onboardings: Any) -> Iterator[list[Any]]:
    """One list of cells per onboarding, in the overview's order (dates as dates)."""
    words = _signoff_words()
    columns = (
        "name",
        "in_house",
        "target_go_live",
        "authority__name",
        "authority__ars",
        "provider__name",
        "progress_percent",
        "current_step",
        "signoff_test",
        "signoff_reference",
        "signoff_production",
        "next_action",
        "next_action_item",
    )
    for row in onboardings.values(*columns).iterator(chunk_size=1000):
        step = row["current_step"]
        provider = row["provider__name"] or (_("in-house") if row["in_house"] else "")
        yield [
            row["name"],
            row["authority__name"],
            row["authority__ars"],
            provider,
            _("Step %(number)d") % {"number": step} if step else _("Live"),
            row["progress_percent"],
            row["target_go_live"],
            *[words.get(row[f"signoff_{stage.value}"], "") for stage in Environment],
            describe_next_action(step, row["next_action"], row["next_action_item"]),
        ]


def safe(value: Any) -> Any:
    """A text a spreadsheet would run as a formula is kept as text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def filename(extension: str) -> str:
    return f"anbindungsvorhaben-{timezone.localdate().isoformat()}.{extension}"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(onboardings: Any) -> Iterator[str]:
    """The CSV as German spreadsheets open it: UTF-8 with BOM, semicolons, dates DD.MM.YYYY."""
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow(headers())
    for cells in rows(onboardings):
        yield writer.writerow(
            [
                value.strftime("%d.%m.%Y") if isinstance(value, date) else safe(value)
                for value in cells
            ]
        )


def xlsx_bytes(onboardings: Any) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Onboardings"))
    sheet.append(headers())
    for cells in rows(onboardings):
        sheet.append([safe(value) for value in cells])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
