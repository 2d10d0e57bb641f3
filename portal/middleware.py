"""Attach the user's current organisation to every request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponse

from portal.access import SESSION_KEY, memberships_for
from portal.types import PortalHttpRequest


def current_organisation(
    get_response: Callable[[PortalHttpRequest], HttpResponse],
) -> Callable[[PortalHttpRequest], HttpResponse]:
    """Set ``request.memberships`` and ``request.membership`` (the one chosen in the session)."""

    def middleware(request: PortalHttpRequest) -> HttpResponse:
        request.memberships = memberships_for(request.user)  # type: ignore[arg-type]
        chosen = request.session.get(SESSION_KEY) if request.memberships else None
        request.membership = next(
            (m for m in request.memberships if m.organisation_id == chosen),
            request.memberships[0] if request.memberships else None,
        )
        return get_response(request)

    return middleware
