"""Notifications in words, in the language active when they are shown or sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from checklist import catalogue
from checklist.audit import host_label
from checklist.environments import environment_label
from checklist.models import Environment
from notifications.models import Kind, Notification
from watch.words import WATCH_KINDS, watch_text

# The notifications of a declaration or decision: they carry the evidence it rests on.
EVIDENCE_KINDS = {Kind.SIGNOFF_REQUESTED, Kind.SIGNOFF_APPROVED, Kind.SIGNOFF_RETURNED}


@dataclass(frozen=True)
class Text:
    title: str  # one line: the subject of the e-mail, the headline in the inbox
    body: str  # one or two sentences: what happened and what to do
    # A sign-off's evidence (``checklist.evidence_record``): the summary line, the operator's
    # allowance where used, one line per item. Empty for other notifications.
    evidence: tuple[str, ...] = ()


def _env(value: object) -> str:
    raw = str(value or "")
    if raw in Environment.values:
        return str(Environment(raw).label)
    return environment_label(raw, None)


def _item(key: object) -> str:
    item = catalogue.load().by_key().get(str(key or ""))
    return item.title if item else _("an item")


def _date(value: object) -> str:
    try:
        return date.fromisoformat(str(value)).strftime("%d.%m.%Y")
    except ValueError:
        return str(value)


def host_changes(changes: object) -> str:
    """Return changed hosts ([[field, old, new], …]) as "Token URL: old → new; …"."""
    rows = changes if isinstance(changes, list) else []
    return "; ".join(
        f"{host_label(str(row[0]))}: {row[1] or '–'} → {row[2] or '–'}"
        for row in rows
        if isinstance(row, list) and len(row) == 3
    )


def _actor(notification: Notification) -> str:
    """Return who caused the notification: a person, an organisation's API token, or a
    former member (a person whose account is gone)."""
    if notification.actor:
        return str(notification.actor)
    p = notification.params
    if p.get("actor_token"):
        return _("API token “%(name)s” (%(organisation)s)") % {
            "name": p["actor_token"],
            "organisation": p.get("actor_organisation", ""),
        }
    return _("a former member")


def describe(notification: Notification) -> Text:
    """Return the title and text of a notification for the current language."""
    p = notification.params
    onboarding = notification.onboarding.name if notification.onboarding else ""
    actor = _actor(notification)
    values = {
        "onboarding": onboarding,
        "actor": actor,
        "env": _env(p.get("env")),
        "item": _item(p.get("item")),
        "step": p.get("step", ""),
        "date": _date(p.get("date", "")),
        "days": p.get("days", ""),
        "what": p.get("what", ""),
    }
    kind = notification.kind
    if kind == Kind.SIGNOFF_REQUESTED:
        title = _("%(onboarding)s: %(env)s is waiting for your approval") % values
        body = (
            _(
                "%(actor)s has declared the %(env)s environment ready for sign-off. Please check "
                "the recorded values and approve them or send them back with a reason."
            )
            % values
        )
    elif kind == Kind.SIGNOFF_APPROVED:
        title = _("%(onboarding)s: %(env)s is signed off") % values
        body = _("%(actor)s has approved the %(env)s sign-off.") % values
    elif kind == Kind.SIGNOFF_RETURNED:
        title = _("%(onboarding)s: %(env)s was sent back") % values
        body = _("%(actor)s has sent the %(env)s sign-off back. Reason: %(reason)s") % {
            **values,
            "reason": p.get("reason", "") or "–",
        }
    elif kind == Kind.SIGNOFF_INVALIDATED:
        title = _("%(onboarding)s: the %(env)s sign-off is no longer valid") % values
        body = (
            _(
                "A change by %(actor)s altered values that were signed off. Please check them "
                "again and declare %(env)s ready anew."
            )
            % values
        )
    elif kind == Kind.ASSIGNED:
        title = _("%(onboarding)s: “%(item)s” is assigned to you") % values
        body = _("%(actor)s has assigned the item “%(item)s” in step %(step)s to you.") % values
    elif kind == Kind.MENTIONED:
        title = _("%(onboarding)s: %(actor)s mentioned you") % values
        body = _("%(actor)s mentioned you in a comment on “%(item)s”: %(excerpt)s") % {
            **values,
            "excerpt": p.get("excerpt", ""),
        }
    elif kind == Kind.COMMENTED:
        title = _("%(onboarding)s: new comment on “%(item)s”") % values
        body = _("%(actor)s commented on “%(item)s”, which is assigned to you: %(excerpt)s") % {
            **values,
            "excerpt": p.get("excerpt", ""),
        }
    elif kind == Kind.VERIFICATION_FAILED:
        title = _("%(onboarding)s: the connection check for %(env)s failed") % values
        body = (
            _("The connection check for %(env)s found problems. The result says what to do.")
            % values
        )
    elif kind == Kind.DUE_SOON:
        title = _("%(onboarding)s: step %(step)s is due on %(date)s") % values
        body = (
            _(
                "Step %(step)s should be done by %(date)s, in %(days)s days. Open items are "
                "listed on the step's page."
            )
            % values
        )
    elif kind == Kind.OVERDUE:
        title = _("%(onboarding)s: step %(step)s is overdue") % values
        body = (
            _(
                "Step %(step)s should have been done by %(date)s. Please finish the open items "
                "or agree a new due date with the authority."
            )
            % values
        )
    elif kind == Kind.KEY_EXPIRING:
        label = _("The certificate") if values["what"] == "certificate" else _("The key %(kid)s")
        subject = label % {"kid": p.get("kid", "")}
        title = _("%(onboarding)s: %(env)s key or certificate expires on %(date)s") % values
        body = _(
            "%(subject)s for %(env)s expires on %(date)s, in %(days)s days. Please create a new "
            "one in time and record it in the portal and in the Self-Service-Portal."
        ) % {**values, "subject": subject}
    elif kind == Kind.HOSTS_CHANGED:
        title = _("%(onboarding)s: the addresses of %(env)s were changed") % values
        body = _(
            "%(actor)s (site operations) changed the addresses of the %(env)s environment: "
            "%(changes)s. Your stored secrets are not sent to the new addresses until a member "
            "of your organisation confirms them on the connection check's page."
        ) % {**values, "changes": host_changes(p.get("changes"))}
    elif kind == Kind.REMINDER:
        title = _("%(onboarding)s: %(actor)s reminds you of the open work") % values
        body = (
            _(
                "%(actor)s asks you to continue the onboarding: step %(step)s is open and waits "
                "for you."
            )
            % values
        )
        if p.get("message"):
            body += " " + _("Message: %(message)s") % {"message": p["message"]}
    elif kind in WATCH_KINDS:
        title, body = watch_text(notification)
    else:
        title, body = onboarding, ""
    evidence = p.get("evidence") if kind in EVIDENCE_KINDS else None
    lines = tuple(str(line) for line in evidence) if isinstance(evidence, list) else ()
    return Text(title, body, lines)
