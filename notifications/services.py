"""Every change to notifications and preferences, one function each."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from checklist.access import takes_part
from checklist.models import Onboarding
from notifications import unread
from notifications.models import Channel, Kind, Notification, Preference
from portal.models import Actor, ApiToken, Membership, User

DEFAULT_CHANNEL = Channel.IMMEDIATE
DELIVERY_BY_CHANNEL: dict[str, str] = {
    Channel.IMMEDIATE: Notification.Delivery.PENDING,
    Channel.DIGEST: Notification.Delivery.DIGEST,
}

# Set while notifications are recorded without any e-mail (``without_email``).
_WITHOUT_EMAIL: ContextVar[bool] = ContextVar("notifications_without_email", default=False)


@contextmanager
def without_email() -> Iterator[None]:
    """Record notifications for the inboxes only, with no e-mail and no digest entry.

    For the demo data: its events are made up all at once, so their e-mails would arrive
    together and tell of states that later events of the same run have already changed.
    """
    token = _WITHOUT_EMAIL.set(True)
    try:
        yield
    finally:
        _WITHOUT_EMAIL.reset(token)


def channels_for(users: Iterable[User], kind: str) -> dict[int, str]:
    """Return each user's chosen channel for the kind (one query for all of them)."""
    users = list(users)
    chosen = dict(
        Preference.objects.filter(user__in=users, kind=kind).values_list("user_id", "channel")
    )
    return {user.pk: chosen.get(user.pk, DEFAULT_CHANNEL) for user in users}


def taking_part(user_ids: Iterable[int], onboarding: Onboarding) -> set[int]:
    """Return those of the users who take part in the onboarding (one query for all):
    members of its authority or of its provider, as ``checklist.access.takes_part``."""
    organisations = [onboarding.authority_id, onboarding.provider_id]
    return set(
        Membership.objects.filter(
            user_id__in=list(user_ids),
            organisation_id__in=[pk for pk in organisations if pk is not None],
        ).values_list("user_id", flat=True)
    )


def _actor_params(actor: Actor | None) -> dict[str, str]:
    """Name an API token as the actor in the parameters (a notification's actor is a person)."""
    if isinstance(actor, ApiToken):
        return {"actor_token": actor.name, "actor_organisation": actor.organisation.name}
    return {}


def notify(
    recipients: Iterable[User],
    kind: Kind,
    *,
    onboarding: Onboarding | None,
    actor: Actor | None = None,
    url: str = "",
    params: dict[str, Any] | None = None,
    dedupe_key: str = "",
) -> list[Notification]:
    """Record a notification for each recipient (never the actor) and queue its e-mail.

    The actor is a person or an API token of a provider's pipeline (then no person is left
    out and the notification names the token). Only people who take part in the onboarding
    are told; delivery asks again (``NotificationQuerySet.for_participants``).

    Runs inside the caller's transaction: the notifications and their e-mail tasks are
    committed together with the change they report. With a ``dedupe_key`` a recipient who
    already has that notification gets none, however often and wherever this runs.
    """
    from notifications import delivery  # the task module imports this one

    params = {**(params or {}), **_actor_params(actor)}
    if not isinstance(actor, User):
        actor = None
    people = {
        user.pk: user
        for user in recipients
        if user.is_active and (actor is None or user.pk != actor.pk)
    }
    if onboarding is not None and people:
        taking = taking_part(people, onboarding)
        people = {pk: user for pk, user in people.items() if pk in taking}
    channels = channels_for(people.values(), kind)
    created = []
    for pk, user in people.items():
        channel = channels[pk]
        state = DELIVERY_BY_CHANNEL.get(channel, Notification.Delivery.NONE)
        if _WITHOUT_EMAIL.get():
            state = Notification.Delivery.NONE
        notification = Notification(
            recipient=user,
            kind=kind,
            onboarding=onboarding,
            actor=actor,
            url=url,
            params=params,
            dedupe_key=dedupe_key,
            email_state=state,
        )
        if dedupe_key:
            try:
                with transaction.atomic():
                    notification.save()
            except IntegrityError:  # sent before, by this run or another worker
                continue
        else:
            notification.save()
        created.append(notification)
        if state == Notification.Delivery.PENDING:
            delivery.queue(notification)
    return created


def set_aside(onboardings: Any, users: list[int] | None) -> int:
    """Set aside the notifications of people who no longer take part in the onboardings
    (``onboardings``: ids or a query of them; ``users``: ids, None for anybody).

    They are hidden anyway (``for_participants``); here their unread ones stop counting
    and their e-mails are not sent any more, in the transaction of the change. Return how
    many were unread.
    """
    rows = Notification.objects.filter(onboarding_id__in=onboardings).filter(
        ~takes_part("recipient_id", "onboarding")
    )
    if users is not None:
        rows = rows.filter(recipient_id__in=users)
    waiting = [Notification.Delivery.NONE, Notification.Delivery.SENT]
    rows.exclude(email_state__in=waiting).update(
        email_state=Notification.Delivery.NONE, next_attempt_at=None
    )
    unread_rows = rows.filter(read_at__isnull=True)
    counts = dict(
        unread_rows.order_by()
        .values("recipient_id")
        .annotate(count=Count("pk"))
        .values_list("recipient_id", "count")
    )
    if counts:
        unread_rows.update(read_at=timezone.now())
        for user_id, count in counts.items():
            unread.add_to(user_id, -count)
    return sum(counts.values())


@transaction.atomic
def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications (or all of them) as read; return how many."""
    unread_rows = Notification.objects.for_participants().filter(
        recipient=user, read_at__isnull=True
    )
    if notification_id is not None:
        unread_rows = unread_rows.filter(pk=notification_id)
    # Only rows still unread are counted: of two requests marking the same one, one counts it.
    count = unread_rows.update(read_at=timezone.now())
    unread.add(user, -count)
    return count


@transaction.atomic
def save_preferences(user: User, channels: dict[str, str], language: str) -> None:
    """Store the person's e-mail channel per kind and the language of their e-mails."""
    for kind, channel in channels.items():
        Preference.objects.update_or_create(user=user, kind=kind, defaults={"channel": channel})
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
