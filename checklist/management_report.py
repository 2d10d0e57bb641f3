"""The management report: the dashboard's figures, charts and tables for a chosen month, as a
PDF/UA-1 in German (WeasyPrint, ``checklist.pdf``), built by the worker like every PDF.

The figures are those of the dashboard (``checklist.dashboard``) with its filters, as they
stand when the report is built; the go-lives table covers the twelve months up to the
chosen month, and the month's own go-lives (planned and done) head the report. The charts
are the dashboard's SVGs without their links (a PDF has no overview to open), each followed
by the same numbers as a table.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django import forms
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from checklist import dashboard, dashboard_export
from checklist.dashboard_filters import dashboard_select, months_between
from checklist.pdf import render_html_to_pdf
from portal.forms_renderer import KernFormMixin, ListSelect
from portal.models import Membership, Organisation, User

MONTHS_BACK = 24
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
MONTH_NAMES = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)


def month_choices(today: date) -> list[tuple[str, str]]:
    """The months a report may cover: this one and the 24 before it, newest first."""
    first = date(today.year, today.month, 1)
    index = first.year * 12 + first.month - 1
    months = months_between(
        date((index - MONTHS_BACK) // 12, (index - MONTHS_BACK) % 12 + 1, 1), first
    )
    return [(f"{m:%Y-%m}", f"{MONTH_NAMES[m.month - 1]} {m.year}") for m in reversed(months)]


class ReportForm(KernFormMixin, forms.Form):
    month = forms.ChoiceField(
        label=_("Month of the report"),
        widget=ListSelect,
        error_messages={
            "required": _("Please choose the month of the report."),
            "invalid_choice": _("Please choose one of the months listed."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["month"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101
        field.choices = month_choices(timezone.localdate())


def _month(value: str) -> date:
    found = MONTH.match(value)
    if found is None:
        raise ValueError("not a month")
    return date(int(found.group(1)), int(found.group(2)), 1)


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%d.%m.%Y, %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return "–" if value is None else str(value)


def _formatted(table: dashboard_export.Table) -> dashboard_export.Table:
    rows = [[_text(value) for value in row] for row in table.rows]
    return dashboard_export.Table(table.title, table.headers, rows)


def report_html(
    user: User, memberships: list[Membership], organisation: Organisation | None, query: str
) -> str:
    """The report's HTML: the month and the dashboard's filters come from the query string."""
    data = QueryDict(query)
    month = _month(data.get("month", ""))
    chosen = dashboard_select(user, memberships, organisation, data)
    index = month.year * 12 + month.month - 1
    start = date((index - 11) // 12, (index - 11) % 12 + 1, 1)
    with translation.override("de"):
        context = dashboard.dashboard(chosen.onboardings, months_between(start, month), {})
        for chart in (context["step_chart"], context["approval_chart"], context["go_live_chart"]):
            for bar in chart.bars:
                bar.url = ""
        tables = dashboard_export.tables(context)
        about = dashboard_export.description(chosen, context)
        this_month = context["go_lives"][-1]
        return render_to_string(
            "checklist/pdf/management_report.html",
            {
                **context,
                "month_name": f"{MONTH_NAMES[month.month - 1]} {month.year}",
                "this_month": this_month,
                "about": about,
                "lists": [_formatted(table) for table in tables[4:8]],
                "created_at": timezone.localtime(),
            },
        )


def report_pdf(
    user: User, memberships: list[Membership], organisation: Organisation | None, query: str
) -> bytes:
    return render_html_to_pdf(report_html(user, memberships, organisation, query))
