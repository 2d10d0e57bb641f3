"""Every change to notifications and preferences, one function each."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from checklist.models import Onboarding
from notifications import unread
from notifications.models import Channel, Kind, Notification, Preference
from portal.models import Actor, User

DEFAULT_CHANNEL = Channel.IMMEDIATE
DELIVERY_BY_CHANNEL: dict[str, str] = {
    Channel.IMMEDIATE: Notification.Delivery.PENDING,
    Channel.DIGEST: Notification.Delivery.DIGEST,
}


def channels_for(users: Iterable[User], kind: str) -> dict[int, str]:
    """Return each user's chosen channel for the kind (one query for all of them)."""
    users = list(users)
    chosen = dict(
        Preference.objects.filter(user__in=users, kind=kind).values_list("user_id", "channel")
    )
    return {user.pk: chosen.get(user.pk, DEFAULT_CHANNEL) for user in users}


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
    out and the notification names no person).

    Runs inside the caller's transaction: the notifications and their e-mail tasks are
    committed together with the change they report. With a ``dedupe_key`` a recipient who
    already has that notification gets none, however often and wherever this runs.
    """
    from notifications import delivery  # the task module imports this one

    if not isinstance(actor, User):
        actor = None
    people = {
        user.pk: user
        for user in recipients
        if user.is_active and (actor is None or user.pk != actor.pk)
    }
    channels = channels_for(people.values(), kind)
    created = []
    for pk, user in people.items():
        channel = channels[pk]
        state = DELIVERY_BY_CHANNEL.get(channel, Notification.Delivery.NONE)
        notification = Notification(
            recipient=user,
            kind=kind,
            onboarding=onboarding,
            actor=actor,
            url=url,
            params=params or {},
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


@transaction.atomic
def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications (or all of them) as read; return how many."""
    unread_rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
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
