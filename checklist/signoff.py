"""The four-eyes sign-off of an environment: declare, approve, send back, gates, snapshots.

An approved sign-off freezes a snapshot of everything it depends on and its SHA-256;
``refresh_signoffs`` runs after every change and invalidates sign-offs whose snapshot no
longer matches ("ungültig – erneut prüfen").
"""

from __future__ import annotations

import hashlib
import json
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from checklist import catalogue, rules, signals, summary
from checklist.access import Participation
from checklist.audit import audit
from checklist.models import (
    ENVIRONMENT_STEP,
    AuditEvent,
    Environment,
    Onboarding,
    SignOff,
    VerificationRun,
)
from checklist.signoff_evidence import Evidence, evidence_for
from checklist.state import NotAllowed, OnboardingState
from portal.models import Actor, User

# The environment whose valid sign-off must exist before this one may be declared.
PREVIOUS_ENVIRONMENT = {
    Environment.REFERENCE: Environment.TEST,
    Environment.PRODUCTION: Environment.REFERENCE,
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


def _items_in_common(
    signed: dict[str, Any], current: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return both snapshots with only the checklist items they share.

    A newer catalogue adds, moves or drops items; that alone does not make a sign-off wrong.
    A moved item is compared under its new key.
    A snapshot of an older format is compared only on what it froze: the values a newer
    format adds (``SNAPSHOT_FORMAT``) are left out of the current one.
    """
    successors = catalogue.load().successors()
    signed_items = {successors.get(k, k): v for k, v in signed.get("items", {}).items()}
    current_items = current.get("items", {})
    common = signed_items.keys() & current_items.keys()
    if signed.get("format") != current.get("format"):
        current = {key: value for key, value in current.items() if key in signed}
        current_items = {
            key: {name: value for name, value in entry.items() if name in signed_items[key]}
            for key, entry in current_items.items()
            if key in common
        }
    return (
        {**signed, "items": {key: signed_items[key] for key in common}},
        {**current, "items": {key: current_items[key] for key in common}},
    )


# Changes ------------------------------------------------------------------------------


def may_invalidate(state: OnboardingState) -> bool:
    """Whether a change could invalidate a sign-off: only a valid one can be (the state of
    the change's transaction decides, as ``refresh_signoffs`` asks it)."""
    return any(state.signoff_valid(environment) for environment in Environment)


def refresh_signoffs(
    onboarding: Onboarding,
    actor: Actor | None,
    state: OnboardingState | None = None,
    *,
    run: VerificationRun | None = None,
) -> list[SignOff]:
    """Invalidate approved sign-offs whose snapshot no longer matches; return those.

    With a state (of the change's transaction), its sign-off states decide whether there is
    anything to check. When a check run changed the items, the audit trail names the run,
    not a person.
    """
    # Most changes happen before any sign-off: skip building the whole state then.
    if state is not None:
        if not may_invalidate(state):
            return []
    elif not onboarding.signoffs.filter(
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
        changes = snapshot_changes(*_items_in_common(signoff.snapshot, current))
        if not changes:  # only the catalogue added, moved or dropped items
            continue
        signoff.invalidated_at = timezone.now()
        signoff.invalidated_changes = changes
        signoff.save(update_fields=["invalidated_at", "invalidated_changes"])
        audit(
            onboarding,
            actor,
            AuditEvent.Action.SIGNOFF_INVALIDATED,
            f"signoff:{environment}",
            old={c["path"]: c["old"] for c in changes},
            new={c["path"]: c["new"] for c in changes},
            step=ENVIRONMENT_STEP[Environment(environment)],
            run=run,
        )
        signals.signoff_invalidated.send(
            Onboarding, onboarding=onboarding, signoff=signoff, actor=actor
        )
        invalidated.append(signoff)
    return invalidated


def _evidence(state: OnboardingState, environment: Environment) -> Evidence:
    """Refuse a declaration or approval the evidence does not carry; return the evidence."""
    evidence = evidence_for(state, environment)
    if evidence.refusal:
        raise NotAllowed(evidence.refusal)
    return evidence


def _recorded(evidence: Evidence) -> dict[str, Any]:
    """The evidence as the record keeps it: in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return evidence.as_data()


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


@transaction.atomic
def declare_ready(
    onboarding: Onboarding,
    environment: Environment,
    actor: User,
    participation: Participation | None = None,
) -> SignOff:
    """Declare the environment ready for sign-off. With a ``participation``,
    ``rules.may_declare`` decides (the side too), else ``rules.declarable``."""
    onboarding.lock()
    state = OnboardingState(onboarding)
    if participation is not None:
        rules.enforce(rules.may_declare(participation, state, environment))
    else:
        rules.enforce(rules.declarable(state.signoff(environment)))
    _gate(state, environment)
    evidence = _evidence(state, environment)
    signoff = SignOff.objects.create(
        onboarding=onboarding,
        environment=environment,
        declared_by=actor,
        declared_at=timezone.now(),
        evidence=_recorded(evidence),
    )
    audit(
        onboarding,
        actor,
        AuditEvent.Action.SIGNOFF_DECLARED,
        f"signoff:{environment}",
        new=json.dumps(evidence.counts(), sort_keys=True),
        step=ENVIRONMENT_STEP[environment],
    )
    summary.store(onboarding)
    signals.signoff_declared.send(Onboarding, onboarding=onboarding, signoff=signoff, actor=actor)
    return signoff


def _pending(
    onboarding: Onboarding,
    environment: Environment,
    actor: User,
    participation: Participation | None,
) -> tuple[SignOff, OnboardingState]:
    """Lock the onboarding; return the declared sign-off this person may decide, and the
    state it was read from."""
    onboarding.lock()
    state = OnboardingState(onboarding)
    if participation is not None:
        rules.enforce(rules.may_decide(participation, state, environment))
    else:
        rules.enforce(rules.decidable(state.signoff(environment), actor))
    signoff = state.signoff(environment)
    if signoff is None:  # decidable() answered no already
        raise NotAllowed(_("There is no declaration waiting for a decision."))
    return signoff, state


@transaction.atomic
def approve(
    onboarding: Onboarding,
    environment: Environment,
    actor: User,
    participation: Participation | None = None,
) -> SignOff:
    signoff, state = _pending(onboarding, environment, actor, participation)
    _gate(state, environment)
    evidence = _evidence(state, environment)
    snapshot = state.snapshot(environment)
    signoff.evidence = _recorded(evidence)
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
        old=json.dumps(evidence.counts(), sort_keys=True),
        new=f"SHA-256 {signoff.snapshot_sha256}",
        step=ENVIRONMENT_STEP[environment],
    )
    summary.store(onboarding)
    signals.signoff_decided.send(Onboarding, onboarding=onboarding, signoff=signoff, actor=actor)
    # The worker keeps an archive copy of the record once the approval is committed.
    transaction.on_commit(partial(_archive, onboarding.pk, str(environment)))
    return signoff


def _archive(onboarding_id: int, environment: str) -> None:
    from checklist import tasks  # here: tasks imports the services that import this module

    tasks.archive_after_approval(onboarding_id, environment)


@transaction.atomic
def send_back(
    onboarding: Onboarding,
    environment: Environment,
    actor: User,
    reason: str,
    participation: Participation | None = None,
) -> SignOff:
    signoff, _state = _pending(onboarding, environment, actor, participation)
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
    summary.store(onboarding)
    signals.signoff_decided.send(Onboarding, onboarding=onboarding, signoff=signoff, actor=actor)
    return signoff
