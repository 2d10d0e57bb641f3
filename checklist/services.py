"""Every change to an onboarding, one function per change.

Each function takes the lock it needs, writes, records the audit events and re-checks the
sign-offs in the same transaction, so an approved environment whose signed values change
turns "ungültig – erneut prüfen" by itself. Views only parse input, call one of these and
render.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from checklist import (
    audit_chain,
    catalogue,
    deadlines,
    leaving,
    people,
    rules,
    signals,
    summary,
    tick_reads,
)
from checklist.access import Participation
from checklist.audit import as_text, audit, audit_changes, split_actor
from checklist.catalogue import Item
from checklist.changes import change
from checklist.leaving import link_provider
from checklist.models import (
    IN_HOUSE,
    AuditEvent,
    Comment,
    ItemState,
    Onboarding,
    StepDeadline,
    VerificationRun,
)
from checklist.recorded_data import field_values
from checklist.recorded_data import remove_leistung as remove_leistung  # this module's too
from checklist.recorded_data import save_environment_record as save_environment_record
from checklist.recorded_data import save_leistung as save_leistung
from checklist.signoff import may_invalidate, refresh_signoffs
from checklist.state import ItemHidden, NotAllowed, OnboardingState, ReasonRequired
from portal.models import Actor, Organisation, User


class NotGiven(enum.Enum):
    """Marks an argument that was not given (where None is a meaningful value)."""

    NOT_GIVEN = enum.auto()


NOT_GIVEN = NotGiven.NOT_GIVEN


def _add_items(onboarding: Onboarding) -> None:
    ItemState.objects.bulk_create(
        [ItemState(onboarding=onboarding, key=item.key) for item in catalogue.load().items],
        ignore_conflicts=True,
    )


def _carry_over(onboarding: Onboarding, current: catalogue.Catalogue) -> None:
    """Give every item that took over older keys (``replaces``) their state.

    The first ticked old state (or the first one) becomes the item's state; the others' ticks,
    notes and comments are folded into it, so nothing a person wrote is lost.
    """
    states = {state.key: state for state in onboarding.item_states.all()}
    for item in current.items:
        olds = [states.pop(key) for key in item.replaces if key in states]
        if not olds:
            continue
        target = states.get(item.key)
        if target is not None and not (target.done or target.note or target.comments.exists()):
            target.delete()  # an empty row (e.g. added by a page view): the old state wins
            target = None
        if target is None:
            target = next((state for state in olds if state.done), olds[0])
            olds.remove(target)
            target.key = item.key
        for old in olds:
            if old.done and not target.done:
                target.done, target.done_by_id, target.done_at = True, old.done_by_id, old.done_at
                target.done_by_run_id = old.done_by_run_id
            if old.note and old.note not in target.note:
                target.note = "\n\n".join(filter(None, [target.note, old.note]))[:2000]
            Comment.objects.filter(item=old).update(item=target)
            old.delete()
        target.save()
        states[item.key] = target


def ensure_catalogue(onboarding: Onboarding, actor: Actor | None = None) -> None:
    """Adopt a newer catalogue: move the state of moved items, add new items, keep every tick."""
    current = catalogue.load()
    # One integer comparison per request; the items exist since create_onboarding.
    if onboarding.catalogue_version >= current.version:
        return
    with transaction.atomic():
        locked = Onboarding.objects.select_for_update().get(pk=onboarding.pk)
        old_version = locked.catalogue_version
        if old_version < current.version:  # not upgraded by a concurrent request meanwhile
            _carry_over(locked, current)
            _add_items(locked)
            locked.catalogue_version = current.version
            locked.save(update_fields=["catalogue_version"])
            audit(
                locked,
                actor,
                AuditEvent.Action.CATALOGUE_UPDATED,
                "onboarding.catalogue_version",
                old_version,
                current.version,
            )
            summary.store(locked)
        onboarding.refresh_from_db()


def provider_label(onboarding: Onboarding) -> str:
    if onboarding.in_house:
        return _("in-house")
    return onboarding.provider.name if onboarding.provider else _("not decided")


@transaction.atomic
def create_onboarding(onboarding: Onboarding, creator: User | None) -> Onboarding:
    """Save a new onboarding with the current catalogue's items and its first audit events."""
    onboarding.catalogue_version = catalogue.load().version
    onboarding.created_by = creator
    onboarding.save()
    _add_items(onboarding)
    audit(onboarding, creator, AuditEvent.Action.CREATED, "", "", onboarding.name, 1)
    if onboarding.provider_decided:
        audit(
            onboarding,
            creator,
            AuditEvent.Action.PROVIDER_CHANGED,
            "onboarding.provider",
            "",
            provider_label(onboarding),
            1,
        )
    link_provider(onboarding)
    summary.store(onboarding)
    return onboarding


@transaction.atomic
def create_onboardings(onboardings: list[Onboarding], creator: User | None) -> list[Onboarding]:
    """Create many onboardings at once (demo and benchmark data), with summary and audit.

    Their item states are not written: every service creates a missing one when it is
    first changed, and an item without a row is an open item.
    """
    version = catalogue.load().version
    for onboarding in onboardings:
        onboarding.catalogue_version = version
        onboarding.created_by = creator
        for name, value in summary.for_new(onboarding).items():
            setattr(onboarding, name, value)
    created = Onboarding.objects.bulk_create(onboardings, batch_size=1000)
    events = []
    for onboarding in created:
        events.append(
            AuditEvent(
                onboarding=onboarding,
                actor=creator,
                action=AuditEvent.Action.CREATED,
                new_value=onboarding.name,
                step=1,
            )
        )
        if onboarding.provider_decided:
            events.append(
                AuditEvent(
                    onboarding=onboarding,
                    actor=creator,
                    action=AuditEvent.Action.PROVIDER_CHANGED,
                    subject="onboarding.provider",
                    new_value=provider_label(onboarding),
                    step=1,
                )
            )
    audit_chain.seal(events)  # in this function's transaction
    AuditEvent.objects.bulk_create(events, batch_size=2000)
    return created


def _locked_state(onboarding: Onboarding, key: str) -> ItemState:
    try:
        with transaction.atomic():
            ItemState.objects.get_or_create(onboarding=onboarding, key=key)
    except IntegrityError:  # created concurrently: fine, it exists now
        pass
    return ItemState.objects.select_for_update().get(onboarding=onboarding, key=key)


def _write_done(
    state: ItemState,
    item: Item,
    done: bool,
    actor: Actor | None,
    run: VerificationRun | None = None,
    reason: str = "",
    *,
    locked: bool = False,
    head: str | None = None,
    summary_values: dict[str, Any] | None = None,
) -> None:
    """Set the item's tick (by a person, a token or a check run) and record it in the audit.

    A change by a run names the run as its actor, not the person who started the run.
    ``locked``: the caller's transaction holds the onboarding's row lock; ``head``: the
    newest entry's hash of its Protokoll, read under that lock (else the audit reads it);
    ``summary_values``: the onboarding's summary fields that change, written with them.
    """
    user, token = split_actor(actor) if done and run is None else (None, None)
    state.done = done
    state.done_by = user
    state.done_by_token = token
    state.done_at = timezone.now() if done else None
    state.done_by_run = run if done else None
    state.done_by_conformance = None  # only ``checklist.conformance`` sets it
    # Only a hand tick carries a reason; a run's tick or a reopening ends it.
    by_hand = done and run is None and item.kind.proven_by_run
    state.hand_reason = reason.strip() if by_hand else ""
    who = None if run is not None else actor
    action = AuditEvent.Action.ITEM_TICKED if done else AuditEvent.Action.ITEM_UNTICKED
    old, new = as_text(not done), as_text(done)
    if state.hand_reason:
        action, old, new = AuditEvent.Action.ITEM_TICKED_WITH_REASON, "", state.hand_reason
    audit(
        state.onboarding,
        who,
        action,
        f"item:{item.key}",
        old,
        new,
        item.step,
        run=run,
        locked=locked,
        head=head,
        update=(state, ItemState.DONE_FIELDS),  # every tick: written out, with the entry
        also=(Onboarding, state.onboarding_id, summary_values) if summary_values else None,
    )


def set_item_done(
    onboarding: Onboarding,
    item: Item,
    done: bool,
    actor: Actor,
    *,
    locked: bool = False,
    participation: Participation | None = None,
    reason: str = "",
    with_people: bool = False,
) -> OnboardingState:
    """Tick or untick a manual or check item; the last write wins and both are audited.

    A check item ticked by hand needs a ``reason`` (why not by a connection check): it is
    shown to the approver and in the PDF; without one, ``ReasonRequired``.

    Return the state after it, from the stored summary and the one item state loaded.
    ``locked``: the caller's transaction loaded the onboarding under its row lock. With a
    ``participation``, ``rules.may_tick`` decides (the side too), else ``rules.tickable``.
    Raises ``ItemHidden`` for an item not shown, ``NotAllowed`` for a locked step or automatic
    item, PermissionDenied for another side's item. ``with_people``: the state returned
    carries the two sides' active members (``OnboardingState.people``), read with the item.
    """
    if not locked:
        with transaction.atomic():
            onboarding.lock()
            return set_item_done(
                onboarding,
                item,
                done,
                actor,
                locked=True,
                participation=participation,
                reason=reason,
                with_people=with_people,
            )
    state = OnboardingState(onboarding, from_summary=True)
    if not state.visible(item):
        raise ItemHidden(item.key)
    if participation is not None:
        rules.enforce(rules.may_tick(participation, state, item))
    else:
        rules.enforce(rules.tickable(state, item))
    # No row yet: an item the catalogue gained since (ensure_catalogue adds it).
    found, head, state.people = tick_reads.item_state(onboarding, item.key, with_people=with_people)
    state.states[item.key] = found or onboarding.item_states.create(key=item.key)
    if state.states[item.key].done == done:
        return state
    if done and item.kind.proven_by_run and not reason.strip():
        raise ReasonRequired(
            _(
                "Please give a reason: why is this item ticked by hand instead of by a "
                "connection check? The approver and the PDF show it."
            )
        )
    state.set_done(item.key, done)
    # Without a valid sign-off there is nothing to refresh: the summary follows from the tick
    # alone and is written in its statement (state, entry, summary: one on PostgreSQL).
    changed = summary.changes(onboarding, state) if not may_invalidate(state) else None
    _write_done(
        state.states[item.key], item, done, actor, reason=reason, locked=True, head=head,
        summary_values=changed,
    )  # fmt: skip
    if changed is not None:
        summary.taken_over(onboarding, changed)
        return state
    if refresh_signoffs(onboarding, actor, state):
        sides, state = state.people, OnboardingState(onboarding)
        state.people = sides
    summary.store(onboarding, state)
    return state


@transaction.atomic
def mark_item_by_run(onboarding: Onboarding, item: Item, done: bool, run: VerificationRun) -> bool:
    """Tick a check item for a passed check, reopen it for a contradicting failure.

    The caller decides which results change an item (``verification.finish_run``); the audit
    trail names the run (and through it who started it) as the actor. Returns True if the
    item changed. The caller holds the onboarding's lock and refreshes the sign-offs and the
    summary once for all items of the run.
    """
    if done:  # bulk-created onboardings have no row yet for an item nobody changed
        state: ItemState | None = _locked_state(onboarding, item.key)
    else:
        state = (
            ItemState.objects.select_for_update()
            .filter(onboarding=onboarding, key=item.key)
            .first()
        )
    if state is None:
        return False
    if done and (not state.done or state.done_by_run_id is None):
        _write_done(state, item, True, None, run)
    elif not done and state.done:
        _write_done(state, item, False, None, run)
    else:
        return False
    return True


@transaction.atomic
def set_item_note(onboarding: Onboarding, item: Item, note: str, actor: Actor) -> ItemState:
    state = _locked_state(onboarding, item.key)
    note = note.strip()
    if state.note != note:
        old = state.note
        state.note = note
        state.save(update_fields=["note"])
        audit(
            onboarding,
            actor,
            AuditEvent.Action.NOTE_CHANGED,
            f"item:{item.key}",
            old,
            note,
            item.step,
        )
    return state


@transaction.atomic
def add_comment(
    onboarding: Onboarding,
    item: Item,
    text: str,
    actor: Actor,
    also_mention: list[User] | None = None,
) -> Comment:
    """Save a comment; people named as ``@Name`` (and ``also_mention``) are notified."""
    state = _locked_state(onboarding, item.key)
    user, token = split_actor(actor)
    comment = Comment.objects.create(item=state, author=user, author_token=token, text=text.strip())
    audit(
        onboarding,
        actor,
        AuditEvent.Action.COMMENT_ADDED,
        f"item:{item.key}",
        "",
        comment.text,
        item.step,
    )
    mentioned = people.find_mentions(comment.text, people.participants(onboarding))
    for person in also_mention or []:
        if all(person.pk != known.pk for known in mentioned):
            mentioned.append(person)
    signals.comment_added.send(
        Onboarding,
        onboarding=onboarding,
        item=item,
        state=state,
        comment=comment,
        mentioned=mentioned,
        actor=actor,  # a person, or an API token (named as such; nobody is left out then)
    )
    return comment


@transaction.atomic
def assign_item(
    onboarding: Onboarding, item: Item, assignee: User | None, actor: User
) -> ItemState:
    """Assign the item to a person of the responsible side, or to nobody (the whole side).

    Only open work is assigned (``rules.assignable``); taking a done item's assignee away
    stays possible, and reopening an item keeps its assignee.
    """
    if assignee is not None and not people.may_be_assigned(onboarding, item, assignee):
        raise NotAllowed(_("Only a person of the responsible side can be assigned this item."))
    state = _locked_state(onboarding, item.key)
    if assignee is not None:
        current = OnboardingState(onboarding, from_summary=True)
        current.states[item.key] = state
        rules.enforce(rules.assignable(current.item_view(item)))
    if state.assignee_id == (assignee.pk if assignee else None):
        return state
    old = str(state.assignee) if state.assignee_id else ""
    state.assignee = assignee
    state.save(update_fields=["assignee"])
    audit(
        onboarding,
        actor,
        AuditEvent.Action.ITEM_ASSIGNED,
        f"item:{item.key}",
        old,
        str(assignee) if assignee else "",
        item.step,
    )
    if assignee is not None:
        signals.item_assigned.send(
            Onboarding,
            onboarding=onboarding,
            item=item,
            state=state,
            assignee=assignee,
            actor=actor,
        )
    return state


@transaction.atomic
def set_due_dates(onboarding: Onboarding, dates: dict[int, date | None], actor: User) -> None:
    """Set the due date of each given step; None returns it to the date proposed."""
    onboarding.lock()
    stored = {d.step: d for d in onboarding.deadlines.all()}
    for step, day in sorted(dates.items()):
        current = stored.get(step)
        old = current.due_date if current else None
        if old == day:
            continue
        if day is None and current is not None:
            current.delete()
        elif day is not None:
            StepDeadline.objects.update_or_create(
                onboarding=onboarding, step=step, defaults={"due_date": day}
            )
        audit(
            onboarding,
            actor,
            AuditEvent.Action.DUE_DATE_CHANGED,
            f"deadline.{step}",
            old.isoformat() if old else "",
            day.isoformat() if day else "",
            step,
        )
    deadlines.store(onboarding)


# The same rules for the pages and the API --------------------------------------------------


def tick_item(
    participation: Participation,
    item: Item,
    done: bool,
    *,
    locked: bool = False,
    reason: str = "",
    with_people: bool = False,
) -> OnboardingState:
    """Tick or untick as the participant: their side's steps only, visible items only, and
    nothing in a locked step. Return the onboarding's state after the change. ``locked``:
    the participation's onboarding was loaded under its row lock in this transaction;
    ``with_people``: the state carries the people an assign form offers (``set_item_done``).

    Raises PermissionDenied (another side's step), Http404 (an item this onboarding does not
    show) or NotAllowed (a locked step, an item that ticks itself) with a message for people.
    """
    try:
        return set_item_done(
            participation.onboarding,
            item,
            done,
            participation.actor,
            locked=locked,
            participation=participation,
            reason=reason,
            with_people=with_people,
        )
    except ItemHidden:
        raise Http404 from None


def note_item(participation: Participation, item: Item, note: str) -> ItemState:
    """Set the item's note as the participant (their side's steps only)."""
    rules.enforce(rules.may_note(participation, item))
    return set_item_note(participation.onboarding, item, note, participation.actor)


def comment_item(participation: Participation, item: Item, text: str) -> Comment:
    """Add a comment as the participant: both sides may comment on every item."""
    return add_comment(participation.onboarding, item, text, participation.actor)


# Onboarding data ---------------------------------------------------------------------------


def apply_provider(onboarding: Onboarding, choice: Organisation | str | None) -> None:
    """Set the provider from a choice: an organisation, ``IN_HOUSE`` or None (not decided)."""
    onboarding.in_house = choice == IN_HOUSE
    onboarding.provider = choice if isinstance(choice, Organisation) else None


@transaction.atomic
def update_onboarding(
    onboarding: Onboarding,
    values: dict[str, Any],
    actor: User,
    *,
    provider: Organisation | str | NotGiven | None = NOT_GIVEN,
) -> Onboarding:
    """Change the onboarding's basic data (and its provider, when given)."""
    locked = Onboarding.objects.select_for_update().get(pk=onboarding.pk)
    before = field_values(locked, values)
    before_provider = provider_label(locked)
    for name, value in values.items():
        setattr(locked, name, value)
    if not isinstance(provider, NotGiven):
        apply_provider(locked, provider)
    locked.save()
    audit_changes(locked, actor, before, values, "onboarding", 1)
    after_provider = provider_label(locked)
    if after_provider != before_provider:
        audit(
            locked,
            actor,
            AuditEvent.Action.PROVIDER_CHANGED,
            "onboarding.provider",
            before_provider,
            after_provider,
            1,
        )
        leaving.provider_changed(locked, actor)
    refresh_signoffs(locked, actor)
    summary.store(locked)
    return locked


def save_metadata_versions(onboarding: Onboarding, versions: list[str], actor: User) -> None:
    with change(onboarding, actor):
        before = sorted(
            Onboarding.objects.filter(pk=onboarding.pk).values_list("metadata_versions", flat=True)[
                0
            ]
        )
        onboarding.metadata_versions = sorted(versions)
        onboarding.save(update_fields=["metadata_versions"])
        audit_changes(
            onboarding,
            actor,
            {"metadata_versions": before},
            {"metadata_versions": onboarding.metadata_versions},
            "onboarding",
            2,
        )
