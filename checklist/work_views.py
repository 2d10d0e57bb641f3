"""Views that organise the work: assignees, due dates, the authorities a provider serves."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from checklist import presentation, rules, services
from checklist.access import onboardings_for
from checklist.deadlines import explicit, proposed_dates
from checklist.forms import AssignForm, DeadlinesForm
from checklist.models import Onboarding
from checklist.state import NotAllowed, OnboardingState
from checklist.steps import STEPS
from checklist.view_support import item_or_404, item_response, participation_for, refuse, require
from portal.models import Organisation, Partnership
from portal.types import AuthenticatedHttpRequest


@login_required
@require_POST
def item_assign(request: AuthenticatedHttpRequest, slug: str, key: str) -> HttpResponse:
    participation = participation_for(request, slug)
    item = item_or_404(key)
    onboarding = participation.onboarding
    answer = rules.may_assign(
        participation, OnboardingState(onboarding, light=True).item_view(item)
    )
    if not answer and not answer.forbidden:  # a done item: said on the page
        return refuse(request, participation, item, answer.reason)
    rules.enforce(answer)
    candidates = presentation.assignable_people(onboarding)[item.role]
    form = AssignForm(request.POST, people=candidates)
    if not form.is_valid():
        return refuse(request, participation, item, _("Please choose a person from the list."))
    assignee = form.chosen()
    try:
        services.assign_item(onboarding, item, assignee, request.user)
    except NotAllowed as refusal:
        return refuse(request, participation, item, str(refusal))
    if assignee is None:
        text = _("“%(title)s” is assigned to nobody: the whole side is responsible.")
    else:
        text = _("“%(title)s” is assigned to %(name)s.")
    return item_response(
        request, participation, item, text % {"title": item.title, "name": assignee}
    )


@login_required
@require_http_methods(["GET", "POST"])
def deadlines(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    participation = participation_for(request, slug)
    require(participation.is_authority_member)
    onboarding = participation.onboarding
    stored = explicit(onboarding)
    proposed = proposed_dates(onboarding.target_go_live) if onboarding.target_go_live else {}
    form = DeadlinesForm(request.POST or None, stored=stored, proposed=proposed)
    if request.method == "POST":
        rules.enforce(rules.may_set_due_dates(participation))
        if form.is_valid():
            services.set_due_dates(onboarding, form.dates(), request.user)
            messages.success(request, _("The due dates are saved."))
            return redirect("onboarding_detail", slug=onboarding.slug)
    return render(
        request,
        "checklist/deadlines.html",
        {
            "onboarding": onboarding,
            "form": form,
            "can_manage": bool(rules.may_set_due_dates(participation)),
            "steps": STEPS,
        },
    )


@dataclass
class ServedAuthority:
    authority: Organisation
    providers: set[str] = field(default_factory=set)
    onboardings: list[Onboarding] = field(default_factory=list)


@login_required
@require_GET
def served_authorities(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every authority the user's IT service providers serve, with their onboardings."""
    providers = [m.organisation for m in request.memberships if not m.organisation.is_authority]
    rows: dict[int, ServedAuthority] = {}
    for link in Partnership.objects.filter(provider__in=providers).select_related(
        "authority", "provider"
    ):
        row = rows.setdefault(link.authority_id, ServedAuthority(link.authority))
        row.providers.add(link.provider.name)
    onboardings = (
        onboardings_for(request.user)
        .filter(provider__in=providers)
        .select_related("authority", "provider")
        .order_by("name")
    )
    for onboarding in onboardings:
        row = rows.setdefault(onboarding.authority_id, ServedAuthority(onboarding.authority))
        row.onboardings.append(onboarding)
        if onboarding.provider is not None:
            row.providers.add(onboarding.provider.name)
    return render(
        request,
        "checklist/served_authorities.html",
        {
            "rows": sorted(rows.values(), key=lambda row: row.authority.name),
            "is_provider": bool(providers),
            "several_providers": len(providers) > 1,
        },
    )
