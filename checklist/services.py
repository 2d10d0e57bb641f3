"""Every change to an onboarding, one function per change.

Each function takes the lock it needs, writes, records the audit events and re-checks the
sign-offs in the same transaction, so an approved environment whose signed values change
turns "ungültig – erneut prüfen" by itself. Views only parse input, call one of these and
render.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from checklist import catalogue
from checklist.audit import audit, audit_changes
from checklist.catalogue import Item
from checklist.environments import environment_step
from checklist.models import (
    IN_HOUSE,
    AuditEvent,
    Comment,
    EnvironmentRecord,
    ItemState,
    Leistung,
    Onboarding,
    VerificationRun,
)
from checklist.signoff import refresh_signoffs
from checklist.state import NotAllowed
from portal.models import Organisation, User


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


def ensure_catalogue(onboarding: Onboarding, actor: User | None = None) -> None:
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
        onboarding.catalogue_version = locked.catalogue_version


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
    return onboarding


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
    actor: User | None,
    run: VerificationRun | None = None,
) -> None:
    """Set the item's tick (by a person, or by a check run) and record it in the audit trail.

    A change by a run names the run as its actor, not the person who started the run.
    """
    state.done = done
    state.done_by = actor if done and run is None else None
    state.done_at = timezone.now() if done else None
    state.done_by_run = run if done else None
    state.save(update_fields=["done", "done_by", "done_at", "done_by_run"])
    action = AuditEvent.Action.ITEM_TICKED if done else AuditEvent.Action.ITEM_UNTICKED
    who = None if run is not None else actor
    audit(state.onboarding, who, action, f"item:{item.key}", not done, done, item.step, run=run)


@transaction.atomic
def set_item_done(onboarding: Onboarding, item: Item, done: bool, actor: User) -> ItemState:
    """Tick or untick a manual or check item; the last write wins and both are audited."""
    if item.completion in ("data", "signoff"):
        raise NotAllowed(_("This item ticks itself from the recorded data."))
    state = _locked_state(onboarding, item.key)
    if state.done == done:
        return state
    _write_done(state, item, done, actor)
    refresh_signoffs(onboarding, actor)
    return state


@transaction.atomic
def mark_item_by_run(onboarding: Onboarding, item: Item, done: bool, run: VerificationRun) -> bool:
    """Tick a check item for a passed check, reopen it for a contradicting failure.

    The caller decides which results change an item (``verification.finish_run``); the audit
    trail names the run (and through it who started it) as the actor. Returns True if the
    item changed. The caller refreshes the sign-offs once for all items of the run.
    """
    state = (
        ItemState.objects.select_for_update().filter(onboarding=onboarding, key=item.key).first()
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
def set_item_note(onboarding: Onboarding, item: Item, note: str, actor: User) -> ItemState:
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
def add_comment(onboarding: Onboarding, item: Item, text: str, actor: User) -> Comment:
    state = _locked_state(onboarding, item.key)
    comment = Comment.objects.create(item=state, author=actor, text=text.strip())
    audit(
        onboarding,
        actor,
        AuditEvent.Action.COMMENT_ADDED,
        f"item:{item.key}",
        "",
        comment.text,
        item.step,
    )
    return comment


# Onboarding data ---------------------------------------------------------------------------


def _field_values(instance: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in names}


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
    before = _field_values(locked, values)
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
    refresh_signoffs(locked, actor)
    return locked


@transaction.atomic
def save_metadata_versions(onboarding: Onboarding, versions: list[str], actor: User) -> None:
    locked = Onboarding.objects.select_for_update().get(pk=onboarding.pk)
    before = sorted(locked.metadata_versions)
    locked.metadata_versions = onboarding.metadata_versions = sorted(versions)
    locked.save(update_fields=["metadata_versions"])
    audit_changes(
        locked,
        actor,
        {"metadata_versions": before},
        {"metadata_versions": locked.metadata_versions},
        "onboarding",
        2,
    )
    refresh_signoffs(locked, actor)


# Services (Leistungen) ----------------------------------------------------------------------

LEISTUNG_FIELDS = (
    "name",
    "schema_kind",
    "schema_uri",
    "mime_type",
    "regions",
    "reply_fitconnect",
    "process_standards",
    "reply_elster",
    "reply_fink",
    "reply_email",
    "email_pgp",
    "reply_demail",
    "reply_bundid",
)


@transaction.atomic
def save_leistung(leistung: Leistung, actor: User) -> Leistung:
    """Save a new or changed service (with every value already set) and audit each change."""
    onboarding = leistung.onboarding
    onboarding.lock()
    stored = Leistung.objects.filter(pk=leistung.pk).first() if leistung.pk else None
    leistung.save()
    if stored is None:
        audit(
            onboarding,
            actor,
            AuditEvent.Action.LEISTUNG_ADDED,
            f"leistung.{leistung.key}",
            "",
            f"{leistung.key} {leistung.name}",
            1,
        )
    else:
        subject = f"leistung.{leistung.key}"
        audit_changes(onboarding, actor, {"key": stored.key}, {"key": leistung.key}, subject, 1)
        audit_changes(
            onboarding,
            actor,
            _field_values(stored, LEISTUNG_FIELDS),
            _field_values(leistung, LEISTUNG_FIELDS),
            subject,
            1,
        )
    refresh_signoffs(onboarding, actor)
    return leistung


@transaction.atomic
def remove_leistung(leistung: Leistung, actor: User) -> None:
    onboarding = leistung.onboarding
    onboarding.lock()
    leistung.delete()
    audit(
        onboarding,
        actor,
        AuditEvent.Action.LEISTUNG_REMOVED,
        f"leistung.{leistung.key}",
        f"{leistung.key} {leistung.name}",
        "",
        1,
    )
    refresh_signoffs(onboarding, actor)


# Environment records ------------------------------------------------------------------------

RECORD_FIELDS = (
    "client_id",
    "destination_id",
    "encryption_kid",
    "signature_kid",
    "callback_url",
    "certificate_expiry",
)


@transaction.atomic
def save_environment_record(record: EnvironmentRecord, actor: User) -> EnvironmentRecord:
    """Save what the provider set up in one environment (values already set) and audit it."""
    onboarding = record.onboarding
    onboarding.lock()
    stored = EnvironmentRecord.objects.filter(pk=record.pk).first() if record.pk else None
    record.save()
    audit_changes(
        onboarding,
        actor,
        _field_values(stored, RECORD_FIELDS) if stored else {},
        _field_values(record, RECORD_FIELDS),
        f"environment.{record.environment}",
        environment_step(record.environment),
    )
    refresh_signoffs(onboarding, actor)
    return record
