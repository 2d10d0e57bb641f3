"""The recorded data a sign-off freezes: services (Leistungen) and environment records.

One function per change, like ``checklist.services`` (which offers them too): each writes
inside ``checklist.changes.change`` (lock, sign-off refresh, summary) and audits every
changed value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from checklist.audit import audit, audit_changes
from checklist.changes import change
from checklist.environments import environment_step
from checklist.models import AuditEvent, EnvironmentRecord, Leistung, Onboarding
from portal.models import User


def field_values(instance: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in names}


# Services (Leistungen) ----------------------------------------------------------------------


def save_leistung(leistung: Leistung, actor: User) -> Leistung:
    """Save a new or changed service (with every value already set) and audit each change."""
    with change(leistung.onboarding, actor) as onboarding:
        _save_leistung(onboarding, leistung, actor)
    return leistung


def _save_leistung(onboarding: Onboarding, leistung: Leistung, actor: User) -> None:
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
            field_values(stored, Leistung.RECORDED_FIELDS),
            field_values(leistung, Leistung.RECORDED_FIELDS),
            subject,
            1,
        )


def remove_leistung(leistung: Leistung, actor: User) -> None:
    with change(leistung.onboarding, actor) as onboarding:
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


# Environment records ------------------------------------------------------------------------


def save_environment_record(record: EnvironmentRecord, actor: User) -> EnvironmentRecord:
    """Save what the provider set up in one environment (values already set) and audit it."""
    with change(record.onboarding, actor) as onboarding:
        stored = EnvironmentRecord.objects.filter(pk=record.pk).first() if record.pk else None
        record.save()
        audit_changes(
            onboarding,
            actor,
            field_values(stored, EnvironmentRecord.RECORDED_FIELDS) if stored else {},
            field_values(record, EnvironmentRecord.RECORDED_FIELDS),
            f"environment.{record.environment}",
            environment_step(record.environment),
        )
    return record
