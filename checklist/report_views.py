"""The management report: choose a month, the worker builds the PDF, then download it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from checklist import export_tasks
from checklist.dashboard_filters import dashboard_selection
from checklist.dashboard_views import steers
from checklist.management_report import ReportForm
from portal.types import AuthenticatedHttpRequest


@login_required
@require_http_methods(["GET", "POST"])
def management_report(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET: the month to choose (the dashboard's filters ride along); POST: build it."""
    if not steers(request):
        raise Http404
    chosen = dashboard_selection(request)  # the filters from the query string
    initial = {"month": f"{timezone.localdate():%Y-%m}"}
    form = ReportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        query = chosen.query + ("&" if chosen.query else "") + f"month={form.cleaned_data['month']}"
        membership = request.membership
        export = export_tasks.request_report(
            request.user, membership.organisation if membership else None, query
        )
        return redirect("overview_export_status", export_id=export.pk)
    return render(
        request,
        "checklist/management_report.html",
        {"form": form, "filters": chosen.filters, "query": chosen.query},
    )
