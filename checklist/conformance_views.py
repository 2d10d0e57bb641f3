"""The "Konformität prüfen" section of steps 3 and 4, its progress and a run's page.

A conformance run runs in the background worker (``checklist.tasks.run_conformance``); the
section polls it (htmx) and shows each case as it is answered; without JavaScript a reload
of the step page shows it. The provider side starts it, like the connection checks.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from checklist import conformance, lost_work, rules, tasks
from checklist.access import Participation
from checklist.conformance_panels import may_run, run_context
from checklist.environments import get_environment
from checklist.models import ConformanceRun, FitConnectEnvironment
from checklist.view_support import participation_for
from portal.types import AuthenticatedHttpRequest

ANCHOR = "#konformitaet"


@login_required
@require_POST
def conformance_start(
    request: AuthenticatedHttpRequest, slug: str, environment: str
) -> HttpResponse:
    env = get_environment(environment)
    participation = participation_for(request, slug)
    rules.enforce(rules.may_start_run(participation))
    if not may_run(env):
        raise Http404
    step_url = reverse("step", args=[slug, env.step]) + ANCHOR
    record = participation.onboarding.environments.filter(environment=env.key).first()
    if record is None or not record.destination_id:
        messages.error(request, _("Please record the Zustellpunkt ID of this environment first."))
        return redirect(step_url)
    run = tasks.begin_conformance(participation.onboarding, env, request.user)
    if request.htmx:
        return render(
            request,
            "checklist/includes/conformance_progress.html",
            run_context(participation, run),
        )
    if run.finished_at is None:
        messages.info(request, _("The conformance run is running; this page shows its progress."))
    return redirect(step_url)


def _run(participation: Participation, run_id: int) -> ConformanceRun:
    run = (
        participation.onboarding.conformance_runs.filter(pk=run_id)
        .select_related("started_by", "started_by_token__organisation")
        .first()
    )
    if run is None:
        raise Http404
    lost_work.settle_conformance(run)  # resumed or aborted if its worker was lost
    return run


@login_required
@require_GET
def conformance_progress(request: AuthenticatedHttpRequest, slug: str, run_id: int) -> HttpResponse:
    """The run's progress for the polling box; the step page without htmx."""
    participation = participation_for(request, slug)
    run = _run(participation, run_id)
    if not request.htmx:
        env = FitConnectEnvironment.objects.filter(key=run.environment).first()
        step = env.step if env is not None else 3
        return redirect(reverse("step", args=[slug, step]) + ANCHOR)
    return render(
        request, "checklist/includes/conformance_progress.html", run_context(participation, run)
    )


@login_required
@require_GET
def conformance_run(request: AuthenticatedHttpRequest, slug: str, run_id: int) -> HttpResponse:
    participation = participation_for(request, slug)
    run = _run(participation, run_id)
    context = run_context(participation, run) | {"summary": conformance.summary_line(run)}
    return render(request, "checklist/conformance_run_detail.html", context)


@login_required
@require_POST
def conformance_look_again(
    request: AuthenticatedHttpRequest, slug: str, run_id: int
) -> HttpResponse:
    """Look again for answers that came after the waiting time (the provider side)."""
    participation = participation_for(request, slug)
    rules.enforce(rules.may_start_run(participation))
    run = _run(participation, run_id)
    if tasks.look_again(run):
        messages.info(request, _("The portal looks again for the Fachverfahren's answers."))
    env = FitConnectEnvironment.objects.filter(key=run.environment).first()
    return redirect(reverse("step", args=[slug, env.step if env is not None else 3]) + ANCHOR)
