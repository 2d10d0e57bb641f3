"""Sign-in backend that loads a signed-in user's memberships and device with the user."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from portal.models import User
from portal.signed_in import DEVICE_LOADED, loaded_for_session, session_device_id


class PortalBackend(ModelBackend):
    """Django's ModelBackend; ``get_user`` also loads the memberships (``portal_memberships``)
    and the session's second-factor device (``portal_device``), in the same statement.

    Every request of a signed-in user needs all three (the organisation switcher, the
    current organisation, access checks, ``is_verified()``); ``portal.signed_in`` says how.
    """

    def get_user(self, user_id: Any) -> User | None:
        loaded = loaded_for_session(user_id)
        if loaded is None:
            return None
        user, memberships, device = loaded
        if not self.user_can_authenticate(user):
            return None
        user.portal_memberships = memberships  # type: ignore[attr-defined]
        user.portal_device = device  # type: ignore[attr-defined]
        setattr(user, DEVICE_LOADED, session_device_id())
        return user
