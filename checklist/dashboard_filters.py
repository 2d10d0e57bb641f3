"""The dashboard's filters: region, authority and provider (as the overview searches them)
narrow every figure; a period chooses the months of the go-lives table. In the query
string, so that the page, its CSV and XLSX and the figures' overview links agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from checklist import overview
from checklist.forms import DateInput
from checklist.models import Onboarding
from checklist.overview_search import apply_search, region_field
from portal.forms_renderer import KernFormMixin
from portal.models import Membership, Organisation, User
from portal.types import AuthenticatedHttpRequest

# The overview understands these too: the figures' links carry them on.
PASSED_ON = ("region", "authority_name", "provider_name")
MAX_MONTHS = 36
DATE_ERROR = _("Please enter a date as DD.MM.YYYY, e.g. 31.12.2027.")


class DashboardFilterForm(KernFormMixin, forms.Form):
    region = region_field()
    authority_name = forms.CharField(
        label=_("Authority (name or ARS)"), required=False, max_length=200
    )
    provider_name = forms.CharField(
        label=_("IT service provider (name)"), required=False, max_length=200
    )
    period_from = forms.DateField(
        label=_("Go-lives per month from"),
        required=False,
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        widget=DateInput(),
        error_messages={"invalid": DATE_ERROR},
    )
    period_to = forms.DateField(
        label=_("Go-lives per month until"),
        required=False,
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        widget=DateInput(),
        error_messages={"invalid": DATE_ERROR},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("period_from"), cleaned.get("period_to")
        if start and end:
            if end < start:
                self.add_error(
                    "period_to", _("The end of the period must not lie before its start.")
                )
            elif _month_index(end) - _month_index(start) >= MAX_MONTHS:
                self.add_error(
                    "period_to",
                    _("Please choose a period of at most %(count)d months.")
                    % {"count": MAX_MONTHS},
                )
        return cleaned


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _from_index(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> list[date]:
    """The first day of each month from ``start``'s to ``end``'s."""
    return [_from_index(index) for index in range(_month_index(start), _month_index(end) + 1)]


@dataclass
class DashboardSelection:
    form: DashboardFilterForm
    onboardings: QuerySet[Onboarding]
    organisation: Organisation | None
    months: list[date] | None  # None: the default window
    filters: dict[str, str]  # passed on to the overview's links
    query: str  # the query string of the filters, for the exports' links

    @property
    def filtered(self) -> bool:
        return bool(self.filters) or self.months is not None


def dashboard_selection(request: AuthenticatedHttpRequest) -> DashboardSelection:
    """The onboardings the dashboard counts, narrowed by its filters, and the period."""
    membership = request.membership
    organisation = membership.organisation if membership else None
    return dashboard_select(request.user, request.memberships, organisation, request.GET)


def dashboard_select(
    user: User, memberships: list[Membership], organisation: Organisation | None, data: QueryDict
) -> DashboardSelection:
    """``dashboard_selection`` for a person and the filters (also for the worker)."""
    onboardings = overview.scope(user, memberships, organisation)
    form = DashboardFilterForm(data)
    values = form.cleaned_data if form.is_valid() else {}
    onboardings = apply_search(onboardings, values)
    filters = {name: str(values[name]).strip() for name in PASSED_ON if values.get(name)}
    filters = {name: value for name, value in filters.items() if value}
    months = None
    start: date | None = values.get("period_from")
    end: date | None = values.get("period_to")
    # One end given: a year from it, or up to it.
    if start is not None and end is None:
        end = _from_index(_month_index(start) + 11)
    elif end is not None and start is None:
        start = _from_index(_month_index(end) - 11)
    if start is not None and end is not None:
        months = months_between(start, end)[:MAX_MONTHS]
    kept = data.copy()
    for name in list(kept):
        if name not in (*PASSED_ON, "period_from", "period_to") or not kept[name]:
            kept.pop(name)
    return DashboardSelection(form, onboardings, organisation, months, filters, kept.urlencode())
