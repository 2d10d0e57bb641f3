"""Typed request classes for views."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from portal.models import Membership, User


class PortalHttpRequest(HttpRequest):
    """A request that has passed through the portal's middleware."""

    htmx: HtmxDetails
    membership: Membership | None
    memberships: list[Membership]


class AuthenticatedHttpRequest(PortalHttpRequest):
    """A request from a signed-in user."""

    user: User
