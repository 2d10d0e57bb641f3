"""The session store (``SESSION_ENGINE``), and how long a signed-in session lasts when it
is written at most once a minute."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone

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
    """Django's database sessions, the row read with one prepared statement.

    Every request with a session cookie reads its row; through the ORM, building that
    query cost more CPU time than the database spent answering it. Writing, expiry and
    sign-out stay Django's: the row is read anew on every request, so a session ended on
    one app server is ended on all.
    """

    def _get_session_from_db(self) -> Any:
        model = self.model
        alias = router.db_for_read(model)
        connection = connections[alias]
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('session_data')} FROM {table} "  # noqa: S608 - names only
                f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s",
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=str(self.session_key), session_data=row[0])
