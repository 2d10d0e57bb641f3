"""Stored secrets bound to the hosts they were stored for.

A stored secret remembers its environment's token, submission and routing hosts
(``StoredSecret.bound_hosts``); ``verification.credentials_for`` never sends it while they
differ. When a site operator changes them (the admin), every onboarding with stored secrets
for the environment gets an audit entry and its people a notification; a member who may
store secrets confirms the new hosts (with the second factor) to use the secrets again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from checklist import audit_chain, signals
from checklist.audit import as_text, audit
from checklist.models import AuditEvent, FitConnectEnvironment, Onboarding, StoredSecret
from checklist.verification import SecretState
from portal.models import User


@dataclass(frozen=True)
class HostChange:
    """How the hosts of an environment changed since its secrets were stored, and by whom."""

    changes: list[tuple[str, str, str]]  # (field, old host, new host)
    by: User | None
    at: Any


def host_change(
    onboarding: Onboarding, environment: FitConnectEnvironment, stored: dict[str, SecretState]
) -> HostChange | None:
    """Return the change that keeps stored secrets back, or None when all are usable."""
    stale = [state for state in stored.values() if not state.usable]
    if not stale:
        return None
    bound = stale[0].bound_hosts
    current = environment.secret_hosts
    changes = [
        (name, bound.get(name, ""), current.get(name, ""))
        for name in sorted({*bound, *current})
        if bound.get(name, "") != current.get(name, "")
    ]
    event = (
        onboarding.audit_events.filter(
            action=AuditEvent.Action.HOSTS_CHANGED, subject=f"hosts:{environment.key}"
        )
        .select_related("actor")
        .first()
    )
    return HostChange(changes, event.actor if event else None, event.created_at if event else None)


@transaction.atomic
def confirm_hosts(onboarding: Onboarding, environment: FitConnectEnvironment, user: User) -> int:
    """Bind the stored secrets of the environment to its current hosts; return how many."""
    hosts = environment.secret_hosts
    stale = [
        secret
        for secret in StoredSecret.objects.select_for_update().filter(
            onboarding=onboarding, environment=environment.key
        )
        if not secret.is_bound_to(environment)
    ]
    if not stale:
        return 0
    old = stale[0].bound_hosts
    StoredSecret.objects.filter(pk__in=[s.pk for s in stale]).update(bound_hosts=hosts)
    audit(
        onboarding,
        user,
        AuditEvent.Action.HOSTS_CONFIRMED,
        f"hosts:{environment.key}",
        old,
        hosts,
        step=environment.step,
    )
    return len(stale)


@transaction.atomic
def record_host_change(
    environment: FitConnectEnvironment, old: dict[str, str], user: User | None
) -> list[Onboarding]:
    """Record that an operator changed the hosts of an environment, in the audit trail of
    every onboarding with stored secrets for it, and tell its people; return those
    onboardings. The secrets themselves wait for a confirmation (``confirm_hosts``)."""
    new = environment.secret_hosts
    if old == new:
        return []
    onboardings = list(
        Onboarding.objects.filter(secrets__environment=environment.key).distinct().order_by("pk")
    )
    if not onboardings:
        return []
    events = [
        AuditEvent(
            onboarding=onboarding,
            actor=user,
            action=AuditEvent.Action.HOSTS_CHANGED,
            subject=f"hosts:{environment.key}",
            old_value=as_text(old),
            new_value=as_text(new),
            step=environment.step,
        )
        for onboarding in onboardings
    ]
    with transaction.atomic():
        audit_chain.seal(events)
        AuditEvent.objects.bulk_create(events)
    signals.environment_hosts_changed.send(
        Onboarding, onboardings=onboardings, environment=environment, old=old, new=new, actor=user
    )
    return onboardings
