"""Turn the derived onboarding state into what templates show: cards, panels, page contexts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checklist import verification
from checklist.access import Participation
from checklist.audit import describe_path, plain_value
from checklist.environments import all_environments, environments_of_step
from checklist.forms import MetadataVersionsForm, SendBackForm, VerifyForm
from checklist.models import Environment, SignOff, VerificationRun
from checklist.state import (
    STATUS_LABELS,
    ItemView,
    OnboardingState,
    Progress,
    StepStatus,
)
from checklist.steps import STEPS, Step

BADGES = {
    StepStatus.NOT_STARTED: "info",
    StepStatus.IN_PROGRESS: "warning",
    StepStatus.DONE: "success",
    StepStatus.LOCKED: "danger",
}


@dataclass
class StepCard:
    step: Step
    status: str
    status_label: str
    badge: str
    progress: Progress
    environment: str | None


def step_cards(state: OnboardingState) -> list[StepCard]:
    cards = []
    for step in STEPS:
        status = state.status(step.number)
        cards.append(
            StepCard(
                step=step,
                status=status,
                status_label=str(STATUS_LABELS[status]),
                badge=BADGES[status],
                progress=state.progress(step.number),
                environment=Environment.of_step(step.number),
            )
        )
    return cards


@dataclass
class SignoffPanel:
    """What the sign-off section of a step shows and offers to the person looking at it."""

    environment: Environment
    signoff: SignOff | None
    history: list[SignOff]
    open_items: list[ItemView]
    may_declare: bool  # the declare button (or the list of open items) is shown
    may_decide: bool  # approve and send back are offered
    own_declaration: bool  # the person declared it and may not decide
    changes: list[tuple[str, str, str]]  # what invalidated it: described path, old, new
    # The runs whose ticks the step's items carry now: the evidence names their hosts.
    evidence_runs: list[VerificationRun]

    @property
    def label(self) -> str:
        return str(self.environment.label)


def signoff_panel(
    participation: Participation, state: OnboardingState, environment: Environment
) -> SignoffPanel:
    signoff = state.signoff(environment)
    step = environment.step
    reopenable = signoff is None or signoff.state == SignOff.State.RETURNED
    reopenable = reopenable or (signoff is not None and signoff.invalidated_at is not None)
    declared = signoff is not None and signoff.state == SignOff.State.DECLARED
    own = declared and signoff is not None and signoff.declared_by_id == participation.user.pk
    run_ids = {
        view.state.done_by_run_id
        for view in state.items(step)
        if view.by_check and view.state.done_by_run_id is not None
    }
    return SignoffPanel(
        environment=environment,
        signoff=signoff,
        history=list(
            state.onboarding.signoffs.filter(environment=environment).select_related(
                "declared_by", "decided_by"
            )
        ),
        open_items=state.open_required(step),
        may_declare=(
            participation.does_provider_work
            and state.status(step) != StepStatus.LOCKED
            and reopenable
        ),
        may_decide=declared and participation.can_decide_signoff and not own,
        own_declaration=own and participation.can_decide_signoff,
        changes=[
            (describe_path(change["path"]), plain_value(change["old"]), plain_value(change["new"]))
            for change in (signoff.invalidated_changes if signoff else [])
        ],
        evidence_runs=list(
            VerificationRun.objects.filter(pk__in=run_ids).order_by("started_at") if run_ids else []
        ),
    )


# Page contexts ------------------------------------------------------------------------------


def page_context(participation: Participation, with_comments: bool = False) -> dict[str, Any]:
    state = OnboardingState(participation.onboarding, with_comments=with_comments)
    return {
        "onboarding": participation.onboarding,
        "participation": participation,
        "state": state,
        "cards": step_cards(state),
        "overall": state.overall(),
        "next_action": state.next_action(),
    }


def item_context(
    participation: Participation, state: OnboardingState, view: ItemView
) -> dict[str, Any]:
    step = view.item.step
    editable = (
        participation.can_edit_step(step)
        and not view.automatic
        and state.status(step) != StepStatus.LOCKED
    )
    return {
        "view": view,
        "editable": editable,
        # comments are prefetched with the item states (OnboardingState)
        "comments": list(view.state.comments.all()) if view.state.pk else [],
    }


def verify_panels(
    participation: Participation, state: OnboardingState, step: int
) -> list[dict[str, Any]]:
    """Return the "Verbindung prüfen" panels of the environments checked in the step."""
    onboarding = participation.onboarding
    runs = verification.last_runs(onboarding)
    panels = []
    for env in environments_of_step(step):
        stored = verification.stored_secrets(onboarding, env.key)
        panels.append(
            {
                "environment": env,
                "record": state.records.get(env.key),
                "stored": stored,
                "form": VerifyForm(stored=set(stored), production=env.is_production),
                "last_run": runs.get(env.key),
                "read_only": env.is_production,
            }
        )
    return panels


def step_context(participation: Participation, number: int) -> dict[str, Any]:
    context = page_context(participation, with_comments=True)
    state: OnboardingState = context["state"]
    environment = Environment.of_step(number)
    onboarding = participation.onboarding
    context.update(
        {
            "step": STEPS[number - 1],
            "card": context["cards"][number - 1],
            "items": [item_context(participation, state, view) for view in state.items(number)],
            "can_edit": participation.can_edit_step(number),
            "locked": state.status(number) == StepStatus.LOCKED,
            "environment": environment,
            "signoff_panel": (
                signoff_panel(participation, state, environment) if environment else None
            ),
            "send_back_form": SendBackForm(),
            "previous_step": number - 1 if number > 1 else None,
            "next_step": number + 1 if number < 5 else None,
        }
    )
    if number in (3, 4, 5):
        context["verify_panels"] = verify_panels(participation, state, number)
    if number == 1:
        context["leistungen"] = state.leistungen
    if number == 2:
        context["records"] = [(env, state.records.get(env.key)) for env in all_environments()]
        context["metadata_form"] = MetadataVersionsForm(
            initial={"versions": onboarding.metadata_versions}
        )
    return context
