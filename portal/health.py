"""``GET /healthz`` for load balancers and monitoring.

200 with ``{"status": "ok", "database": "ok", "worker": "ok" | "stale"}`` while the
database answers; ``worker`` is ``stale`` when no background worker has recorded a
heartbeat within two minutes (the portal itself still works then). 503 when the database
does not answer. ``portal.middleware.health_endpoint`` answers it before any other
middleware: no session, no sign-in, no CSRF, no host check, no log line.
"""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import JsonResponse

from portal.worker import worker_alive


def status() -> tuple[int, dict[str, str]]:
    """Return the HTTP status and the body of the health answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        worker = "ok" if worker_alive() else "stale"
    except DatabaseError:
        return 503, {"status": "error", "database": "error", "worker": "unknown"}
    return 200, {"status": "ok", "database": "ok", "worker": worker}


def response() -> JsonResponse:
    code, body = status()
    answer = JsonResponse(body, status=code)
    answer["Cache-Control"] = "no-store"
    # Probes come every few seconds; an unreachable database is logged where it hurts.
    answer._has_been_logged = True  # type: ignore[attr-defined]
    return answer
