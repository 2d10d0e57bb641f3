"""Recording changes in the audit trail and describing them in the reader's language.

The lowest layer of the app: every service writes through ``audit``. Values are stored raw
(``true``/``false`` for yes/no, lists comma-separated, a sign-off's invalidating changes as
JSON); ``checklist.audit_sentences`` turns each event into a sentence for the Protokoll and
the activity feed, and ``describe_path`` names what changed since a sign-off.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.utils.translation import gettext as _

from checklist import audit_chain, catalogue
from checklist.models import (
    AuditEvent,
    EnvironmentRecord,
    Leistung,
    Onboarding,
    VerificationRun,
)
from portal import raw_rows
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
    locked: bool = False,
    head: str | None = None,
    update: tuple[models.Model, Sequence[str]] | None = None,
    also: tuple[type[models.Model], Any, dict[str, Any]] | None = None,
) -> AuditEvent:
    """Record a change; a change a connection check made names its ``run`` instead of a person.

    The entry is chained onto the onboarding's Protokoll (``checklist.audit_chain``) in the
    caller's transaction, or in its own. ``locked``: the caller's transaction holds the
    onboarding's row lock already (``Onboarding.lock`` or a look-up with ``lock=True``);
    ``head``: the newest entry's hash, read under that lock ("" for none), if the caller has.
    ``update``: the row and fields of the change recorded, saved with the entry (in one
    statement where the database allows, ``portal.raw_rows``); ``also``: with ``update``, a
    further row's values written in that statement (a model, its key and the values).
    """
    user, token = split_actor(actor)
    event = AuditEvent(
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
    # No savepoint inside the caller's transaction: a failed entry fails the whole change.
    with transaction.atomic(savepoint=False):
        heads = {onboarding.pk: head} if locked and head is not None else None
        audit_chain.seal([event], locked=locked, heads=heads)
        # Every tick writes one: written out (``portal.raw_rows``).
        if update is not None:
            raw_rows.save_fields_and_insert(*update, event, also)
        else:
            raw_rows.insert(event)
            if also is not None:
                raw_rows.update_values(*also)
    return event


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


def describe_actor(event: AuditEvent) -> str:
    """Return who made the change: a person, "API token <name> (organisation)", or ""."""
    return str(event.actor or event.api_token or "")


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


def host_label(name: str) -> str:
    """Return the name of an environment address a stored secret is bound to."""
    return {
        "token_url": _("Token URL"),
        "submission_base": _("Submission API"),
        "routing_base": _("Routing API"),
    }.get(name, name)
