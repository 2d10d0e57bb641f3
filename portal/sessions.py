"""How long a signed-in session lasts, when it is written at most once a minute."""

from __future__ import annotations

import time

from django.contrib.sessions.backends.base import SessionBase

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
