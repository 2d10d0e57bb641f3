"""Every permission the portal asks, once: may this participant do this, here, now?

Each rule answers ``YES`` or a refusal that says why in the reader's language. Services
enforce them (``checklist.services``, ``checklist.signoff``, the run and due-date services);
pages, the API, notifications and the PDF only show their answers. Above the onboarding's
state and access, below the services.

Adding a permission: a function here, its use in the service that enforces it, and its row
in ``tests/checklist/test_rules.py`` (persona × rule).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from checklist.access import Participation
from checklist.catalogue import Item
from checklist.models import Environment, SignOff
from checklist.state import ItemView, NotAllowed, OnboardingState, StepStatus
from portal.models import User


@dataclass(frozen=True)
class Answer:
    """Yes, or no with the reason (already in the reader's language). ``forbidden``: the
    person's side or role never may (403), else the onboarding's state does not allow it
    now (409, a message on the page)."""

    allowed: bool
    reason: str = ""
    forbidden: bool = False

    def __bool__(self) -> bool:
        return self.allowed


YES = Answer(True)


def no(reason: str) -> Answer:
    """Not now: the onboarding's state does not allow it."""
    return Answer(False, reason)


def not_yours(reason: str) -> Answer:
    """Never for this person: another side's or role's business."""
    return Answer(False, reason, forbidden=True)


def enforce(answer: Answer) -> None:
    """Raise for a refusal: PermissionDenied where it is not the person's business,
    NotAllowed where the onboarding's state does not allow it now."""
    if answer:
        return
    if answer.forbidden:
        raise PermissionDenied(answer.reason)
    raise NotAllowed(answer.reason)


def _side_refusal(participation: Participation, step: int) -> Answer:
    if participation.can_edit_step(step):
        return YES
    if step in (1, 5):
        return not_yours(_("Only the authority works on the items of this step."))
    return not_yours(_("Only the IT service provider works on the items of this step."))


def _locked(state: OnboardingState, step: int) -> Answer:
    if state.status(step) == StepStatus.LOCKED:
        return no(_("This step is locked until the Test sign-off is valid."))
    return YES


# Items ------------------------------------------------------------------------------------


def tickable(state: OnboardingState, item: Item) -> Answer:
    """Whether anybody may tick the item now: an item a person ticks, in an open step."""
    if item.kind.refusal is not None:
        return no(str(item.kind.refusal))
    return _locked(state, item.step)


def may_tick(participation: Participation, state: OnboardingState, item: Item) -> Answer:
    """Tick or untick an item: the responsible side, an item a person ticks, an open step."""
    if not (answer := _side_refusal(participation, item.step)):
        return answer
    return tickable(state, item)


def may_note(participation: Participation, item: Item) -> Answer:
    """Write an item's note: the side that works on the step."""
    return _side_refusal(participation, item.step)


def assignable(view: ItemView) -> Answer:
    """Whether anybody may assign the item to a person now: only open work is assigned."""
    if view.done:
        return no(_("This item is done: only open items are assigned to a person."))
    return YES


def may_assign(participation: Participation, view: ItemView) -> Answer:
    """Assign an item to a person: the side that works on the step, and the authority's
    administrators (they steer the whole onboarding); an open item only."""
    side = YES if participation.is_authority_admin else _side_refusal(participation, view.item.step)
    return assignable(view) if side else side


def may_comment(participation: Participation, item: Item) -> Answer:
    """Comment on an item: everybody who takes part, on every item."""
    return YES


# The onboarding ----------------------------------------------------------------------------


def may_set_due_dates(participation: Participation) -> Answer:
    """Set the steps' due dates: the authority's administrators."""
    if participation.can_manage:
        return YES
    return not_yours(_("Only an administrator of the authority sets the due dates."))


def may_start_run(participation: Participation) -> Answer:
    """Start "Verbindung prüfen": whoever does the provider's work."""
    if participation.does_provider_work:
        return YES
    return not_yours(_("Only the IT service provider runs the connection checks."))


# Sign-offs --------------------------------------------------------------------------------


def declarable(signoff: SignOff | None) -> Answer:
    """Whether an environment's sign-off may be declared (again), whoever asks: never
    declared, sent back, or invalidated by a later change."""
    if signoff is None or signoff.state == SignOff.State.RETURNED:
        return YES
    if signoff.invalidated_at is not None:
        return YES
    if signoff.state == SignOff.State.DECLARED:
        return no(_("This environment is already waiting for sign-off."))
    return no(_("This environment is already signed off."))


def may_declare(
    participation: Participation, state: OnboardingState, environment: Environment
) -> Answer:
    """Declare an environment ready: whoever does the provider's work, on an open step,
    when the sign-off is declarable. (Whether every required item is done is the sign-off's
    own gate: ``checklist.signoff``.)"""
    if not participation.does_provider_work:
        return not_yours(_("Only the IT service provider declares an environment ready."))
    if not (answer := _locked(state, environment.step)):
        return answer
    return declarable(state.signoff(environment))


def decidable(signoff: SignOff | None, actor: User | None) -> Answer:
    """Whether a declared sign-off may be decided by this person: one is waiting, and four
    eyes: not by the person who declared it."""
    if signoff is None or signoff.state != SignOff.State.DECLARED:
        return no(_("There is no declaration waiting for a decision."))
    if actor is not None and signoff.declared_by_id == actor.pk:
        return no(_("Four eyes: a different person must decide on the sign-off you declared."))
    return YES


def may_decide(
    participation: Participation, state: OnboardingState, environment: Environment
) -> Answer:
    """Approve or send back a declared sign-off: a member of the authority, not the one who
    declared it."""
    if not participation.can_decide_signoff:
        return not_yours(_("Only the authority decides on a sign-off."))
    actor = participation.actor if isinstance(participation.actor, User) else None
    return decidable(state.signoff(environment), actor)
