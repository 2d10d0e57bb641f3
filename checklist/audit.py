"""Recording changes in the audit trail and describing them in the reader's language.

The lowest layer of the app: every service writes through ``audit``. Values are stored raw
(``true``/``false`` for yes/no, lists comma-separated, a sign-off's invalidating changes as
JSON); ``describe_subject`` and ``describe_value`` turn them into words when a page or the PDF
shows them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _

from checklist import catalogue
from checklist.environments import environment_label
from checklist.models import (
    AuditEvent,
    Environment,
    EnvironmentRecord,
    Leistung,
    Onboarding,
    StoredSecret,
    VerificationRun,
)
from portal.models import Actor, ApiToken, User

TRUE, FALSE = "true", "false"
# The subject of an ITEM_ASSIGNED event whose person (the old value) left the onboarding.
ASSIGNMENT_ENDED = "assignment_ended"


def split_actor(actor: Actor | None) -> tuple[User | None, ApiToken | None]:
    """Return the actor as (person, None) or (None, API token), for the two foreign keys."""
    if isinstance(actor, ApiToken):
        return None, actor
    return actor, None


def audit(
    onboarding: Onboarding,
    actor: Actor | None,
    action: str,
    subject: str = "",
    old: Any = "",
    new: Any = "",
    step: int | None = None,
    *,
    run: VerificationRun | None = None,
) -> AuditEvent:
    """Record a change; a change a connection check made names its ``run`` instead of a person."""
    user, token = split_actor(actor)
    return AuditEvent.objects.create(
        onboarding=onboarding,
        actor=user,
        api_token=token,
        run=run,
        action=action,
        subject=subject,
        old_value=as_text(old),
        new_value=as_text(new),
        step=step,
    )


def as_text(value: Any) -> str:
    """Return the raw text form in which a value is stored (never translated)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def audit_changes(
    onboarding: Onboarding,
    actor: Actor | None,
    before: dict[str, Any],
    after: dict[str, Any],
    prefix: str,
    step: int | None,
) -> None:
    """Write one audit event per field whose value changed."""
    for name, new in after.items():
        old = before.get(name)
        if as_text(old) != as_text(new):
            audit(
                onboarding,
                actor,
                AuditEvent.Action.FIELD_CHANGED,
                f"{prefix}.{name}",
                old,
                new,
                step,
            )


# Describing ------------------------------------------------------------------------------

FieldModel = type[Onboarding | Leistung | EnvironmentRecord]


def _field(model: FieldModel, name: str) -> models.Field[Any, Any] | None:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # a field removed since the event was written
        return None
    return field if isinstance(field, models.Field) else None


def _is_leistung_part(name: str) -> bool:
    """Whether a path part names a value of a Leistung (a field, or its reply channels)."""
    return name == "reply_channels" or _field(Leistung, name) is not None


def _field_label(model: FieldModel, name: str) -> str:
    if name == "reply_channels":
        return _("Reply channels")
    if name == "provider":
        return _("IT service provider")
    if name == "key":
        return _("Leistungsschlüssel")
    field = _field(model, name)
    return str(field.verbose_name) if field is not None else name


Labels = dict[str, str] | None  # environment names by key, loaded once per page


@dataclass(frozen=True)
class _Subject:
    label: str
    boolean: bool = False


def _subject(event: AuditEvent, labels: Labels) -> _Subject:
    subject = event.subject
    if subject == ASSIGNMENT_ENDED:
        label = _("Assignment to %(name)s ended: no longer taking part")
        return _Subject(label % {"name": event.old_value or _("a former member")})
    if subject.startswith("item:"):
        item = catalogue.load().resolve(subject[5:])
        return _Subject(item.title if item else subject[5:], boolean=True)
    if subject.startswith("secret:"):
        _prefix, environment, kind = ([*subject.split(":"), "", ""])[:3]
        kinds = dict(StoredSecret.Kind.choices)
        return _Subject(f"{environment_label(environment, labels)}: {kinds.get(kind, kind)}")
    if subject.startswith("hosts:"):
        label = _("Addresses of %(env)s") % {"env": environment_label(subject[6:], labels)}
        return _Subject(label)
    if subject.startswith("run:"):
        label = _("Connection check %(env)s") % {"env": environment_label(subject[4:], labels)}
        return _Subject(label)
    if subject.startswith("deadline."):
        return _Subject(_("Due date of step %(step)s") % {"step": subject[9:]})
    if subject.startswith("signoff:"):
        return _Subject(_("Sign-off %(env)s") % {"env": Environment(subject[8:]).label})
    parts = subject.split(".")
    models_by_prefix: dict[str, FieldModel] = {
        "onboarding": Onboarding,
        "leistung": Leistung,
        "environment": EnvironmentRecord,
    }
    model = models_by_prefix.get(parts[0])
    if model is None or len(parts) < 2:
        return _Subject(subject)
    if parts[0] == "leistung":
        # The key may itself contain dots (a service URN): the field is the last part.
        has_field = len(parts) >= 3 and _is_leistung_part(parts[-1])
        key = ".".join(parts[1:-1] if has_field else parts[1:])
        label = _("Service %(key)s") % {"key": key}
        if not has_field:
            return _Subject(label)
        prefix, name = label, parts[-1]
    elif parts[0] == "environment" and len(parts) == 3:
        prefix, name = environment_label(parts[1], labels), parts[2]
    else:
        prefix, name = "", parts[1]
    field = _field(model, name)
    label = _field_label(model, name)
    return _Subject(
        f"{prefix}: {label}" if prefix else label,
        boolean=isinstance(field, models.BooleanField),
    )


def describe_actor(event: AuditEvent) -> str:
    """Return who made the change: a person, "API token <name> (organisation)", or ""."""
    return str(event.actor or event.api_token or "")


def describe_subject(event: AuditEvent, labels: Labels = None) -> str:
    """Return the audit event's subject in the reader's language."""
    return _subject(event, labels).label


def _yes_no(raw: str) -> str:
    return {TRUE: _("yes"), FALSE: _("no")}.get(raw, raw)


def describe_path(path: str) -> str:
    """Return a snapshot path (``leistungen.<key>.schema_uri``) in the reader's language."""
    parts = path.split(".")
    if parts[0] == "leistungen" and len(parts) >= 2:
        # The key may itself contain dots (a service URN): it ends before the first field.
        end = next(
            (i for i in range(2, len(parts)) if _is_leistung_part(parts[i])),
            len(parts),
        )
        label = _("Service %(key)s") % {"key": ".".join(parts[1:end])}
        return f"{label}: {_field_label(Leistung, parts[end])}" if end < len(parts) else label
    if parts[0] == "environment_record" and len(parts) == 2:
        return _field_label(EnvironmentRecord, parts[1])
    if parts[0] == "items" and len(parts) >= 2:
        item = catalogue.load().resolve(parts[1])
        title = item.title if item else parts[1]
        detail = {"done": _("done"), "by": _("by"), "at": _("at")}.get(parts[-1], "")
        return f"{title} ({detail})" if detail and len(parts) == 3 else title
    if parts[0] == "metadata_versions":
        return _field_label(Onboarding, "metadata_versions")
    return path


def plain_value(value: Any) -> str:
    """Return a snapshot value in the reader's language (yes/no, lists, "–" for nothing)."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return _yes_no(as_text(value))
    return as_text(value)


def describe_value(event: AuditEvent, raw: str, labels: Labels = None) -> str:
    """Return a stored value (``old_value`` or ``new_value``) in the reader's language."""
    if event.action == AuditEvent.Action.SIGNOFF_INVALIDATED and raw.startswith("{"):
        try:
            changes = json.loads(raw)
        except ValueError:
            return raw
        return "; ".join(
            f"{describe_path(p)}: {plain_value(v)}" for p, v in sorted(changes.items())
        )
    if event.action in HOST_ACTIONS and raw.startswith("{"):
        return _hosts(raw)
    if event.action == AuditEvent.Action.DUE_DATE_CHANGED:
        return _date(raw)
    if event.action == AuditEvent.Action.ITEM_ASSIGNED:
        return raw or _("nobody (the whole side)")
    if _subject(event, labels).boolean:
        return _yes_no(raw)
    return raw


HOST_ACTIONS = (AuditEvent.Action.HOSTS_CHANGED, AuditEvent.Action.HOSTS_CONFIRMED)


def host_label(name: str) -> str:
    """Return the name of an environment address a stored secret is bound to."""
    return {
        "token_url": _("Token URL"),
        "submission_base": _("Submission API"),
        "routing_base": _("Routing API"),
    }.get(name, name)


def _hosts(raw: str) -> str:
    """Return hosts stored as JSON by address ({"token_url": …}) as "Token URL: host; …"."""
    try:
        hosts = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(hosts, dict):
        return raw
    return "; ".join(f"{host_label(name)}: {host}" for name, host in sorted(hosts.items()))


def _date(raw: str) -> str:
    """Return an ISO date as TT.MM.JJJJ; nothing as "proposed from the go-live date"."""
    if not raw:
        return _("proposed from the go-live date")
    try:
        return date.fromisoformat(raw).strftime("%d.%m.%Y")
    except ValueError:
        return raw
