"""Each audit event as one sentence a clerk understands: who did what, in words.

``checklist.audit`` stores values raw (``true``/``false``, comma-separated lists, JSON); the
Protokoll and the activity feed on "Meine Aufgaben" show them through ``sentence``: "Clara
Code hat „Subscriber-Client eingerichtet“ abgehakt.", never "Punkt abgehakt: ja", a hash, a
field name or a list of "field: –" pairs. The Protokoll shows the values before and after
that people typed; the feed (``brief``) names only what changed, with free text shortened.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _

from checklist import catalogue
from checklist.audit import ASSIGNMENT_ENDED, TRUE, Labels, host_label
from checklist.environments import environment_label
from checklist.evidence_counts import summary_of
from checklist.forms import ONBOARDING_LABELS
from checklist.models import (
    AuditEvent,
    ConformanceRun,
    Environment,
    EnvironmentRecord,
    Leistung,
    Onboarding,
    StoredSecret,
)
from checklist.reminders import side_in_words
from fitconnect.conformance import CASES
from fitconnect.conformance.judge import sent_text
from fitconnect.messages import render

Action = AuditEvent.Action
# Free text (notes, comments, reasons) in the feed is cut after this many characters.
BRIEF_TEXT = 80
# Changes named in the feed's sentence about an invalidated sign-off; the rest are counted.
BRIEF_CHANGES = 3
# Values that identify something technical (IDs, key IDs): the Protokoll names the change
# and the step page shows the value.
IDENTIFIERS = {"client_id", "destination_id", "encryption_kid", "signature_kid"}
DATES = {"target_go_live", "certificate_expiry"}


def quoted(text: str) -> str:
    return _("“%(text)s”") % {"text": text}


def _of_environment(key: str) -> str:
    """The sign-off's environment after "the sign-off" ("of the test environment")."""
    phrases: dict[str, str] = {
        Environment.TEST.value: _("of the test environment"),
        Environment.REFERENCE.value: _("of the reference environment"),
        Environment.PRODUCTION.value: _("of the production environment"),
    }
    return phrases.get(key, key)


def actor_phrase(event: AuditEvent) -> str:
    """Who made the change, as the start of a sentence."""
    run = event.run
    if run is not None:
        who = run.started_by or run.started_by_token or _("the command line")
        when = timezone.localtime(run.started_at).strftime("%d.%m.%Y, %H:%M")
        return capfirst(
            _("the connection check of %(when)s (started by %(who)s)") % {"when": when, "who": who}
        )
    return capfirst(str(event.actor or event.api_token or _("the portal")))


def _item(key: str) -> str:
    item = catalogue.load().resolve(key)
    return quoted(item.title if item else key)


def _text(raw: str, brief: bool) -> str:
    return quoted(Truncator(raw).chars(BRIEF_TEXT) if brief else raw)


def _date(raw: str) -> str:
    try:
        return date.fromisoformat(raw).strftime("%d.%m.%Y")
    except ValueError:
        return raw


# Fields ------------------------------------------------------------------------------------

FieldModel = type[Onboarding | Leistung | EnvironmentRecord]


def _model_field(model: FieldModel, name: str) -> models.Field[Any, Any] | None:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # a field removed since the event was written
        return None
    return field if isinstance(field, models.Field) else None


def field_label(model: FieldModel, name: str) -> str:
    if name == "reply_channels":
        return _("Reply channels")
    if name == "key":
        return _("Leistungsschlüssel")
    if model is Onboarding and name in ONBOARDING_LABELS:
        return str(ONBOARDING_LABELS[name])
    field = _model_field(model, name)
    return capfirst(str(field.verbose_name)) if field is not None else name


def _value(model: FieldModel, name: str, raw: str) -> str:
    """A stored value in words: a choice's label, a date as TT.MM.JJJJ, the text itself."""
    field = _model_field(model, name)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(raw, raw))
    if name in DATES:
        return _date(raw)
    return raw


def leistung_key_and_field(parts: list[str]) -> tuple[str, str]:
    """Split ``<key parts>.<field>`` (a key may contain dots); the field is "" when absent."""
    for index in range(1, len(parts)):
        if parts[index] == "reply_channels" or _model_field(Leistung, parts[index]):
            return ".".join(parts[:index]), parts[index]
    return ".".join(parts), ""


def _service(key: str) -> str:
    return _("service %(key)s") % {"key": key}


def _field_change(event: AuditEvent, labels: Labels, brief: bool) -> str:
    parts = event.subject.split(".")
    model: FieldModel
    if parts[0] == "leistung":
        key, name = leistung_key_and_field(parts[1:])
        model = Leistung
        what = _("%(field)s of %(service)s") % {
            "field": quoted(field_label(Leistung, name)),
            "service": _service(key),
        }
    elif parts[0] == "environment" and len(parts) == 3:
        model, name = EnvironmentRecord, parts[2]
        what = _("%(field)s of %(env)s") % {
            "field": quoted(field_label(EnvironmentRecord, name)),
            "env": environment_label(parts[1], labels),
        }
    else:
        model, name = Onboarding, parts[-1]
        what = quoted(field_label(Onboarding, name))
    actor = actor_phrase(event)
    if isinstance(_model_field(model, name), models.BooleanField):
        if event.new_value == TRUE:
            return _("%(actor)s selected %(what)s.") % {"actor": actor, "what": what}
        return _("%(actor)s deselected %(what)s.") % {"actor": actor, "what": what}
    old = _value(model, name, event.old_value)
    new = _value(model, name, event.new_value)
    values = {"actor": actor, "what": what, "old": quoted(old), "new": quoted(new)}
    if brief or name in IDENTIFIERS:
        if not old:
            return _("%(actor)s entered %(what)s.") % values
        if not new:
            return _("%(actor)s cleared %(what)s.") % values
        return _("%(actor)s changed %(what)s.") % values
    if not old:
        return _("%(actor)s set %(what)s to %(new)s.") % values
    if not new:
        return _("%(actor)s cleared %(what)s (before: %(old)s).") % values
    return _("%(actor)s changed %(what)s from %(old)s to %(new)s.") % values


# Sign-offs ---------------------------------------------------------------------------------


def _snapshot_changes(raw_old: str, raw_new: str) -> list[str]:
    """What changed since a sign-off, in words, one phrase per service, item or value."""
    try:
        old, new = json.loads(raw_old or "{}"), json.loads(raw_new or "{}")
    except ValueError:
        return []
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    services: dict[str, list[str]] = {}
    phrases: list[str] = []
    for path in sorted(old.keys() | new.keys()):
        parts = path.split(".")
        if parts[0] == "leistungen" and len(parts) >= 2:
            key, name = leistung_key_and_field(parts[1:])
            services.setdefault(key, []).append(path)
            continue
        if parts[0] == "items" and len(parts) >= 2:
            phrase = _("tick of %(item)s") % {"item": _item(parts[1])}
        elif parts[0] == "environment_record" and len(parts) == 2:
            phrase = quoted(field_label(EnvironmentRecord, parts[1]))
        elif parts[0] == "metadata_versions":
            phrase = quoted(field_label(Onboarding, "metadata_versions"))
        else:
            continue
        if phrase not in phrases:
            phrases.append(phrase)
    for key, paths in services.items():
        if all(old.get(p) is None for p in paths):
            phrases.append(_("%(service)s added") % {"service": _service(key)})
        elif all(new.get(p) is None for p in paths):
            phrases.append(_("%(service)s removed") % {"service": _service(key)})
        else:
            names = []
            for path in paths:
                name = leistung_key_and_field(path.split(".")[1:])[1]
                label = quoted(field_label(Leistung, name))
                if label not in names:
                    names.append(label)
            phrases.append(
                _("%(fields)s of %(service)s")
                % {"fields": ", ".join(names), "service": _service(key)}
            )
    return phrases


def _invalidated(event: AuditEvent, brief: bool) -> str:
    changes = _snapshot_changes(event.old_value, event.new_value)
    values = {"of_env": _of_environment(event.subject[8:]), "actor": actor_phrase(event)}
    if not changes:
        text = _("The sign-off %(of_env)s is no longer valid: %(actor)s changed what it covered.")
        return text % values
    shown = changes[:BRIEF_CHANGES] if brief else changes
    listed = "; ".join(shown)
    if len(changes) > len(shown):
        listed += " " + _("and %(count)d more") % {"count": len(changes) - len(shown)}
    return _(
        "The sign-off %(of_env)s is no longer valid: %(actor)s changed what it covered "
        "(%(changes)s)."
    ) % {**values, "changes": listed}


def _evidence_summary(raw: str, environment: str) -> str:
    """The evidence summary of a declaration or approval (counts stored as JSON), or ""."""
    try:
        counts = json.loads(raw) if raw.startswith("{") else None
        stage = Environment(environment)
    except ValueError:
        return ""
    return summary_of(counts, stage) if isinstance(counts, dict) else ""


def _signoff(event: AuditEvent, brief: bool) -> str:
    values = {"actor": actor_phrase(event), "of_env": _of_environment(event.subject[8:])}
    evidence = _evidence_summary(
        event.new_value if event.action == Action.SIGNOFF_DECLARED else event.old_value,
        event.subject[8:],
    )
    if event.action == Action.SIGNOFF_DECLARED:
        if evidence:
            return _("%(actor)s asked for the sign-off %(of_env)s. Evidence: %(evidence)s") % {
                **values,
                "evidence": evidence,
            }
        return _("%(actor)s asked for the sign-off %(of_env)s.") % values
    if event.action == Action.SIGNOFF_APPROVED:  # its hash belongs to the PDF, not here
        if evidence:
            return _("%(actor)s approved the sign-off %(of_env)s. Evidence: %(evidence)s") % {
                **values,
                "evidence": evidence,
            }
        return _("%(actor)s approved the sign-off %(of_env)s.") % values
    if event.action == Action.SIGNOFF_RETURNED:
        if not event.new_value:
            return _("%(actor)s sent the sign-off %(of_env)s back.") % values
        return _("%(actor)s sent the sign-off %(of_env)s back: %(reason)s") % {
            **values,
            "reason": _text(event.new_value, brief),
        }
    return _invalidated(event, brief)


# Everything else ---------------------------------------------------------------------------


def _hosts(raw: str) -> dict[str, str]:
    try:
        hosts = json.loads(raw or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in hosts.items()} if isinstance(hosts, dict) else {}


def _hosts_changed(event: AuditEvent, labels: Labels, brief: bool) -> str:
    values = {
        "actor": actor_phrase(event),
        "env": environment_label(event.subject.removeprefix("hosts:"), labels),
    }
    old, new = _hosts(event.old_value), _hosts(event.new_value)
    changed = [
        _("%(name)s from %(old)s to %(new)s")
        % {"name": host_label(name), "old": old.get(name) or "–", "new": new.get(name) or "–"}
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]
    if event.action == Action.HOSTS_CONFIRMED:
        return _("%(actor)s confirmed the new addresses of %(env)s for the stored secrets.") % (
            values
        )
    if brief or not changed:
        return _("%(actor)s changed the addresses of %(env)s.") % values
    return _("%(actor)s changed the addresses of %(env)s: %(changes)s.") % {
        **values,
        "changes": "; ".join(changed),
    }


def _service_added_or_removed(event: AuditEvent) -> str:
    raw = event.new_value or event.old_value
    key, _space, name = raw.partition(" ")
    values = {"actor": actor_phrase(event), "name": quoted(name or key), "key": key}
    if event.action == Action.LEISTUNG_ADDED:
        return _("%(actor)s added the service %(name)s (%(key)s).") % values
    return _("%(actor)s removed the service %(name)s (%(key)s).") % values


def _item_event(event: AuditEvent, brief: bool) -> str:
    values = {"actor": actor_phrase(event), "item": _item(event.subject[5:])}
    action = event.action
    if action == Action.ITEM_TICKED:
        return _("%(actor)s ticked %(item)s.") % values
    if action == Action.ITEM_TICKED_WITH_REASON:
        return _("%(actor)s ticked %(item)s by hand. Reason: %(text)s") % {
            **values,
            "text": _text(event.new_value, brief),
        }
    if action == Action.ITEM_UNTICKED:
        return _("%(actor)s removed the tick from %(item)s.") % values
    if action == Action.NOTE_CHANGED:
        if not event.new_value:
            return _("%(actor)s deleted the note on %(item)s.") % values
        return _("%(actor)s wrote a note on %(item)s: %(text)s") % {
            **values,
            "text": _text(event.new_value, brief),
        }
    if action == Action.COMMENT_ADDED:
        return _("%(actor)s commented on %(item)s: %(text)s") % {
            **values,
            "text": _text(event.new_value, brief),
        }
    if not event.new_value:
        return _("%(actor)s removed the assignment of %(item)s: the whole side is responsible.") % (
            values
        )
    return _("%(actor)s assigned %(item)s to %(name)s.") % {**values, "name": event.new_value}


def _conformance_item(event: AuditEvent) -> str:
    """A conformance run ticked or reopened an item; the run and the failed cases by name."""
    try:
        detail = json.loads(event.new_value)
    except ValueError:
        detail = {}
    detail = detail if isinstance(detail, dict) else {}
    run_id = detail.get("run")
    run = (
        ConformanceRun.objects.filter(pk=run_id).select_related("started_by").first()
        if isinstance(run_id, int)
        else None
    )
    if run is not None:
        who = run.started_by or run.started_by_token or _("the command line")
        when = timezone.localtime(run.started_at).strftime("%d.%m.%Y, %H:%M")
        actor = _("the conformance run of %(when)s (started by %(who)s)") % {
            "when": when,
            "who": who,
        }
    else:
        actor = _("a conformance run")
    values = {"actor": capfirst(actor), "item": _item(event.subject[5:])}
    if event.action == Action.CONFORMANCE_TICKED:
        return _("%(actor)s ticked %(item)s: every case was answered as FITKO requires.") % values
    cases = [str(c) for c in detail.get("cases") or [] if c in CASES]
    names = ", ".join(quoted(render(sent_text(case))) for case in cases) or "–"
    return _(
        "%(actor)s removed the tick from %(item)s: not answered as FITKO requires: %(cases)s."
    ) % {**values, "cases": names}


def _secret(event: AuditEvent, labels: Labels) -> str:
    _prefix, environment, kind = ([*event.subject.split(":"), "", ""])[:3]
    values = {
        "actor": actor_phrase(event),
        "kind": quoted(str(dict(StoredSecret.Kind.choices).get(kind, kind))),
        "env": environment_label(environment, labels),
    }
    if event.action == Action.SECRET_STORED:
        return _("%(actor)s stored %(kind)s for %(env)s, encrypted.") % values
    return _("%(actor)s deleted the stored %(kind)s for %(env)s.") % values


def _other(event: AuditEvent, labels: Labels, brief: bool) -> str:
    actor = actor_phrase(event)
    action = event.action
    if action == Action.CREATED:
        return _("%(actor)s created the onboarding %(name)s.") % {
            "actor": actor,
            "name": quoted(event.new_value),
        }
    if action == Action.PROVIDER_CHANGED:
        if not event.old_value:
            return _("%(actor)s chose the IT service provider: %(new)s.") % {
                "actor": actor,
                "new": event.new_value,
            }
        return _("%(actor)s changed the IT service provider from %(old)s to %(new)s.") % {
            "actor": actor,
            "old": quoted(event.old_value),
            "new": quoted(event.new_value),
        }
    if action == Action.DUE_DATE_CHANGED:
        step = event.subject.removeprefix("deadline.")
        if not event.new_value:
            return _(
                "%(actor)s set the due date of step %(step)s back to the one proposed from "
                "the go-live date."
            ) % {"actor": actor, "step": step}
        return _("%(actor)s set the due date of step %(step)s to %(date)s.") % {
            "actor": actor,
            "step": step,
            "date": _date(event.new_value),
        }
    if action == Action.CATALOGUE_UPDATED:
        return _("The checklist was updated from version %(old)s to version %(new)s.") % {
            "old": event.old_value,
            "new": event.new_value,
        }
    if action == Action.CONFORMANCE_RUN:
        return _("%(actor)s started the conformance run for %(env)s.") % {
            "actor": actor,
            "env": environment_label(event.subject.removeprefix("conformance:"), labels),
        }
    if action == Action.ARCHIVE_COPY:
        if brief:
            return _("%(actor)s stored an archive copy of the record.") % {"actor": actor}
        # The checksum is what the copy is checked against years later: shown as such.
        return _("%(actor)s stored an archive copy of the record (checksum SHA-256 %(sum)s).") % {
            "actor": actor,
            "sum": event.new_value.removeprefix("SHA-256 "),
        }
    if action == Action.VERIFICATION_RUN:
        return _("%(actor)s started the connection check for %(env)s.") % {
            "actor": actor,
            "env": environment_label(event.subject.removeprefix("run:"), labels),
        }
    if action == Action.REMINDED:
        return _reminded(event, actor, brief)
    if action in (Action.OUTAGE_RECORDED, Action.OUTAGE_DEACTIVATED):
        return _outage(event, actor)
    return f"{actor}: {event.get_action_display()}"


def _outage(event: AuditEvent, actor: str) -> str:
    """An outage the provider recorded, or the Zustellpunkt they deactivated for it."""
    try:
        raw = json.loads(event.new_value)
    except ValueError:
        raw = {}
    raw = raw if isinstance(raw, dict) else {}
    kinds = {"planned": _("planned"), "unplanned": _("unplanned")}
    values = {
        "actor": actor,
        "kind": kinds.get(str(raw.get("kind")), _("unplanned")),
        "from": _date(str(raw.get("from", ""))),
        "until": _date(str(raw.get("until", ""))),
    }
    if event.action == Action.OUTAGE_DEACTIVATED:
        return (
            _(
                "%(actor)s confirmed that the Zustellpunkt was deactivated for the outage from "
                "%(from)s, as FITKO requires for outages longer than 14 days."
            )
            % values
        )
    if raw.get("until"):
        return _("%(actor)s recorded an outage (%(kind)s) from %(from)s to %(until)s.") % values
    return _("%(actor)s recorded an outage (%(kind)s) since %(from)s.") % values


def _reminded(event: AuditEvent, actor: str, brief: bool) -> str:
    values = {"actor": actor, "side": side_in_words(event.subject.removeprefix("reminder:"))}
    if not event.new_value:
        return _("%(actor)s reminded %(side)s of the open work.") % values
    return _("%(actor)s reminded %(side)s of the open work: %(text)s") % {
        **values,
        "text": _text(event.new_value, brief),
    }


def sentence(event: AuditEvent, labels: Labels = None, *, brief: bool = False) -> str:
    """Return the event as one sentence in the reader's language (``brief``: for a feed)."""
    action = event.action
    subject = event.subject
    if action == Action.ITEM_ASSIGNED and subject == ASSIGNMENT_ENDED:
        name = event.old_value or _("a former member")
        return _("The assignment to %(name)s ended because they no longer take part.") % {
            "name": name
        }
    if action == Action.FIELD_CHANGED:
        return _field_change(event, labels, brief)
    handlers: dict[str, Callable[[], str]] = {
        Action.LEISTUNG_ADDED: lambda: _service_added_or_removed(event),
        Action.LEISTUNG_REMOVED: lambda: _service_added_or_removed(event),
        Action.SECRET_STORED: lambda: _secret(event, labels),
        Action.SECRET_DELETED: lambda: _secret(event, labels),
        Action.HOSTS_CHANGED: lambda: _hosts_changed(event, labels, brief),
        Action.HOSTS_CONFIRMED: lambda: _hosts_changed(event, labels, brief),
        Action.CONFORMANCE_TICKED: lambda: _conformance_item(event),
        Action.CONFORMANCE_REOPENED: lambda: _conformance_item(event),
    }
    if action in handlers:
        return handlers[action]()
    if subject.startswith("item:"):
        return _item_event(event, brief)
    if subject.startswith("signoff:"):
        return _signoff(event, brief)
    return _other(event, labels, brief)
