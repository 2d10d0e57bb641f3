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

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from checklist import catalogue
from checklist.access import Participation
from checklist.audit import audit, audit_changes, split_actor
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
from checklist.state import NotAllowed, OnboardingState, StepStatus
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


def ensure_catalogue(onboarding: Onboarding, actor: Actor | None = None) -> None:
    """Add a newer catalogue's items to the onboarding, keeping every existing tick."""
    current = catalogue.load()
    # One integer comparison per request; the items exist since create_onboarding.
    if onboarding.catalogue_version >= current.version:
        return
    with transaction.atomic():
        _add_items(onboarding)
        if onboarding.catalogue_version < current.version:
            old_version = onboarding.catalogue_version
            onboarding.catalogue_version = current.version
            onboarding.save(update_fields=["catalogue_version"])
            audit(
                onboarding,
                actor,
                AuditEvent.Action.CATALOGUE_UPDATED,
                "onboarding.catalogue_version",
                old_version,
                current.version,
            )


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
    actor: Actor | None,
    run: VerificationRun | None = None,
) -> None:
    """Set the item's tick (by a person, a token or a check run) and record it in the audit."""
    user, token = split_actor(actor) if done and run is None else (None, None)
    state.done = done
    state.done_by = user
    state.done_by_token = token
    state.done_at = timezone.now() if done else None
    state.done_by_run = run if done else None
    state.save(update_fields=["done", "done_by", "done_by_token", "done_at", "done_by_run"])
    action = AuditEvent.Action.ITEM_TICKED if done else AuditEvent.Action.ITEM_UNTICKED
    audit(state.onboarding, actor, action, f"item:{item.key}", not done, done, item.step)


@transaction.atomic
def set_item_done(onboarding: Onboarding, item: Item, done: bool, actor: Actor) -> ItemState:
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
def mark_item_by_run(
    onboarding: Onboarding, item: Item, passed: bool, run: VerificationRun, actor: Actor | None
) -> bool:
    """Tick a check item for a passed check, untick it for a failed one; True if it changed.

    The caller refreshes the sign-offs once for all items of the run.
    """
    state = (
        ItemState.objects.select_for_update().filter(onboarding=onboarding, key=item.key).first()
    )
    if state is None:
        return False
    if passed and (not state.done or state.done_by_run_id is None):
        _write_done(state, item, True, actor, run)
    elif not passed and state.done:
        _write_done(state, item, False, actor)
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
def add_comment(onboarding: Onboarding, item: Item, text: str, actor: Actor) -> Comment:
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
    return comment


# The same rules for the pages and the API --------------------------------------------------


def tick_item(participation: Participation, item: Item, done: bool) -> ItemState:
    """Tick or untick as the participant: their side's steps only, visible items only, and
    nothing in a locked step.

    Raises PermissionDenied (another side's step), Http404 (an item this onboarding does not
    show) or NotAllowed (a locked step, an item that ticks itself) with a message for people.
    """
    if not participation.can_edit_step(item.step):
        raise PermissionDenied
    state = OnboardingState(participation.onboarding)
    if not state.visible(item):
        raise Http404
    if state.status(item.step) == StepStatus.LOCKED:
        raise NotAllowed(_("This step is locked until the Test sign-off is valid."))
    return set_item_done(participation.onboarding, item, done, participation.actor)


def note_item(participation: Participation, item: Item, note: str) -> ItemState:
    """Set the item's note as the participant (their side's steps only)."""
    if not participation.can_edit_step(item.step):
        raise PermissionDenied
    return set_item_note(participation.onboarding, item, note, participation.actor)


def comment_item(participation: Participation, item: Item, text: str) -> Comment:
    """Add a comment as the participant: both sides may comment on every item."""
    return add_comment(participation.onboarding, item, text, participation.actor)


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
        1,
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
