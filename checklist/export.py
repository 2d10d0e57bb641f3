"""The checklist and go-live record as PDF, for the authority's files. Never a secret."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone, translation

from checklist import catalogue, verification
from checklist.audit import describe_path, plain_value
from checklist.environments import environment_label, environment_labels
from checklist.models import Comment, Environment, Onboarding, SignOff, VerificationRun
from checklist.pdf import render_html_to_pdf
from checklist.presentation import step_cards
from checklist.state import OnboardingState
from checklist.steps import STEPS
from portal.models import User

ROLE_LABELS = {
    "authority": "Behörde",
    "provider": "IT-Dienstleister",
    "both": "Behörde und IT-Dienstleister",
}


def record_context(
    onboarding: Onboarding, exported_by: User | None, now: datetime
) -> dict[str, Any]:
    """Return everything the record PDF shows, derived once."""
    state = OnboardingState(onboarding)
    comment_counts = dict(
        Comment.objects.filter(item__onboarding=onboarding)
        .values_list("item__key")
        .annotate(count=Count("id"))
    )
    cards = step_cards(state)
    steps = [
        {
            "card": card,
            "rows": [
                {
                    "view": view,
                    "role": ROLE_LABELS[view.item.role],
                    "comments": comment_counts.get(view.item.key, 0),
                }
                for view in state.items(card.step.number)
            ],
        }
        for card in cards
    ]
    environments = [
        {
            "environment": environment,
            "record": state.records.get(environment),
            "signoff": state.signoff(environment),
            "changes": _changes(state.signoff(environment)),
            "evidence_runs": _evidence_runs(state, environment),
            "history": list(
                onboarding.signoffs.filter(environment=environment).select_related(
                    "declared_by", "decided_by"
                )
            ),
        }
        for environment in Environment
    ]
    runs = verification.last_runs(onboarding)
    labels = environment_labels()
    return {
        "onboarding": onboarding,
        "state": state,
        "runs": [(environment_label(env, labels), run) for env, run in runs.items()],
        "steps": steps,
        "overall": state.overall(),
        "current_step": state.current_step(),
        "next_action": state.next_action(),
        "leistungen": state.leistungen,
        "environments": environments,
        "exported_by": exported_by,
        "exported_at": timezone.localtime(now),
    }


def _changes(signoff: SignOff | None) -> list[tuple[str, str, str]]:
    """Return what invalidated a sign-off in words: what, before, after."""
    return [
        (describe_path(change["path"]), plain_value(change["old"]), plain_value(change["new"]))
        for change in (signoff.invalidated_changes if signoff else [])
    ]


def _evidence_runs(state: OnboardingState, environment: Environment) -> list[VerificationRun]:
    """Return the runs whose ticks the environment's items carry, to name their hosts."""
    ids = {
        view.state.done_by_run_id
        for view in state.items(environment.step)
        if view.by_check and view.state.done_by_run_id is not None
    }
    return list(VerificationRun.objects.filter(pk__in=ids).order_by("started_at")) if ids else []


def export_record(onboarding: Onboarding, exported_by: User | None) -> bytes:
    """Return the onboarding's checklist and go-live record as PDF/UA-1, in German."""
    with translation.override("de"):
        context = record_context(onboarding, exported_by, timezone.now())
        return render_html_to_pdf(render_to_string("checklist/pdf/record.html", context))


def export_blank() -> bytes:
    """Return the empty checklist of every catalogue item, for authorities that start on paper."""
    with translation.override("de"):
        cat = catalogue.load()
        steps = [
            {
                "step": step,
                "items": [(item, ROLE_LABELS[item.role]) for item in cat.for_step(step.number)],
            }
            for step in STEPS
        ]
        context = {
            "steps": steps,
            "catalogue_version": cat.version,
            "exported_at": timezone.localtime(),
        }
        return render_html_to_pdf(render_to_string("checklist/pdf/blank.html", context))


def filename(onboarding: Onboarding | None, when: datetime) -> str:
    stamp = timezone.localtime(when).strftime("%Y-%m-%d")
    return (
        f"checkliste-{onboarding.slug}-{stamp}.pdf"
        if onboarding
        else f"checkliste-leer-{stamp}.pdf"
    )
