"""Sign-in backend that loads a signed-in user's memberships in the same query as the user."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from portal.models import Membership, User


class PortalBackend(ModelBackend):
    """Django's ModelBackend; ``get_user`` also loads the memberships (``portal_memberships``).

    Every request of a signed-in user needs both (the organisation switcher, the current
    organisation, access checks), so they come in one query: the memberships with their
    user and organisation joined. Only a user without any membership (a site operator)
    takes a second, plain query for the user.
    """

    def get_user(self, user_id: Any) -> User | None:
        memberships = list(
            Membership.objects.filter(user_id=user_id)
            .select_related("user", "organisation")
            .order_by("organisation__name")
        )
        user: User | None
        if memberships:
            user = memberships[0].user
            for membership in memberships:
                membership.user = user
        else:
            user = User.objects.filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        user.portal_memberships = memberships  # type: ignore[attr-defined]
        return user
