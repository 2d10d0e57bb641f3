"""The dashboard's tables as CSV and XLSX, with the dashboard's filters and period applied.

The same figures as the page (``checklist.dashboard``), one table after another: in the
CSV each under its title (German spreadsheets: UTF-8 with BOM, semicolons, dates
DD.MM.YYYY), in the XLSX one sheet per table. The first lines say what was counted: the
area, the filters, the period and the day.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from checklist import dashboard
from checklist.dashboard_filters import DashboardSelection, dashboard_selection
from checklist.dashboard_views import steers
from checklist.overview_export import XLSX, safe
from portal.types import AuthenticatedHttpRequest


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def _figures(title: str, figures: list[dashboard.Figure]) -> Table:
    table = Table(title, [_("Figure"), _("Onboardings"), _("Of"), _("Share (%)")])
    for figure in figures:
        table.rows.append([figure.label, figure.count, figure.total, figure.percent])
    return table


def tables(context: dict[str, Any]) -> list[Table]:
    """The dashboard's tables, in the page's order, from its context."""
    found = [
        _figures(_("Onboardings by current step"), context["steps"]),
        _figures(_("Sign-offs per stage"), context["approvals"]),
    ]
    lead = Table(
        _("Median lead time to the first sign-off"),
        [_("Stage"), _("Median lead time (days)"), _("Onboardings counted")],
    )
    for entry in context["lead_times"]:
        lead.rows.append([entry.label, entry.median_days, entry.count])
    found.append(lead)
    found.append(_figures(_("Onboardings that need attention"), context["attention"]))
    stuck = Table(
        _("Overdue and blocked"),
        [
            _("Fachverfahren"),
            _("Authority"),
            _("Held by"),
            _("Target go-live"),
            _("Days since the last activity"),
        ],
    )
    for row in context["stuck"]:
        onboarding = row["onboarding"]
        stuck.rows.append(
            [
                onboarding.name,
                onboarding.authority.name,
                row["holder"],
                onboarding.target_go_live,
                row["idle_days"],
            ]
        )
    found.append(stuck)
    keys = Table(
        _("Keys expiring within 30 days"),
        [_("Fachverfahren"), _("Environment"), _("Key"), _("Valid until")],
    )
    for key, environment in context["keys"]:
        keys.rows.append(
            [key.onboarding.name, environment, f"{key.purpose} ({key.kid})", key.expires]
        )
    found.append(keys)
    certificates = Table(
        _("Certificates expiring within 30 days"),
        [_("Fachverfahren"), _("Environment"), _("Valid until")],
    )
    for record, environment in context["expiring"]:
        certificates.rows.append([record.onboarding.name, environment, record.certificate_expiry])
    found.append(certificates)
    failed = Table(
        _("Connection checks failed in the last 7 days"),
        [_("Fachverfahren"), _("Environment"), _("Finished")],
    )
    for run, environment in context["failed"]:
        failed.rows.append([run.onboarding.name, environment, run.finished_at])
    found.append(failed)
    go_lives = Table(_("Go-lives per month"), [_("Month"), _("Planned"), _("Done")])
    for entry in context["go_lives"]:
        go_lives.rows.append([entry["month"].strftime("%m/%Y"), entry["planned"], entry["done"]])
    found.append(go_lives)
    return found


def description(chosen: DashboardSelection, context: dict[str, Any]) -> list[list[str]]:
    """What the file counts: the area, the filters, the period, the day (label, value)."""
    area = chosen.organisation.name if chosen.organisation else _("all authorities")
    words = {
        "region": _("Region (ARS of a Land or Kreis)"),
        "authority_name": _("Authority (name or ARS)"),
        "provider_name": _("IT service provider (name)"),
    }
    filters = "; ".join(f"{words[name]}: {value}" for name, value in chosen.filters.items())
    months = context["go_lives"]
    period = f"{months[0]['month']:%m/%Y} – {months[-1]['month']:%m/%Y}" if months else "–"
    return [
        [_("Dashboard"), area],
        [_("As of"), timezone.localtime().strftime("%d.%m.%Y, %H:%M")],
        [_("Filters"), filters or _("none")],
        [_("Go-lives per month"), period],
        [_("Onboardings counted"), str(context["total"])],
    ]


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%d.%m.%Y, %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if value is None:
        return "–"
    return safe(value)


def csv_text(chosen: DashboardSelection, context: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    for line in description(chosen, context):
        writer.writerow([safe(value) for value in line])
    for table in tables(context):
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.headers)
        for row in table.rows:
            writer.writerow([_cell(value) for value in row])
    return "\ufeff" + buffer.getvalue()


def _sheet_name(title: str, taken: set[str]) -> str:
    name = "".join(c for c in title if c not in "[]:*?/\\")[:31]
    number = 2
    while name in taken:
        name = f"{name[:28]} {number}"
        number += 1
    taken.add(name)
    return name


def xlsx_bytes(chosen: DashboardSelection, context: dict[str, Any]) -> bytes:
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    about = workbook.create_sheet(_sheet_name(_("Dashboard"), taken))
    for line in description(chosen, context):
        about.append([safe(value) for value in line])
    for table in tables(context):
        sheet = workbook.create_sheet(_sheet_name(table.title, taken))
        sheet.append(table.headers)
        for row in table.rows:
            sheet.append(
                [
                    timezone.localtime(v).replace(tzinfo=None)
                    if isinstance(v, datetime)
                    else safe(v)
                    for v in row
                ]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _chosen(request: AuthenticatedHttpRequest) -> tuple[DashboardSelection, dict[str, Any]]:
    if not steers(request):
        raise Http404
    chosen = dashboard_selection(request)
    return chosen, dashboard.dashboard(chosen.onboardings, chosen.months, chosen.filters)


def _filename(extension: str) -> str:
    return f"steuerung-{timezone.localdate().isoformat()}.{extension}"


@login_required
@require_GET
def dashboard_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    chosen, context = _chosen(request)
    response = HttpResponse(csv_text(chosen, context), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return response


@login_required
@require_GET
def dashboard_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    chosen, context = _chosen(request)
    response = HttpResponse(xlsx_bytes(chosen, context), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_filename("xlsx")}"'
    return response
