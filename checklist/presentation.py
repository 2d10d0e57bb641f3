"""Turn the derived onboarding state into what templates show."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from checklist import catalogue
from checklist.models import (
    AuditEvent,
    Environment,
    EnvironmentRecord,
    Leistung,
    Onboarding,
    RecordEnvironment,
    StoredSecret,
)
from checklist.services import (
    STATUS_LABELS,
    STEP_ENVIRONMENT,
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
                environment=STEP_ENVIRONMENT.get(step.number),
            )
        )
    return cards


def _field_label(model: type[Onboarding | Leistung | EnvironmentRecord], name: str) -> str:
    if name == "provider":
        return _("IT service provider")
    if name == "key":
        return _("Leistungsschlüssel")
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # a field removed since the event was written
        return name
    return str(getattr(field, "verbose_name", name))


def describe_subject(event: AuditEvent) -> str:
    """Return the audit event's subject in the reader's language."""
    subject = event.subject
    if subject.startswith("item:"):
        item = catalogue.load().by_key().get(subject[5:])
        return item.title if item else subject[5:]
    if subject.startswith("secret:"):
        _prefix, environment, kind = ([*subject.split(":"), "", ""])[:3]
        kinds = dict(StoredSecret.Kind.choices)
        return f"{RecordEnvironment(environment).label}: {kinds.get(kind, kind)}"
    if subject.startswith("run:"):
        return _("Connection check %(env)s") % {"env": RecordEnvironment(subject[4:]).label}
    if subject.startswith("signoff:"):
        return _("Sign-off %(env)s") % {"env": Environment(subject[8:]).label}
    parts = subject.split(".")
    if parts[0] == "onboarding" and len(parts) == 2:
        return _field_label(Onboarding, parts[1])
    if parts[0] == "leistung" and len(parts) >= 2:
        label = _("Service %(key)s") % {"key": parts[1]}
        return f"{label}: {_field_label(Leistung, parts[2])}" if len(parts) == 3 else label
    if parts[0] == "environment" and len(parts) == 3:
        return f"{RecordEnvironment(parts[1]).label}: {_field_label(EnvironmentRecord, parts[2])}"
    return subject
