"""The number of unread notifications, for the header of every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def inbox(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Kept on the user row (notifications.unread), which every request loads anyway.
    return {"unread_notifications": user.unread_notifications}
