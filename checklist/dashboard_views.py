"""The dashboard page: the home of coordination offices and site operators."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from checklist import dashboard
from checklist.bulk_import import importer_scope
from checklist.coordination import is_operator
from checklist.dashboard_filters import dashboard_selection
from portal.types import AuthenticatedHttpRequest
from watch import summary as watch_summary


def steers(request: AuthenticatedHttpRequest) -> bool:
    """Whether the person's home is the dashboard: a site operator, or a member of a
    coordination office (the organisation chosen in the session)."""
    membership = request.membership
    if membership is not None and membership.organisation.is_coordination:
        return True
    return is_operator(request.user) and membership is None


def render_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    chosen = dashboard_selection(request)
    context = dashboard.dashboard(chosen.onboardings, chosen.months, chosen.filters)
    context["organisation"] = chosen.organisation
    context["form"] = chosen.form
    context["filtered"] = chosen.filtered
    context["query"] = chosen.query
    context["operator"] = is_operator(request.user)
    context["can_import"] = importer_scope(request.user, request.memberships) is not None
    # The production watch's connections by state (one statement, on its stored summary).
    context["watch"] = watch_summary.counts(chosen.onboardings.values("pk"))
    return render(request, "checklist/dashboard.html", context)


@login_required
@require_GET
def dashboard_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not steers(request):
        raise Http404
    return render_dashboard(request)
