"""The session store (``SESSION_ENGINE``), and how long a signed-in session lasts when it
is written at most once a minute."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import ValidationError
from django.db import router
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from portal.models import User
from portal.signed_in import SessionRow, device_model, load_session

# When the session was last saved (seconds since the epoch); see middleware.session_refresh.
REFRESHED_KEY = "refreshed_at"


def session_refreshed(session: SessionBase, now: float | None = None) -> float:
    """Return when the session was last saved; with ``now``, record that it is saved now."""
    if now is not None:
        session[REFRESHED_KEY] = int(now)
    try:
        return float(session.get(REFRESHED_KEY, 0))
    except (TypeError, ValueError):
        return 0.0


def session_expires_in(session: SessionBase, now: float | None = None) -> int:
    """Return the seconds until the session expires unless it is extended."""
    now = time.time() if now is None else now
    refreshed = session_refreshed(session) or now
    return max(0, round(session.get_expiry_age() - (now - refreshed)))


class SessionStore(DatabaseSessionStore):
    """Django's database sessions in ``portal.session_models.Session``: the row read in one
    hand-written statement together with the user it signs in.

    The row names its user and confirmed device in columns written with the data
    (``create_model_instance``); reading it joins the user, the memberships and the device
    (``portal.signed_in.load_session``), which ``PortalBackend`` takes instead of reading
    them again. Writing, expiry and sign-out stay Django's: the row is read anew on every
    request, so a session ended on one app server is ended on all.
    """

    # The row as read, with the user and device its columns name (None: not read).
    signed_in: SessionRow | None = None

    @classmethod
    def get_model_class(cls) -> Any:
        from portal.session_models import Session  # the models import this module

        return Session

    def _get_session_from_db(self) -> Any:
        row = self._read()
        return row and self.model(session_key=str(self.session_key), session_data=row.data)

    def load(self) -> dict[str, Any]:
        row = self._read()  # without building a model instance only to decode its data
        return self.decode(row.data) if row else {}

    def _read(self) -> SessionRow | None:
        model = self.model
        alias = router.db_for_read(model)
        row = load_session(alias, model._meta.db_table, str(self.session_key), timezone.now())
        self.signed_in = row
        if row is None:
            self._session_key = None
        return row

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        return _naming_user(super().create_model_instance(data), data)

    async def acreate_model_instance(self, data: dict[str, Any]) -> Any:
        return _naming_user(await super().acreate_model_instance(data), data)


def _naming_user(session: Any, data: dict[str, Any]) -> Any:
    """Fill the row's user and device columns from the session's data."""
    try:
        user_id = data.get(AUTH_SESSION_KEY)
        session.user_id = None if user_id is None else User._meta.pk.to_python(user_id)
    except ValidationError:
        session.user_id = None
    device = device_model(data.get(DEVICE_ID_SESSION_KEY))
    session.device_model = device[0]._meta.label_lower if device else ""
    session.device_number = device[1] if device else None
    return session
