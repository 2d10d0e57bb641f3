"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portal.sessions import session_expires_in


def portal(request: HttpRequest) -> dict[str, Any]:
    """Return the current organisation, the user's memberships and the operator's contacts."""
    return {
        "current_membership": getattr(request, "membership", None),
        "user_memberships": getattr(request, "memberships", []),
        "portal_operator_name": settings.PORTAL_OPERATOR_NAME,
        "portal_contact_email": settings.PORTAL_CONTACT_EMAIL,
        "session_warning_seconds": settings.SESSION_WARNING_SECONDS,
        "session_seconds": session_expires_in(request.session)
        if hasattr(request, "session")
        else 0,
    }
