"""Turn onboardings, items, comments and runs into the API's answers (plain dicts)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count

from checklist import conformance, lost_work, rules
from checklist.access import Participation
from checklist.catalogue import Item
from checklist.environments import environment_labels
from checklist.evidence import shown_result
from checklist.models import (
    Comment,
    ConformanceRun,
    Environment,
    FitConnectEnvironment,
    SignOff,
    VerificationRun,
)
from checklist.signoff_evidence import Evidence, evidence_for
from checklist.state import OnboardingState, Progress, describe_next_action
from checklist.steps import STEPS


def _progress(progress: Progress) -> dict[str, int]:
    return {"done": progress.done, "total": progress.total, "percent": progress.percent}


def _side(participation: Participation) -> str:
    if participation.is_authority_member and participation.does_provider_work:
        return "both"
    return "authority" if participation.is_authority_member else "provider"


# What ``onboarding_summary`` reads (a list loads only these).
SUMMARY_COLUMNS = (
    "slug",
    "name",
    "in_house",
    "authority__slug",
    "authority__name",
    "provider__slug",
    "provider__name",
    "current_step",
    "progress_done",
    "progress_total",
    "progress_percent",
    "next_action",
    "next_action_item",
)


def onboarding_summary(participation: Participation) -> dict[str, Any]:
    """An onboarding as the list shows it, from its stored summary (``checklist.summary``):
    no state is built, so a page of 100 costs one query and the rows."""
    onboarding = participation.onboarding
    provider = onboarding.provider
    return {
        "slug": onboarding.slug,
        "name": onboarding.name,
        "authority": {"slug": onboarding.authority.slug, "name": onboarding.authority.name},
        "provider": {"slug": provider.slug, "name": provider.name} if provider else None,
        "in_house": onboarding.in_house,
        "your_side": _side(participation),
        "current_step": onboarding.current_step,
        "progress": {
            "done": onboarding.progress_done,
            "total": onboarding.progress_total,
            "percent": onboarding.progress_percent,
        },
        "next_action": describe_next_action(
            onboarding.current_step, onboarding.next_action, onboarding.next_action_item
        ),
    }


# What the API says of a sign-off (no people: no join).
SIGNOFF_COLUMNS = (
    "onboarding_id",
    "environment",
    "state",
    "declared_at",
    "decided_at",
    "invalidated_at",
    "snapshot_sha256",
    "evidence",
)


def _evidence(signoff: SignOff | None, current: Evidence | None) -> dict[str, Any] | None:
    """The evidence of a valid approval as recorded, of the stage now being signed off as it
    stands (``current``, its state built for that one stage only), of the later stages none."""
    if signoff is not None and signoff.is_valid:
        return signoff.evidence or None  # approved before evidence was recorded: none
    return current.as_data() if current is not None else None


def _signoff(
    signoff: SignOff | None, environment: Environment, current: Evidence | None
) -> dict[str, Any]:
    if signoff is None:
        name = "none"
    elif signoff.invalidated_at is not None:
        name = "invalid"
    else:
        name = signoff.state
    return {
        "environment": environment.value,
        "state": name,
        "declared_at": signoff.declared_at if signoff else None,
        "decided_at": signoff.decided_at if signoff else None,
        "snapshot_sha256": signoff.snapshot_sha256 if signoff and signoff.is_valid else "",
        "evidence": _evidence(
            signoff, current if current is not None and current.environment == environment else None
        ),
    }


def stale_at(evidence: Evidence | None) -> datetime | None:
    """When the evidence's words change by time alone: the newest passed check against the
    stage grows older than the operator's limit (``signoff_evidence._run_refusal``)."""
    if evidence is None or evidence.newest_run is None or not evidence.newest_run.passed:
        return None
    return evidence.newest_run.started_at + timedelta(days=evidence.max_age_days)


def onboarding_detail_until(
    participation: Participation,
) -> tuple[dict[str, Any], datetime | None]:
    """The onboarding as the API shows it, and the moment (if any) at which the same data
    would be shown differently through time alone (besides the day changing)."""
    # From the stored summary (ticks, recorded data, sign-off states, kept with every change
    # in the change's transaction): no item rows, Leistungen or records are read, but for
    # the evidence of the stage now being signed off.
    state = OnboardingState(participation.onboarding, from_summary=True)
    latest: dict[str, SignOff] = {}
    for signoff in participation.onboarding.signoffs.only(*SIGNOFF_COLUMNS):  # newest first
        latest.setdefault(signoff.environment, signoff)
    # The stage now being signed off: the first one without a valid approval.
    current = next(
        (env for env in Environment if not (env in latest and latest[env].is_valid)), None
    )
    evidence = (
        evidence_for(OnboardingState(participation.onboarding), current)
        if current is not None
        else None
    )
    detail = {
        **onboarding_summary(participation),
        "current_step": state.current_step(),
        "progress": _progress(state.overall()),
        "next_action": state.next_action(),
        "target_go_live": participation.onboarding.target_go_live,
        "steps": [
            {
                "number": step.number,
                "title": str(step.title),
                "status": state.status(step.number),
                "progress": _progress(state.progress(step.number)),
                "your_side_works": participation.can_edit_step(step.number),
            }
            for step in STEPS
        ],
        "signoffs": [
            _signoff(latest.get(environment), environment, evidence) for environment in Environment
        ],
    }
    return detail, stale_at(evidence)


def item_rows(
    participation: Participation, state: OnboardingState, items: list[Item]
) -> list[dict[str, Any]]:
    """Return the visible ones of the items, as the API shows them."""
    counts = dict(
        Comment.objects.filter(item__onboarding=participation.onboarding)
        .values_list("item__key")
        .annotate(count=Count("id"))
    )
    rows = []
    for item in items:
        if not state.visible(item):
            continue
        view = state.item_view(item)
        rows.append(
            {
                "key": item.key,
                "step": item.step,
                "title": item.title,
                "side": item.role,
                "completion": item.kind.name,
                "required": item.required,
                "done": view.done,
                "done_by": view.done_by,
                "done_at": view.done_at,
                "note": view.state.note,
                "comments": counts.get(item.key, 0),
                "may_tick": bool(rules.may_tick(participation, state, item)),
                "may_edit_note": bool(rules.may_note(participation, item)),
            }
        )
    return rows


def comment_row(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "author": str(comment.author or comment.author_token or ""),
        "created_at": comment.created_at,
        "text": comment.text,
    }


def _result_row(result: dict[str, Any]) -> dict[str, Any]:
    """A stored check result in the reader's language (messages are stored as codes)."""
    shown = shown_result(result)
    return {
        "check": shown["check"],
        "title": shown["title"],
        "status": shown["status"] or "failed",
        "message": shown["message"],
        "details": shown["details"],
        "fixes": shown["fixes"],
        "evidence": result.get("evidence", {}),
    }


def run_row(run: VerificationRun, labels: dict[str, str] | None = None) -> dict[str, Any]:
    labels = labels if labels is not None else environment_labels()
    return {
        "id": run.pk,
        "environment": run.environment,
        "environment_label": labels.get(run.environment, run.environment),
        "status": run.status,
        "problem": str(lost_work.RUN_ABORTED)
        if run.status == VerificationRun.Outcome.ABORTED
        else None,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "started_by": str(run.started_by or run.started_by_token or ""),
        "hosts": [str(host) for host in run.hosts or []],
        "rehearsal": run.rehearsal,
        "results": [_result_row(result) for result in run.results],
    }


def environment_row(environment: FitConnectEnvironment) -> dict[str, Any]:
    return {
        "key": environment.key,
        "label": environment.label,
        "stage": environment.stage,
        "step": environment.step,
    }


def conformance_run_row(run: ConformanceRun) -> dict[str, Any]:
    """A conformance run with each case in the reader's language."""
    return {
        "id": run.pk,
        "environment": run.environment,
        "environment_label": environment_labels().get(run.environment, run.environment),
        "status": run.status,
        "problem": str(lost_work.CONFORMANCE_ABORTED)
        if run.status == ConformanceRun.Outcome.ABORTED
        else None,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "started_by": str(run.started_by or run.started_by_token or ""),
        "hosts": [str(host) for host in run.hosts or []],
        "api_version": run.api_version,
        "rehearsal": run.rehearsal,
        "changed_items": list(run.changed_items or []),
        "cases": [
            {
                "case": row["case"],
                "judged": row["party"],
                "sent": row["sent"],
                "expected": row["expected"],
                "received": row["received"],
                "verdict": row["verdict"],
                "message": row["message"],
                "type_compared": row["type_compared"],
            }
            for row in conformance.rows(run)
        ],
    }
