"""The coverage page of coordination offices and site operators: per Leistung, where a
production connection is signed off; the gaps against the office's expected regions; the
comparison with FIT-Connect's Routing API."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Min, QuerySet
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from checklist import coverage, coverage_import, routing_comparison
from checklist.bulk_import import MAX_BYTES, FileRefused
from checklist.coordination import is_operator
from checklist.coverage_tasks import begin_comparison
from checklist.models import (
    ExpectedLeistung,
    ExpectedRegion,
    Leistung,
    Onboarding,
    RoutingAnswer,
    RoutingComparison,
)
from checklist.overview_export import safe
from portal.forms_renderer import KernFormMixin
from portal.models import Organisation
from portal.types import AuthenticatedHttpRequest

LEISTUNGEN_PER_PAGE = 100


class RegionsForm(KernFormMixin, forms.Form):
    regions_file = forms.FileField(
        label=gettext_lazy("Expected regions (CSV or Excel)"),
        help_text=gettext_lazy(
            "First row: the column names ARS and Name. One region per further row; the file "
            "replaces the list."
        ),
        error_messages={"required": gettext_lazy("Please choose a file.")},
    )


class LeistungenForm(KernFormMixin, forms.Form):
    leistungen_file = forms.FileField(
        label=gettext_lazy("Expected services (CSV or Excel, optional)"),
        help_text=gettext_lazy(
            "First row: the column names Leistungsschlüssel and Name. Without this list, the "
            "services recorded in your area are expected."
        ),
        error_messages={"required": gettext_lazy("Please choose a file.")},
    )


@dataclass
class Reader:
    """Who reads the coverage: an office's member (``office``) or a site operator."""

    office: Organisation | None
    onboardings: QuerySet[Onboarding]
    may_upload: bool


def reader_of(request: AuthenticatedHttpRequest) -> Reader:
    """The chosen coordination office, or the site operator without one; else 404."""
    membership = request.membership
    if membership is not None and membership.organisation.is_coordination:
        office = membership.organisation
        return Reader(office, coverage.office_scope(office), membership.is_admin)
    if is_operator(request.user) and membership is None:
        return Reader(None, Onboarding.objects.all(), False)
    raise Http404


def office_of(request: AuthenticatedHttpRequest) -> Organisation:
    office = reader_of(request).office
    if office is None:
        raise Http404  # the expected lists and comparisons belong to an office
    return office


def _comparison_context(office: Organisation | None) -> dict[str, Any]:
    comparison = (
        RoutingComparison.objects.filter(office=office).select_related("office").first()
        if office is not None
        else None
    )
    context: dict[str, Any] = {
        "comparison": comparison,
        "bound": settings.COVERAGE_ROUTING_MAX_REQUESTS,
        "routing_environment": routing_comparison.environment(),
    }
    if comparison is not None:
        answers = list(comparison.answers.all())
        names = dict(
            ExpectedRegion.objects.filter(
                office=office, ars__in={a.ars for a in answers}
            ).values_list("ars", "name")
        )
        keys = {a.key for a in answers}
        services = dict(
            ExpectedLeistung.objects.filter(office=office, key__in=keys)
            .exclude(name="")
            .values_list("key", "name")
        )
        for key, name in (
            Leistung.objects.filter(
                onboarding__in=coverage.office_scope(comparison.office), key__in=keys
            )
            .values("key")
            .annotate(first=Min("name"))
            .values_list("key", "first")
        ):
            services.setdefault(key, name)
        context["answers"] = [
            (answer, names.get(answer.ars, ""), services.get(answer.key, "")) for answer in answers
        ]
        context["asked"] = len(answers)
        context["counts"] = {
            outcome: sum(1 for a in answers if a.outcome == outcome)
            for outcome in RoutingAnswer.Outcome
        }
        context["outcomes"] = [
            (label, context["counts"][outcome]) for outcome, label in RoutingAnswer.Outcome.choices
        ]
    return context


def render_coverage(
    request: AuthenticatedHttpRequest,
    reader: Reader,
    *,
    regions_form: RegionsForm | None = None,
    leistungen_form: LeistungenForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    office = reader.office
    rows = coverage.per_leistung(reader.onboardings, office)
    names = {row.key: row.name for row in rows}
    leistungen = Paginator(rows, LEISTUNGEN_PER_PAGE).get_page(request.GET.get("leistungen"))
    context: dict[str, Any] = {
        "office": office,
        "operator": office is None,
        "may_upload": reader.may_upload,
        "leistungen": leistungen,
        "leistung_total": len(rows),
        "regions_form": regions_form or RegionsForm(),
        "leistungen_form": leistungen_form or LeistungenForm(),
        "errors": errors or [],
    }
    chosen = request.GET.get("leistung", "")
    if chosen in names:
        context |= _connected_context(request, reader, chosen, names[chosen])
    if office is not None:
        expected_regions = ExpectedRegion.objects.filter(office=office).count()
        expected_leistungen = ExpectedLeistung.objects.filter(office=office).count()
        number = request.GET.get("seite", "1")
        gaps, gap_total, shown = (
            coverage.gap_page(
                reader.onboardings, office, names, int(number) if number.isdigit() else 1
            )
            if expected_regions
            else ([], 0, 1)
        )
        page = Paginator(range(gap_total), coverage.GAPS_PER_PAGE).get_page(shown)
        context |= {
            "expected_regions": expected_regions,
            "expected_leistungen": expected_leistungen,
            "gap_total": gap_total,
            "gap_page": page,
            "gaps": gaps,
        }
        context |= _comparison_context(office)
    return render(request, "checklist/coverage.html", context, status=status)


def _connected_context(
    request: AuthenticatedHttpRequest, reader: Reader, key: str, name: str
) -> dict[str, Any]:
    """One Leistung's regions with a signed-off production connection, one page of them,
    named by the office's expected region or an authority of the area with that ARS."""
    number = request.GET.get("regionen", "1")
    page_number = int(number) if number.isdigit() and int(number) > 0 else 1
    per_page = coverage.GAPS_PER_PAGE
    regions, total = coverage.connected_regions(
        reader.onboardings, key, offset=(page_number - 1) * per_page, limit=per_page
    )
    pages = Paginator(range(total), per_page)
    page = pages.get_page(page_number)
    if page.number != page_number and total:
        regions, total = coverage.connected_regions(
            reader.onboardings, key, offset=page.start_index() - 1, limit=per_page
        )
    wanted = {region.ars for region in regions}
    named = dict(
        Organisation.objects.filter(
            kind=Organisation.Kind.AUTHORITY,
            ars__in=wanted,
            pk__in=reader.onboardings.values("authority_id"),
        ).values_list("ars", "name")
    )
    if reader.office is not None:
        named |= dict(
            ExpectedRegion.objects.filter(office=reader.office, ars__in=wanted).values_list(
                "ars", "name"
            )
        )
    for region in regions:
        region.name = named.get(region.ars, "")
    return {
        "chosen": {"key": key, "name": name},
        "connected": regions,
        "connected_total": total,
        "connected_page": page,
    }


@login_required
@require_GET
def coverage_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render_coverage(request, reader_of(request))


def _upload(
    request: AuthenticatedHttpRequest, form_class: type[forms.Form], field: str
) -> tuple[Reader, forms.Form, str, bytes] | HttpResponse:
    reader = reader_of(request)
    if reader.office is None:
        raise Http404
    if not reader.may_upload:
        return HttpResponse(status=403)
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        return reader, form, "", b""
    upload = form.cleaned_data[field]
    return reader, form, upload.name or "", upload.read(MAX_BYTES + 1)


@login_required
@require_POST
def coverage_regions(request: AuthenticatedHttpRequest) -> HttpResponse:
    got = _upload(request, RegionsForm, "regions_file")
    if isinstance(got, HttpResponse):
        return got
    reader, form, name, content = got
    assert reader.office is not None  # noqa: S101 - _upload refused a reader without office
    if form.is_valid():
        try:
            checked = coverage_import.check_regions(reader.office, name, content)
        except FileRefused as refusal:
            form.add_error("regions_file", str(refusal))
        else:
            if not checked.errors:
                count = coverage_import.replace_regions(reader.office, checked.values)
                messages.success(
                    request, _("%(count)d expected regions have been saved.") % {"count": count}
                )
                return redirect(reverse("coverage") + "#luecken")
            return render_coverage(request, reader, errors=checked.errors)
    return render_coverage(request, reader, regions_form=form)  # type: ignore[arg-type]


@login_required
@require_POST
def coverage_leistungen(request: AuthenticatedHttpRequest) -> HttpResponse:
    got = _upload(request, LeistungenForm, "leistungen_file")
    if isinstance(got, HttpResponse):
        return got
    reader, form, name, content = got
    assert reader.office is not None  # noqa: S101 - _upload refused a reader without office
    if form.is_valid():
        try:
            checked = coverage_import.check_leistungen(name, content)
        except FileRefused as refusal:
            form.add_error("leistungen_file", str(refusal))
        else:
            if not checked.errors:
                count = coverage_import.replace_leistungen(reader.office, checked.values)
                messages.success(
                    request, _("%(count)d expected services have been saved.") % {"count": count}
                )
                return redirect(reverse("coverage") + "#luecken")
            return render_coverage(request, reader, errors=checked.errors)
    return render_coverage(request, reader, leistungen_form=form)  # type: ignore[arg-type]


class _Echo:
    def write(self, value: str) -> str:
        return value


def gap_lines(gaps: Iterator[coverage.Gap]) -> Iterator[str]:
    """The gaps as German spreadsheets open a CSV: UTF-8 with BOM, semicolons."""
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow([_("Leistungsschlüssel"), _("Service"), _("ARS"), _("Region")])
    for gap in gaps:
        yield writer.writerow([safe(gap.key), safe(gap.name), safe(gap.ars), safe(gap.region)])


@login_required
@require_GET
def coverage_gaps_csv(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    reader = reader_of(request)
    office = office_of(request)
    names = {row.key: row.name for row in coverage.per_leistung(reader.onboardings, office)}
    response = StreamingHttpResponse(
        gap_lines(coverage.iter_gaps(reader.onboardings, office, names)),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"abdeckungsluecken-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def coverage_compare(request: AuthenticatedHttpRequest) -> HttpResponse:
    office = office_of(request)
    running = RoutingComparison.objects.filter(office=office, finished_at__isnull=True).first()
    if running is None:
        begin_comparison(office, request.user)
    return redirect(reverse("coverage") + "#abgleich")


@login_required
@require_http_methods(["GET"])
def coverage_progress(request: AuthenticatedHttpRequest, comparison_id: int) -> HttpResponse:
    """The comparison's progress for the polling panel; the page without htmx."""
    office = office_of(request)
    if not RoutingComparison.objects.filter(office=office, pk=comparison_id).exists():
        raise Http404
    if not request.htmx:
        return redirect(reverse("coverage") + "#abgleich")
    context = _comparison_context(office) | {"office": office, "announce": True}
    return render(request, "checklist/includes/coverage_comparison.html", context)
