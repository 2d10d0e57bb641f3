"""Turn the derived onboarding state into what templates show: cards, panels, page contexts."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from checklist import (
    catalogue,
    conformance_panels,
    frozen,
    item_rows,
    item_state_rows,
    people,
    rules,
    secret_hosts,
    step_reads,
    verification,
)
from checklist.access import Participation
from checklist.audit import describe_path, plain_value
from checklist.blank_verify_form import BlankVerifyForm
from checklist.catalogue import Item
from checklist.environments import with_records
from checklist.forms import SendBackForm
from checklist.frozen import Difference, FrozenGroup
from checklist.hand_tick import BlankHandTickForm
from checklist.metadata_form import BlankMetadataVersionsForm
from checklist.models import (
    Environment,
    FitConnectEnvironment,
    Onboarding,
    SignOff,
    VerificationRun,
)
from checklist.signoff import PREVIOUS_ENVIRONMENT
from checklist.signoff_evidence import Evidence, evidence_for
from checklist.state import (
    STATUS_LABELS,
    ItemView,
    OnboardingState,
    Progress,
    StepStatus,
)
from checklist.step_reads import StepReads
from checklist.steps import STEPS, Step
from fitconnect.checks import CHECK_TITLES
from portal.models import User

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


def step_card(state: OnboardingState, number: int) -> StepCard:
    status = state.status(number)
    return StepCard(
        step=STEPS[number - 1],
        status=status,
        status_label=str(STATUS_LABELS[status]),
        badge=BADGES[status],
        progress=state.progress(number),
        environment=Environment.of_step(number),
    )


def step_cards(state: OnboardingState) -> list[StepCard]:
    return [step_card(state, step.number) for step in STEPS]


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
    # The evidence item by item, its summary, the operator's allowance and any refusal.
    evidence: Evidence
    frozen: list[FrozenGroup]  # the values an approval freezes now, or froze
    frozen_now: bool  # True: what an approval would freeze now; False: what it froze
    previous_label: str  # the previous stage whose approved values are compared, or ""
    previous_differences: list[Difference]
    since_approval: list[Difference] | None  # vs. this stage's last approval (None: none)
    in_house: bool
    alone: bool  # fewer than two people could ever make the decision
    invite_url: str  # where the authority's administrators invite a colleague
    may_invite: bool  # the person is one of them

    @property
    def label(self) -> str:
        return str(self.environment.label)


def decision_impossible(authority: list[User], provider: list[User]) -> bool:
    """Whether nobody could ever approve: there are people on both sides, but no pair of a
    person who may declare and a different one who may decide (a lone in-house member)."""
    if not authority or not provider:
        return False  # no provider's people yet: another notice's business
    return not any(declarer.pk != decider.pk for declarer in provider for decider in authority)


def signoff_panel(
    participation: Participation,
    state: OnboardingState,
    environment: Environment,
    sides: tuple[list[User], list[User]] | None = None,
    reads: StepReads | None = None,
) -> SignoffPanel:
    """``sides``: the authority's people and those who do the provider's work, when the
    caller has loaded them already (``people.sides``); ``reads``: what the step page has
    read for its sections (``checklist.step_reads``)."""
    onboarding = participation.onboarding
    signoff = state.signoff(environment)
    declared = signoff is not None and signoff.state == SignOff.State.DECLARED
    own = (
        declared
        and signoff is not None
        and isinstance(participation.actor, User)
        and signoff.declared_by_id == participation.actor.pk
    )
    history = state.history(environment)
    approved = signoff is not None and signoff.is_valid and signoff.snapshot is not None
    shown = signoff.snapshot if approved and signoff is not None else None
    if shown is None:
        api_version = reads.api_version(environment) if reads is not None else None
        shown = state.snapshot(environment, api_version)
    previous = PREVIOUS_ENVIRONMENT.get(environment)
    previous_signoff = state.signoff(previous) if previous else None
    compare = (
        previous_signoff.snapshot
        if previous_signoff is not None and previous_signoff.is_valid
        else None
    )
    last_approval = next(
        (s for s in history if s.state == SignOff.State.APPROVED and s.snapshot), None
    )
    authority, provider = sides if sides is not None else people.sides(onboarding)
    return SignoffPanel(
        environment=environment,
        signoff=signoff,
        history=history,
        open_items=state.open_required(environment.step),
        may_declare=bool(rules.may_declare(participation, state, environment)),
        may_decide=bool(rules.may_decide(participation, state, environment)),
        own_declaration=own and participation.can_decide_signoff,
        changes=invalidating_changes(signoff),
        evidence=evidence_for(state, environment, reads=reads),
        frozen=frozen.groups(shown),
        frozen_now=not approved,
        previous_label=(
            str(Environment(previous).label) if previous and compare is not None else ""
        ),
        previous_differences=frozen.differences(compare, shown) if compare is not None else [],
        since_approval=(
            frozen.differences(last_approval.snapshot, shown)
            if last_approval is not None and not approved
            else None
        ),
        in_house=onboarding.in_house,
        alone=decision_impossible(authority, provider),
        invite_url=reverse("organisation_detail", args=[onboarding.authority_id])
        + "#invite-heading",
        may_invite=participation.is_authority_admin,
    )


def invalidating_changes(signoff: SignOff | None) -> list[tuple[str, str, str]]:
    """Return what invalidated a sign-off in words: what, before, after."""
    return [
        (describe_path(change["path"]), plain_value(change["old"]), plain_value(change["new"]))
        for change in (signoff.invalidated_changes if signoff else [])
    ]


def evidence_runs(state: OnboardingState, environment: Environment) -> list[VerificationRun]:
    """Return the runs whose ticks the environment's items carry, to name their hosts."""
    ids = {
        view.state.done_by_run_id
        for view in state.items(environment.step)
        if view.by_check and view.state.done_by_run_id is not None
    }
    return list(VerificationRun.objects.filter(pk__in=ids).order_by("started_at")) if ids else []


# Page contexts ------------------------------------------------------------------------------


def page_context(
    participation: Participation, with_comments: bool = False, step: int | None = None
) -> dict[str, Any]:
    # The stored summary stands in for Leistungen, records and sign-offs until a page shows them
    # (and, on a step page, for the ticks of the other steps).
    state = OnboardingState(
        participation.onboarding, with_comments=with_comments, light=True, step=step
    )
    today = timezone.localdate()
    return {
        "onboarding": participation.onboarding,
        "participation": participation,
        "state": state,
        "cards": step_cards(state),
        "overall": state.overall(),
        "next_action": state.next_action(),
        "next_action_url": state.next_action_url(),
        "dues": {
            step: (due, state.overdue(step), due.due_soon(today))
            for step, due in state.due_dates.items()
        },
    }


# The forms of an item, by the name its template uses.
ITEM_ACTIONS = {
    "toggle": "item_toggle",
    "note": "item_note",
    "comment": "item_comment",
    "assign": "item_assign",
}
_KEY_PLACEHOLDER = "key.placeholder"  # no slug has a dot: found only where the key goes


@lru_cache(maxsize=1024)
def _item_url_parts(prefix: str, slug: str) -> dict[str, tuple[str, str]]:
    """The addresses of an onboarding's item forms, cut where the item's key goes."""
    parts: dict[str, tuple[str, str]] = {}
    for name, url_name in ITEM_ACTIONS.items():
        head, _placeholder, tail = reverse(url_name, args=[slug, _KEY_PLACEHOLDER]).partition(
            _KEY_PLACEHOLDER
        )
        parts[name] = (conditional_escape(head), conditional_escape(tail))
    return parts


def item_urls(slug: str, key: str) -> dict[str, str]:
    """The addresses of an item's forms (tick, note, comment, assign).

    A step page has dozens of items with up to four forms each; reversing each address
    cost more than the rest of the item. They are reversed once per onboarding instead.
    """
    escaped = conditional_escape(key)  # a key is safe in HTML; escaped once, not per use
    return {
        name: mark_safe(f"{head}{escaped}{tail}")  # noqa: S308  (the parts are escaped)
        for name, (head, tail) in _item_url_parts(get_script_prefix(), slug).items()
    }


def item_context(
    participation: Participation,
    state: OnboardingState,
    view: ItemView,
    status: str,
    assignable: dict[str, list[User]] | None = None,
    *,
    whole: bool = True,
) -> dict[str, Any]:
    """What an item's row shows; ``whole=False``: only its status and assign form (what a
    tick's answer renders), without its comments, note and help."""
    editable = bool(rules.may_tick(participation, state, view.item))
    entry = {
        "urls": item_urls(participation.onboarding.slug, view.item.key),
        "editable": editable,
        "assignable": (assignable or {}).get(view.item.role, []),
        "may_assign": bool(rules.may_assign(participation, view)),
        # An item a check proves, ticked by hand: only with a reason.
        "reason_form": (
            BlankHandTickForm(view.item.dom_id)  # an unbound HandTickForm's HTML, made once
            if editable and view.item.kind.proven_by_run and not view.done
            else None
        ),
    }
    if not whole:
        return {**item_rows.row(view, [], whole=False), **entry}
    # Comments are read with the item states when the page shows them (with_comments):
    # written out (``item_state_rows``) or, for rows of a list, prefetched.
    comments = item_state_rows.shown_comments(view.state) if view.state.pk else None
    if comments is None:
        prefetched = "comments" in getattr(view.state, "_prefetched_objects_cache", {})
        comments = list(view.state.comments.all()) if view.state.pk and prefetched else []
    return {**item_rows.row(view, comments), **entry, "comments": comments}


def assignable_people(
    onboarding: Onboarding, sides: tuple[list[User], list[User]] | None = None
) -> dict[str, list[User]]:
    """Return who can be assigned an item, by the item's responsible side (one query, none
    with the ``sides`` of ``people.sides``)."""
    authority, provider = sides if sides is not None else people.sides(onboarding)
    both = sorted({p.pk: p for p in [*authority, *provider]}.values(), key=str)
    return {"authority": authority, "provider": provider, "both": both}


def verify_panels(
    participation: Participation, step: int, reads: StepReads | None = None
) -> list[dict[str, Any]]:
    """Return the "Verbindung prüfen" panels of the environments checked in the step
    (``reads``: what the step page has read for its sections, ``checklist.step_reads``)."""
    onboarding = participation.onboarding
    if reads is not None:
        runs, running = verification.latest_runs(onboarding, reads.runs)
        environments = reads.environments
    else:
        runs, running = verification.latest_runs(onboarding)
        environments = with_records(onboarding)
    secrets = verification.stored_secrets_by_environment(
        onboarding, {env.key: env for env, _record in environments}
    )
    panels = []
    for env, record in environments:
        if env.step != step:
            continue
        stored = secrets.get(env.key, {})
        usable = {kind for kind, state in stored.items() if state.usable}
        run = running.get(env.key)
        panels.append(
            {
                "environment": env,
                "record": record,
                "stored": stored,
                # Secrets kept back since the environment's hosts changed, and how they did.
                "host_change": secret_hosts.host_change(onboarding, env, stored),
                # VerifyForm(…) unbound, its field groups made once per language and secrets.
                "form": BlankVerifyForm(
                    stored=usable, withheld=set(stored) - usable, production=env.is_production
                ),
                "last_run": runs.get(env.key),
                "progress": run_progress_context(participation, run, env) if run else None,
                "read_only": env.is_production,
            }
        )
    return panels


def run_progress_context(
    participation: Participation,
    run: VerificationRun,
    environment: FitConnectEnvironment,
    *,
    announce: bool = False,
) -> dict[str, Any]:
    """Return what the polling panel of a run shows: each check waiting, running or done.

    Once the run has finished and ``announce`` is set, also the items it changed and the
    step's counters, to be swapped in out of band.
    """
    checks = verification.checks_for(environment)
    results = {result["check"]: result for result in run.results}
    running = run.finished_at is None
    rows, first_open = [], True
    for check in checks:
        result = results.get(check)
        rows.append(
            {
                "title": CHECK_TITLES.get(check, check),
                "result": result,
                "running": running and result is None and first_open,
            }
        )
        first_open = first_open and result is not None
    context: dict[str, Any] = {
        "run": run,
        "onboarding": participation.onboarding,
        "participation": participation,
        "rows": rows,
        "done": len(results),
        "total": len(checks),
        "poll": running,
        "step_number": environment.step,
    }
    if not running and announce:
        state = OnboardingState(participation.onboarding, light=True)
        by_key = catalogue.load().by_key()
        items = [by_key[key] for key in run.changed_items if key in by_key]
        context.update(
            {
                "summary": True,
                "changed_items": [
                    item_context(
                        participation, state, state.item_view(item), state.status(item.step)
                    )
                    for item in items
                    if item.step == environment.step and state.visible(item)
                ],
                "card": step_card(state, environment.step),
                "overall": state.overall(),
            }
        )
        if context["changed_items"]:
            # The step's badge and sign-off prerequisites change with the items: swap them too.
            stage = Environment(environment.stage)
            context.update(
                {
                    "step": STEPS[environment.step - 1],
                    "signoff_panel": signoff_panel(participation, state, stage),
                    "send_back_form": SendBackForm(),
                }
            )
    return context


def item_response_context(
    participation: Participation,
    item: Item,
    state: OnboardingState | None = None,
    *,
    with_comments: bool = True,
) -> dict[str, Any]:
    """Return what the item's partial and the out-of-band counters need, nothing more.

    Without a state (a note, a comment, an assignment) the whole item is rendered again,
    with its assign form where the person may assign it; a tick renders its status and, out
    of band, its assign form (gone once the item is done, back when it is open again). The
    people the form offers are loaded only where it is shown (a done item offers nobody),
    unless a tick read them with its item (``state.people``).
    """
    assignable = None
    from_tick = state is not None
    if state is None:
        state = OnboardingState(participation.onboarding, with_comments=with_comments, light=True)
    view = state.item_view(item)
    if rules.may_assign(participation, view):
        assignable = assignable_people(participation.onboarding, state.people)
    card = step_card(state, item.step)
    return {
        "onboarding": participation.onboarding,
        "participation": participation,
        # A tick renders the item's status and assign form only (``#tick_answer``).
        "entry": item_context(
            participation, state, view, card.status, assignable, whole=not from_tick
        ),
        "card": card,
        "overall": state.overall(),
    }


def step_context(participation: Participation, number: int) -> dict[str, Any]:
    context = page_context(participation, with_comments=True, step=number)
    state: OnboardingState = context["state"]
    environment = Environment.of_step(number)
    onboarding = participation.onboarding
    sides = people.sides(onboarding)
    assignable = assignable_people(onboarding, sides)
    status = context["cards"][number - 1].status
    # The stage's sections (sign-off, connection checks, conformance) share their reads.
    reads = step_reads.load(onboarding, number, environment) if environment else None
    if reads is not None:
        state.records = reads.records  # read with the environments: no query of its own
    context.update(
        {
            "step": STEPS[number - 1],
            "card": context["cards"][number - 1],
            "items": [
                item_context(participation, state, view, status, assignable)
                for view in state.items(number)
            ],
            "participants": assignable["both"],
            "due": context["dues"].get(number),
            "can_edit": participation.can_edit_step(number),
            "locked": status == StepStatus.LOCKED,
            "environment": environment,
            "signoff_panel": (
                signoff_panel(participation, state, environment, sides, reads)
                if environment
                else None
            ),
            "send_back_form": SendBackForm(),
            "previous_step": number - 1 if number > 1 else None,
            "next_step": number + 1 if number < 5 else None,
        }
    )
    if number in (3, 4, 5):
        panels = verify_panels(participation, number, reads)
        context["verify_panels"] = panels
        # A stand-in's check (the sandbox) is a rehearsal: shown apart from the stage's own.
        context["rehearsals"] = [p for p in panels if p["environment"].stands_in]
        context["stage_panels"] = [p for p in panels if not p["environment"].stands_in]
        context["conformance_panels"] = conformance_panels.panels(
            participation,
            [(panel["environment"], panel["record"]) for panel in panels],
            reads.conformance_newest if reads is not None else None,
            {env.key: env.label for env, _record in reads.environments} if reads else None,
        )
    if number == 1:
        context["leistungen"] = state.leistungen
    if number == 2:
        context["records"] = with_records(onboarding)
        # MetadataVersionsForm(initial={"versions": …}), its HTML made once per choice.
        context["metadata_form"] = BlankMetadataVersionsForm(onboarding.metadata_versions)
    return context
