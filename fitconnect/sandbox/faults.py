"""Fault modes: what can go wrong on purpose, globally (``--fault``) or per request.

A request path may start with ``/fault/<mode>/``; the sandbox strips the prefix before
routing and applies the mode to that request only (it overrides a global mode). HTTP faults
replace (``slow`` delays) the answer of whatever path they prefix; function faults alter only
the one function they name, and every other answer stays correct.
"""

from __future__ import annotations

import re

from starlette.responses import Response

from fitconnect.constants import ROUTING_PROBLEMS, SUBMISSION_PROBLEMS

from .web import Incoming, json_response, oauth_error, problem

# Faults of the HTTP layer: they replace (or, for slow, delay) the answer of any path.
HTTP_FAULTS = (
    "500",
    "429",
    "401",
    "403",
    "404",
    "html",
    "html-200",
    "malformed",
    "wrong-shape",
    "huge",
    "close",
)
FACHVERFAHREN_FAULTS = ("lax-hash", "lax-schema", "wrong-problem-type", "silent", "reject-xml")
# Faults of one function each; every other answer stays correct.
FUNCTION_FAULTS = (
    "wrong-key",
    "wrong-key-x5c",
    "bad-set",
    "reject",
    "inactive",
    "no-route",
    # The simulated Fachverfahren's misbehaviour, per submission (see fachverfahren.py).
    *FACHVERFAHREN_FAULTS,
)
FAULT_MODES = ("slow", "slow-<seconds>", *HTTP_FAULTS, *FUNCTION_FAULTS)
SLOW_SECONDS = 20.0
HUGE_BYTES = 1_600_000
RATE_LIMIT = 1000  # routing requests per window, for all clients together

_SLOW = re.compile(r"slow(?:-(\d{1,3}(?:\.\d{1,3})?))?")
FAULT_PREFIX = re.compile(r"/fault/([^/]+)(/.*)?")


def parse_fault(mode: str) -> str:
    """Return a valid fault mode or raise ``ValueError``."""
    if mode in HTTP_FAULTS or mode in FUNCTION_FAULTS or _SLOW.fullmatch(mode):
        return mode
    raise ValueError(f"unknown fault mode {mode!r}; known: {', '.join(FAULT_MODES)}")


def slow_seconds(mode: str | None) -> float | None:
    """Return how long a ``slow`` mode delays the answer, or None for other modes."""
    match = _SLOW.fullmatch(mode or "")
    if match is None:
        return None
    return float(match[1]) if match[1] else SLOW_SECONDS


def unknown_fault(error: ValueError) -> Response:
    return problem(400, "unknown-fault", "Unbekannter Fehlermodus", str(error))


_HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
    "<h1>502 Bad Gateway</h1><p>Sandbox fault: the upstream did not answer.</p>"
    "</body></html>"
)
_STATUS_PROBLEMS = {
    "500": ("internal-server-error", "Interner Serverfehler"),
    "401": ("unauthorized", "Nicht authentifiziert"),
    "403": ("forbidden", "Keine Berechtigung"),
    "404": ("not-found", "Nicht gefunden"),
}


def http_fault(incoming: Incoming, *, routing: bool) -> Response | None:
    """Return the answer of an HTTP fault; None means: hang up without an answer."""
    fault = incoming.fault or ""
    if fault == "close":
        return None
    if fault in ("html", "html-200"):
        status = 502 if fault == "html" else 200
        return Response(_HTML_PAGE.encode(), status, media_type="text/html; charset=utf-8")
    if fault == "malformed":
        body = b'{"sandbox": "malformed", "items": [1, 2,'
        return Response(body, 200, media_type="application/json")
    if fault == "wrong-shape":
        return json_response(200, {"sandbox": "wrong-shape", "items": [1, 2, 3]})
    if fault == "huge":
        return json_response(200, {"sandbox": "huge", "padding": "x" * HUGE_BYTES})
    if fault == "429":
        reply = problem(
            429,
            "too-many-requests",
            "Zu viele Anfragen",
            call=incoming,
            headers={
                "Retry-After": "1",
                "RateLimit-Limit": str(RATE_LIMIT),
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": "1",
            },
        )
        if routing:  # routing-api.yaml declares 429 bodies as application/json
            reply.headers["Content-Type"] = "application/json"
        return reply
    if incoming.path == "/token" and fault in ("401", "403"):
        return oauth_error(int(fault), "invalid_client", "Sandbox fault.")
    name, title = _STATUS_PROBLEMS[fault]
    return problem(
        int(fault),
        name,
        title,
        "Sandbox fault.",
        call=incoming,
        prefix=ROUTING_PROBLEMS if routing else SUBMISSION_PROBLEMS,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'} if fault == "401" else None,
    )
