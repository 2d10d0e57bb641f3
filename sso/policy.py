"""Whether an organisation's rule "single sign-on required" refuses a password sign-in."""

from __future__ import annotations

from portal.models import User
from sso.models import OrganisationSso


def password_refused_by(user: User) -> str:
    """The name of the first organisation of the user that requires single sign-on, or ""."""
    found = (
        OrganisationSso.objects.filter(required=True, organisation__memberships__user=user)
        .select_related("organisation", "provider")
        .order_by("organisation__name")
        .first()
    )
    return found.organisation.name if found else ""
