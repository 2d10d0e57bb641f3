"""The count of unread notifications kept on each user (``User.unread_notifications``).

The header of every page shows it; counting the rows would cost a query per request, while
the user row is loaded with the memberships anyway. It changes in the transaction of every
change to a notification: +1 when an unread one is saved new, -1 when an unread one is
deleted (also by a cascade), -n when ``services.mark_read`` marks n read. ``recount``
derives it from the rows; a test compares the two after random changes. Only what the
person is shown counts: notifications of onboardings they no longer take part in are set
aside (``services.set_aside``) when they leave, and ``recount`` leaves them out.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from notifications.models import Notification
from portal.models import User


def _add(user_id: int, change: int) -> None:
    # Never below zero: a row changed outside the portal must not make a change fail.
    User.objects.filter(pk=user_id).update(
        unread_notifications=Greatest(F("unread_notifications") + change, Value(0))
    )


def add_to(user_id: int, change: int) -> None:
    """Change the count of the user with this id in the database."""
    if change:
        _add(user_id, change)


def add(user: User, change: int) -> None:
    """Change the user's count in the database and on the object at hand."""
    if change:
        _add(user.pk, change)
        user.unread_notifications = max(0, user.unread_notifications + change)


@receiver(post_save, sender=Notification)
def count_new(sender: Any, instance: Notification, created: bool, **kwargs: Any) -> None:
    if created and instance.read_at is None:
        if Notification.recipient.is_cached(instance):
            add(instance.recipient, 1)
        else:
            _add(instance.recipient_id, 1)


@receiver(post_delete, sender=Notification)
def count_deleted(sender: Any, instance: Notification, **kwargs: Any) -> None:
    if instance.read_at is None:
        _add(instance.recipient_id, -1)


def _unread_of_recipient() -> Subquery:
    return Subquery(
        Notification.objects.for_participants()
        .filter(recipient=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(unread=Count("pk"))
        .values("unread")
    )


def recount(user: User) -> int:
    """Return the user's unread notifications counted from the rows."""
    return (
        Notification.objects.for_participants().filter(recipient=user, read_at__isnull=True).count()
    )


def stored(user: User) -> int:
    """Return the count as stored on the user's row."""
    count: int = User.objects.filter(pk=user.pk).values_list("unread_notifications", flat=True)[0]
    return count


def refresh_all() -> int:
    """Count every user's unread notifications afresh (one statement); return how many
    counts changed. For data changed outside the portal."""
    fresh = Coalesce(_unread_of_recipient(), Value(0))
    return User.objects.exclude(unread_notifications=fresh).update(unread_notifications=fresh)
