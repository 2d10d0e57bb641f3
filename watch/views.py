"""The Betrieb page of an onboarding, and the outages its provider records there."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from checklist.access import Participation
from checklist.view_support import participation_for, require
from portal.types import AuthenticatedHttpRequest
from watch import presentation, services
from watch.forms import OutageForm


def _may_record(participation: Participation) -> bool:
    """The provider's side records outages; readers and the authority read them."""
    return not participation.reader and participation.does_provider_work


def _page(
    request: AuthenticatedHttpRequest,
    participation: Participation,
    form: OutageForm | None = None,
    status: int = 200,
) -> HttpResponse:
    may_record = _may_record(participation)
    return render(
        request,
        "watch/betrieb.html",
        {
            "onboarding": participation.onboarding,
            "page": presentation.build(participation.onboarding),
            "may_record": may_record,
            "form": form or (OutageForm() if may_record else None),
        },
        status=status,
    )


@login_required
@require_GET
def watch_page(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _page(request, participation_for(request, slug))


@login_required
@require_POST
def outage_record(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    participation = participation_for(request, slug)
    require(_may_record(participation))
    form = OutageForm(request.POST)
    if not form.is_valid():
        return _page(request, participation, form, status=400)
    services.record_outage(form.instance, participation.onboarding, request.user)
    messages.success(request, _("The outage is recorded."))
    return redirect("watch_page", slug=slug)


@login_required
@require_POST
def outage_deactivated(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The provider confirms that the Zustellpunkt was deactivated for a long outage."""
    participation = participation_for(request, slug)
    require(_may_record(participation))
    services.confirm_deactivated(participation.onboarding, pk, request.user)
    messages.success(request, _("Recorded: the Zustellpunkt is deactivated."))
    return redirect("watch_page", slug=slug)
