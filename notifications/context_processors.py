"""The number of unread notifications, for the header of every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from notifications.models import Notification


def inbox(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": Notification.objects.filter(
            recipient=user, read_at__isnull=True
        ).count()
    }
