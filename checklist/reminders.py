"""Reminding whoever holds an onboarding of its open work (the coordination office's way to
steer, ``checklist.rules.may_remind``).

A reminder goes to the side that holds the onboarding now (the authority, the IT service
provider, or both), as a notification of its own kind (so each person's e-mail preference
applies: ``notifications.receivers``), with an optional message, and is recorded in the
Protokoll. One reminder per onboarding within ``REMINDER_INTERVAL``, whoever sends it: the
people are not reminded twice of the same thing within a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from checklist import catalogue, people, rules, signals
from checklist.access import Participation
from checklist.audit import audit
from checklist.models import AuditEvent, Onboarding
from checklist.state import NEXT_APPROVE, NEXT_ITEM, NotAllowed
from portal.models import User

REMINDER_INTERVAL = timedelta(hours=24)
MESSAGE_MAX = 1000
AUTHORITY, PROVIDER, BOTH = "authority", "provider", "both"


def holder_side(onboarding: Onboarding) -> str | None:
    """Which side holds the onboarding now, from its stored summary: the authority (an
    approval or an authority's item is next), the provider, or both; None once live."""
    if onboarding.current_step is None:
        return None
    if onboarding.next_action == NEXT_APPROVE:
        return AUTHORITY
    if onboarding.next_action == NEXT_ITEM:
        item = catalogue.load().by_key().get(onboarding.next_action_item)
        role = item.role if item else ""
        if role == AUTHORITY:
            return AUTHORITY
        if role == BOTH and onboarding.provider_id is not None:
            return BOTH
        return PROVIDER if onboarding.provider_id is not None else AUTHORITY
    if onboarding.current_step == 1:
        return AUTHORITY
    return PROVIDER if onboarding.provider_id is not None else AUTHORITY


def side_in_words(side: str) -> str:
    return {
        AUTHORITY: _("the authority"),
        PROVIDER: _("the IT service provider"),
        BOTH: _("the authority and the IT service provider"),
    }.get(side, side)


def recipients(onboarding: Onboarding, side: str) -> list[User]:
    return people.responsible_for(onboarding, side)


@dataclass(frozen=True)
class Previous:
    """The last reminder of an onboarding within the interval: by whom, when, next from when."""

    actor: str
    at: datetime

    @property
    def next_possible(self) -> datetime:
        return self.at + REMINDER_INTERVAL


def previous(onboarding: Onboarding) -> Previous | None:
    event = (
        AuditEvent.objects.filter(
            onboarding=onboarding,
            action=AuditEvent.Action.REMINDED,
            created_at__gt=timezone.now() - REMINDER_INTERVAL,
        )
        .select_related("actor")
        .order_by("-created_at")
        .first()
    )
    if event is None:
        return None
    return Previous(str(event.actor or _("a former member")), event.created_at)


def refusal(onboarding: Onboarding, last: Previous | None) -> str:
    """Why no reminder may be sent now, in words, or "" when one may."""
    if holder_side(onboarding) is None:
        return _("This onboarding is live: there is no open work to remind of.")
    if last is not None:
        when = timezone.localtime(last.at).strftime("%d.%m.%Y, %H:%M")
        next_time = timezone.localtime(last.next_possible).strftime("%d.%m.%Y, %H:%M")
        return _(
            "%(actor)s sent a reminder on %(when)s. An onboarding is reminded at most once "
            "within 24 hours: the next reminder can be sent from %(next)s."
        ) % {"actor": last.actor, "when": when, "next": next_time}
    return ""


def send_reminder(participation: Participation, message: str) -> str:
    """Remind the side holding the onboarding; return that side. Raises ``NotAllowed``
    when it is live or was reminded within the interval (nothing is recorded then)."""
    rules.enforce(rules.may_remind(participation))
    onboarding = participation.onboarding
    actor = participation.actor
    with transaction.atomic():
        onboarding.lock()  # two reminders at once: the second one sees the first
        reason = refusal(onboarding, previous(onboarding))
        if reason:
            raise NotAllowed(reason)
        side = holder_side(onboarding)
        assert side is not None  # noqa: S101 (refusal covers a live onboarding)
        message = message.strip()[:MESSAGE_MAX]
        audit(
            onboarding,
            actor,
            AuditEvent.Action.REMINDED,
            subject=f"reminder:{side}",
            new=message,
            step=onboarding.current_step,
        )
        signals.reminder_sent.send(
            sender=Onboarding, onboarding=onboarding, side=side, message=message, actor=actor
        )
    return side
