"""The onboarding's derived state and every change to it.

Views call these functions; each change writes its audit events and re-checks the
sign-offs in the same transaction, so an approved environment whose signed values change
turns "ungültig – erneut prüfen" by itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from checklist import catalogue
from checklist.catalogue import Item
from checklist.models import (
    ENVIRONMENT_STEP,
    AuditEvent,
    Comment,
    Environment,
    EnvironmentRecord,
    ItemState,
    Leistung,
    Onboarding,
    SignOff,
)
from portal.models import User

STEP_ENVIRONMENT = {step: env for env, step in ENVIRONMENT_STEP.items()}
# The environment whose valid sign-off must exist before this one may be declared.
PREVIOUS_ENVIRONMENT = {
    Environment.REFERENCE: Environment.TEST,
    Environment.PRODUCTION: Environment.REFERENCE,
}


class NotAllowed(Exception):
    """A change the rules forbid; the message is for the person who tried it."""


class StepStatus:
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    LOCKED = "locked"


STATUS_LABELS = {
    StepStatus.NOT_STARTED: gettext_lazy("Not started"),
    StepStatus.IN_PROGRESS: gettext_lazy("In progress"),
    StepStatus.DONE: gettext_lazy("Done"),
    StepStatus.LOCKED: gettext_lazy("Locked"),
}


@dataclass
class ItemView:
    item: Item
    state: ItemState
    done: bool
    automatic: bool
    done_by: str = ""
    done_at: datetime | None = None
    by_check: bool = False


@dataclass
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else round(100 * self.done / self.total)


@dataclass
class OnboardingState:
    """Everything derived from one onboarding, loaded with a fixed number of queries."""

    onboarding: Onboarding
    with_comments: bool = False  # only the step page shows them
    leistungen: list[Leistung] = field(init=False)
    records: dict[str, EnvironmentRecord] = field(init=False)
    states: dict[str, ItemState] = field(init=False)
    latest_signoffs: dict[str, SignOff] = field(init=False)

    def __post_init__(self) -> None:
        onboarding = self.onboarding
        self.leistungen = list(onboarding.leistungen.order_by("key"))
        self.records = {r.environment: r for r in onboarding.environments.all()}
        states = onboarding.item_states.select_related("done_by")
        if self.with_comments:
            states = states.prefetch_related("comments__author")
        self.states = {s.key: s for s in states}
        self.latest_signoffs = {}
        for signoff in onboarding.signoffs.select_related("declared_by", "decided_by"):
            self.latest_signoffs.setdefault(signoff.environment, signoff)

    # Conditions and data bindings -------------------------------------------------------

    def _offers(self, channel: str) -> bool:
        return any(channel in leistung.reply_channels() for leistung in self.leistungen)

    def visible(self, item: Item) -> bool:
        condition = item.condition or {}
        if "reply_channel" in condition and not self._offers(condition["reply_channel"]):
            return False
        if condition.get("callback"):
            return any(record.callback_url for record in self.records.values())
        return True

    def _data_done(self, binding: str) -> bool:
        onboarding, leistungen = self.onboarding, self.leistungen
        record_binding = binding.removesuffix("_environment")
        if record_binding in Environment.values:
            record = self.records.get(record_binding)
            return record is not None and record.is_configured
        checks = {
            "leistungen": lambda: bool(leistungen),
            "schemas": lambda: (
                bool(leistungen)
                and all(leistung.schema_uri and leistung.mime_type for leistung in leistungen)
            ),
            "reply_channels": lambda: bool(leistungen),
            "regions": lambda: (
                bool(leistungen) and all(leistung.regions for leistung in leistungen)
            ),
            "provider": lambda: onboarding.provider_decided,
            "metadata_versions": lambda: bool(onboarding.metadata_versions),
            "contacts": lambda: bool(
                onboarding.technical_name
                and onboarding.technical_email
                and onboarding.organisational_name
                and onboarding.organisational_email
            ),
        }
        return checks[binding]()

    def item_view(self, item: Item) -> ItemView:
        state = self.states.get(item.key) or ItemState(onboarding=self.onboarding, key=item.key)
        if item.completion == "data":
            return ItemView(item, state, self._data_done(item.binding or ""), automatic=True)
        if item.completion == "signoff":
            signoff = self.latest_signoffs.get(item.binding or "")
            if signoff is not None and signoff.is_valid:
                return ItemView(
                    item,
                    state,
                    True,
                    automatic=True,
                    done_by=str(signoff.decided_by or ""),
                    done_at=signoff.decided_at,
                )
            return ItemView(item, state, False, automatic=True)
        done_by = ""
        if state.done:
            done_by = _("connection check") if state.done_by_run_id else str(state.done_by or "")
        return ItemView(
            item,
            state,
            state.done,
            automatic=False,
            done_by=done_by,
            done_at=state.done_at if state.done else None,
            by_check=bool(state.done and state.done_by_run_id),
        )

    # Steps and progress -----------------------------------------------------------------

    def items(self, step: int) -> list[ItemView]:
        return [
            self.item_view(item) for item in catalogue.load().for_step(step) if self.visible(item)
        ]

    @cached_property
    def _items_by_step(self) -> dict[int, list[ItemView]]:
        return {step: self.items(step) for step in range(1, 6)}

    def progress(self, step: int) -> Progress:
        required = [view for view in self._items_by_step[step] if view.item.required]
        return Progress(sum(view.done for view in required), len(required))

    def overall(self) -> Progress:
        parts = [self.progress(step) for step in range(1, 6)]
        return Progress(sum(p.done for p in parts), sum(p.total for p in parts))

    def open_required(self, step: int) -> list[ItemView]:
        return [
            view
            for view in self._items_by_step[step]
            if view.item.required and view.item.completion != "signoff" and not view.done
        ]

    def signoff(self, environment: str) -> SignOff | None:
        return self.latest_signoffs.get(environment)

    def signoff_valid(self, environment: str) -> bool:
        signoff = self.signoff(environment)
        return signoff is not None and signoff.is_valid

    def status(self, step: int) -> str:
        environment = STEP_ENVIRONMENT.get(step)
        if step == 4 and not self.signoff_valid(Environment.TEST):
            return StepStatus.LOCKED
        if environment is not None and self.signoff_valid(environment):
            return StepStatus.DONE
        if environment is None and not self.open_required(step):
            return StepStatus.DONE
        started = any(view.done for view in self._items_by_step[step])
        if environment is not None and self.signoff(environment) is not None:
            started = True
        return StepStatus.IN_PROGRESS if started else StepStatus.NOT_STARTED

    def current_step(self) -> int | None:
        """Return the first step that is not done, or None when all are."""
        return next((s for s in range(1, 6) if self.status(s) != StepStatus.DONE), None)

    def next_action(self) -> str:
        """Return, in words, what should happen next and who does it."""
        step = self.current_step()
        if step is None:
            return _("Connected to production. Keep contacts and certificates up to date.")
        environment = STEP_ENVIRONMENT.get(step)
        if environment is not None:
            signoff = self.signoff(environment)
            label = Environment(environment).label
            if signoff is not None and signoff.state == SignOff.State.DECLARED:
                return _("Authority: check and approve the %(env)s sign-off.") % {"env": label}
            if signoff is not None and signoff.state == SignOff.State.APPROVED:
                return _("%(env)s sign-off is invalid: check again and declare it anew.") % {
                    "env": label
                }
        open_items = self.open_required(step)
        if open_items:
            item = open_items[0].item
            who = _("Authority") if item.role == "authority" else _("Service provider")
            if item.role == "both":
                who = _("Authority and service provider")
            return f"{who}: {item.title}"
        if environment is not None:
            return _("Service provider: declare %(env)s ready for sign-off.") % {
                "env": Environment(environment).label
            }
        return ""

    # Snapshots --------------------------------------------------------------------------

    def snapshot(self, environment: str) -> dict[str, Any]:
        """Return everything the environment's sign-off depends on, as plain JSON data."""
        record = self.records.get(environment)
        step = ENVIRONMENT_STEP[Environment(environment)]
        items = {}
        for view in self._items_by_step[step]:
            if view.item.completion == "signoff":
                continue
            items[view.item.key] = {
                "done": view.done,
                "by": view.done_by,
                "at": view.done_at.isoformat() if view.done_at else None,
            }
        return {
            "environment": environment,
            "leistungen": {
                leistung.key: {
                    "name": leistung.name,
                    "schema_kind": leistung.schema_kind,
                    "schema_uri": leistung.schema_uri,
                    "mime_type": leistung.mime_type,
                    "regions": list(leistung.regions),
                    "reply_channels": leistung.reply_channels(),
                }
                for leistung in self.leistungen
            },
            "metadata_versions": sorted(self.onboarding.metadata_versions),
            "environment_record": {
                "client_id": record.client_id if record else "",
                "destination_id": str(record.destination_id or "") if record else "",
                "encryption_kid": record.encryption_kid if record else "",
                "signature_kid": record.signature_kid if record else "",
                "callback_url": record.callback_url if record else "",
                "certificate_expiry": (
                    record.certificate_expiry.isoformat()
                    if record and record.certificate_expiry
                    else None
                ),
            },
            "items": items,
        }


def snapshot_hash(snapshot: dict[str, Any]) -> str:
    """Return the SHA-256 of the snapshot's canonical JSON form."""
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def snapshot_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the values that differ between two snapshots, path by path."""
    before, after = _flatten(old), _flatten(new)
    return [
        {"path": path, "old": before.get(path), "new": after.get(path)}
        for path in sorted(before.keys() | after.keys())
        if before.get(path) != after.get(path)
    ]


# Changes ------------------------------------------------------------------------------


def audit(
    onboarding: Onboarding,
    actor: User | None,
    action: str,
    subject: str = "",
    old: Any = "",
    new: Any = "",
    step: int | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        onboarding=onboarding,
        actor=actor,
        action=action,
        subject=subject,
        old_value=_text(old),
        new_value=_text(new),
        step=step,
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def audit_changes(
    onboarding: Onboarding,
    actor: User | None,
    before: dict[str, Any],
    after: dict[str, Any],
    prefix: str,
    step: int | None,
) -> None:
    """Write one audit event per field whose value changed."""
    for name, new in after.items():
        old = before.get(name)
        if _text(old) != _text(new):
            audit(
                onboarding,
                actor,
                AuditEvent.Action.FIELD_CHANGED,
                f"{prefix}.{name}",
                old,
                new,
                step,
            )


def refresh_signoffs(onboarding: Onboarding, actor: User | None) -> list[SignOff]:
    """Invalidate approved sign-offs whose snapshot no longer matches; return those."""
    # Most changes happen before any sign-off: skip building the whole state then.
    if not onboarding.signoffs.filter(
        state=SignOff.State.APPROVED, invalidated_at__isnull=True
    ).exists():
        return []
    state = OnboardingState(onboarding)
    invalidated = []
    for environment, signoff in state.latest_signoffs.items():
        if not signoff.is_valid or signoff.snapshot is None:
            continue
        current = state.snapshot(environment)
        if snapshot_hash(current) == signoff.snapshot_sha256:
            continue
        changes = snapshot_changes(signoff.snapshot, current)
        signoff.invalidated_at = timezone.now()
        signoff.invalidated_changes = changes
        signoff.save(update_fields=["invalidated_at", "invalidated_changes"])
        audit(
            onboarding,
            actor,
            AuditEvent.Action.SIGNOFF_INVALIDATED,
            f"signoff:{environment}",
            old=", ".join(f"{c['path']}: {_text(c['old'])}" for c in changes),
            new=", ".join(f"{c['path']}: {_text(c['new'])}" for c in changes),
            step=ENVIRONMENT_STEP[Environment(environment)],
        )
        invalidated.append(signoff)
    return invalidated


def _add_items(onboarding: Onboarding) -> None:
    ItemState.objects.bulk_create(
        [ItemState(onboarding=onboarding, key=item.key) for item in catalogue.load().items],
        ignore_conflicts=True,
    )


def ensure_catalogue(onboarding: Onboarding, actor: User | None = None) -> None:
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


@transaction.atomic
def set_item_done(onboarding: Onboarding, item: Item, done: bool, actor: User) -> ItemState:
    """Tick or untick a manual or check item; the last write wins and both are audited."""
    if item.completion in ("data", "signoff"):
        raise NotAllowed(_("This item ticks itself from the recorded data."))
    state = _locked_state(onboarding, item.key)
    if state.done == done:
        return state
    state.done = done
    state.done_by = actor if done else None
    state.done_at = timezone.now() if done else None
    state.done_by_run = None
    state.save(update_fields=["done", "done_by", "done_at", "done_by_run"])
    action = AuditEvent.Action.ITEM_TICKED if done else AuditEvent.Action.ITEM_UNTICKED
    audit(onboarding, actor, action, f"item:{item.key}", not done, done, item.step)
    refresh_signoffs(onboarding, actor)
    return state


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


def _gate(state: OnboardingState, environment: Environment) -> None:
    previous = PREVIOUS_ENVIRONMENT.get(environment)
    if previous is not None and not state.signoff_valid(previous):
        raise NotAllowed(
            _("%(env)s can only be signed off after a valid %(previous)s sign-off.")
            % {"env": environment.label, "previous": Environment(previous).label}
        )
    step = ENVIRONMENT_STEP[environment]
    missing = state.open_required(step)
    if missing:
        raise NotAllowed(
            _("Not all required items of step %(step)d are done yet: %(items)s")
            % {"step": step, "items": "; ".join(view.item.title for view in missing)}
        )


def _lock_signoffs(onboarding: Onboarding) -> None:
    # Serialise sign-off decisions per onboarding.
    Onboarding.objects.select_for_update().filter(pk=onboarding.pk).first()


@transaction.atomic
def declare_ready(onboarding: Onboarding, environment: Environment, actor: User) -> SignOff:
    _lock_signoffs(onboarding)
    state = OnboardingState(onboarding)
    current = state.signoff(environment)
    if current is not None and current.state == SignOff.State.DECLARED:
        raise NotAllowed(_("This environment is already waiting for sign-off."))
    if current is not None and current.is_valid:
        raise NotAllowed(_("This environment is already signed off."))
    _gate(state, environment)
    signoff = SignOff.objects.create(
        onboarding=onboarding,
        environment=environment,
        declared_by=actor,
        declared_at=timezone.now(),
    )
    audit(
        onboarding,
        actor,
        AuditEvent.Action.SIGNOFF_DECLARED,
        f"signoff:{environment}",
        step=ENVIRONMENT_STEP[environment],
    )
    return signoff


def _pending(onboarding: Onboarding, environment: Environment, actor: User) -> SignOff:
    _lock_signoffs(onboarding)
    signoff = OnboardingState(onboarding).signoff(environment)
    if signoff is None or signoff.state != SignOff.State.DECLARED:
        raise NotAllowed(_("There is no declaration waiting for a decision."))
    if signoff.declared_by_id == actor.pk:
        raise NotAllowed(
            _("Four eyes: a different person must decide on the sign-off you declared.")
        )
    return signoff


@transaction.atomic
def approve(onboarding: Onboarding, environment: Environment, actor: User) -> SignOff:
    signoff = _pending(onboarding, environment, actor)
    state = OnboardingState(onboarding)
    _gate(state, environment)
    snapshot = state.snapshot(environment)
    signoff.state = SignOff.State.APPROVED
    signoff.decided_by = actor
    signoff.decided_at = timezone.now()
    signoff.snapshot = snapshot
    signoff.snapshot_sha256 = snapshot_hash(snapshot)
    signoff.save()
    audit(
        onboarding,
        actor,
        AuditEvent.Action.SIGNOFF_APPROVED,
        f"signoff:{environment}",
        new=f"SHA-256 {signoff.snapshot_sha256}",
        step=ENVIRONMENT_STEP[environment],
    )
    return signoff


@transaction.atomic
def send_back(
    onboarding: Onboarding, environment: Environment, actor: User, reason: str
) -> SignOff:
    signoff = _pending(onboarding, environment, actor)
    signoff.state = SignOff.State.RETURNED
    signoff.decided_by = actor
    signoff.decided_at = timezone.now()
    signoff.reason = reason.strip()
    signoff.save()
    audit(
        onboarding,
        actor,
        AuditEvent.Action.SIGNOFF_RETURNED,
        f"signoff:{environment}",
        new=signoff.reason,
        step=ENVIRONMENT_STEP[environment],
    )
    return signoff
