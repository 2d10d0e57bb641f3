"""Downloading the overview as CSV or XLSX: at once up to ``INLINE_LIMIT`` rows, above it
built by the worker (``checklist.export_tasks``) behind a page that waits for it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from checklist import export_tasks, overview, overview_export
from checklist.models import FileExport
from checklist.overview_search import selection
from portal.types import AuthenticatedHttpRequest

CONTENT_TYPES: dict[str, str] = {
    FileExport.Format.CSV: "text/csv; charset=utf-8",
    FileExport.Format.XLSX: overview_export.XLSX,
    FileExport.Format.PDF: "application/pdf",
}


def _selected(request: AuthenticatedHttpRequest) -> Any:
    chosen = selection(request)
    onboardings, _sort = overview.sorted_by(chosen.onboardings, request.GET.get("sort", "name"))
    return onboardings


def _large(
    request: AuthenticatedHttpRequest, onboardings: Any, file_format: str
) -> HttpResponse | None:
    """Above the limit: the worker builds the file; the person waits on its page."""
    if onboardings.count() <= export_tasks.INLINE_LIMIT:
        return None
    membership = request.membership
    export = export_tasks.request_overview_export(
        request.user,
        membership.organisation if membership else None,
        request.GET.urlencode(),
        file_format,
    )
    return redirect("overview_export_status", export_id=export.pk)


@login_required
@require_GET
def overview_csv(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    onboardings = _selected(request)
    if waiting := _large(request, onboardings, FileExport.Format.CSV):
        return waiting
    response = StreamingHttpResponse(
        overview_export.csv_lines(onboardings), content_type=CONTENT_TYPES["csv"]
    )
    response["Content-Disposition"] = f'attachment; filename="{overview_export.filename("csv")}"'
    return response


@login_required
@require_GET
def overview_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    onboardings = _selected(request)
    if waiting := _large(request, onboardings, FileExport.Format.XLSX):
        return waiting
    response = HttpResponse(
        overview_export.xlsx_bytes(onboardings), content_type=CONTENT_TYPES["xlsx"]
    )
    response["Content-Disposition"] = f'attachment; filename="{overview_export.filename("xlsx")}"'
    return response


def _own(request: AuthenticatedHttpRequest, export_id: int, *, with_content: bool) -> FileExport:
    """The person's own export, while she still belongs to the organisation it was made for."""
    exports = FileExport.objects.filter(pk=export_id, requested_by=request.user)
    found = (exports if with_content else exports.defer("content")).first()
    if found is None:
        raise Http404
    if found.organisation_id is not None and found.organisation_id not in {
        m.organisation_id for m in request.memberships
    }:
        raise Http404
    return found


@login_required
@require_GET
def overview_export_status(request: AuthenticatedHttpRequest, export_id: int) -> HttpResponse:
    """The page that waits for a large export (htmx polls its status part)."""
    export = _own(request, export_id, with_content=False)
    if export.ready and not request.htmx:
        return redirect("overview_export_download", export_id=export_id)
    template = "checklist/export_wait.html#status" if request.htmx else "checklist/export_wait.html"
    return render(request, template, {"export": export})


@login_required
@require_GET
def overview_export_download(request: AuthenticatedHttpRequest, export_id: int) -> HttpResponse:
    """Exactly the bytes the worker built."""
    export = _own(request, export_id, with_content=True)
    if not export.ready:
        return redirect("overview_export_status", export_id=export_id)
    response = HttpResponse(bytes(export.content or b""), content_type=CONTENT_TYPES[export.format])
    name = f"anbindungsvorhaben-{export.requested_at:%Y-%m-%d}.{export.format}"
    if export.format == FileExport.Format.PDF:
        month = QueryDict(export.query).get("month", "")
        name = f"management-bericht-{month or export.requested_at.strftime('%Y-%m')}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
