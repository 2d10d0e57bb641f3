"""Middleware: health answers, the request log, the current organisation, the language."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from portal import health
from portal.access import SESSION_KEY, memberships_for
from portal.requestlog import HEALTH_PATH, REQUEST_ID_HEADER, redact_path, request_id
from portal.sessions import session_expires_in, session_refreshed
from portal.types import PortalHttpRequest

request_logger = logging.getLogger("portal.requests")


def health_endpoint(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Answer ``GET /healthz`` before any other middleware (see ``portal.health``)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path_info == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return health.response()
        return get_response(request)

    return middleware


def request_log(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Log one line per request and echo its request id in ``X-Request-ID``.

    The line holds method, path (tokens redacted, never the query string), status,
    milliseconds, the signed-in user's id and the request id; the same fields are on the
    log record (``extra``) for structured handlers. ``/healthz`` is not logged.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path_info == HEALTH_PATH:
            return get_response(request)
        rid = request_id(request.headers.get(REQUEST_ID_HEADER))
        request.META["REQUEST_ID"] = rid
        started = time.perf_counter()
        response = get_response(request)
        duration = round((time.perf_counter() - started) * 1000, 1)
        response[REQUEST_ID_HEADER] = rid
        fields = {
            "method": request.method,
            "path": redact_path(request.path),
            "status": response.status_code,
            "ms": duration,
            "user": _user_id(request),
            "request_id": rid,
        }
        request_logger.info(
            " ".join(f"{name}=%s" for name in fields), *fields.values(), extra=fields
        )
        return response

    return middleware


def _user_id(request: HttpRequest) -> str:
    """The signed-in user's id, ``-`` for anonymous requests (and for static files)."""
    user = getattr(request, "user", None)
    try:
        return str(user.pk) if user is not None and user.is_authenticated else "-"
    except DatabaseError:
        return "?"


def current_organisation(
    get_response: Callable[[PortalHttpRequest], HttpResponse],
) -> Callable[[PortalHttpRequest], HttpResponse]:
    """Set ``request.memberships`` and ``request.membership`` (the one chosen in the session)."""

    def middleware(request: PortalHttpRequest) -> HttpResponse:
        # PortalBackend loads them with the user, in the same query.
        loaded = getattr(request.user, "portal_memberships", None)
        request.memberships = (
            loaded if loaded is not None else memberships_for(request.user)  # type: ignore[arg-type]
        )
        chosen = request.session.get(SESSION_KEY) if request.memberships else None
        request.membership = next(
            (m for m in request.memberships if m.organisation_id == chosen),
            request.memberships[0] if request.memberships else None,
        )
        return get_response(request)

    return middleware


SESSION_EXPIRES_HEADER = "X-Session-Expires-In"


def session_refresh(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Extend a signed-in session when it was last written a minute ago or longer.

    Instead of a session write on every request (``SESSION_SAVE_EVERY_REQUEST``), the
    session records when it was last saved and is saved again once that is
    ``SESSION_REFRESH_SECONDS`` ago, so it expires at most that much earlier than "the
    last request plus ``SESSION_COOKIE_AGE``". Responses to signed-in users say in
    ``X-Session-Expires-In`` how many seconds are left, for the timeout warning.
    """
    interval = settings.SESSION_REFRESH_SECONDS

    def middleware(request: HttpRequest) -> HttpResponse:
        session: SessionBase | None = getattr(request, "session", None)
        signed_in = (
            session is not None
            and session.session_key is not None
            and bool(session.get(AUTH_SESSION_KEY))
        )
        if signed_in and session and time.time() - session_refreshed(session) >= interval:
            session_refreshed(session, time.time())  # before the view: pages show the new age
        response = get_response(request)
        if not signed_in or session is None or not session.get(AUTH_SESSION_KEY):
            return response
        now = time.time()
        if session.modified and now - session_refreshed(session) >= 1:
            session_refreshed(session, now)  # the view changed the session: saved now anyway
        response[SESSION_EXPIRES_HEADER] = str(session_expires_in(session, now))
        return response

    return middleware


def german_first_locale(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Speak German unless the user chose another language with the switcher.

    Django's LocaleMiddleware would follow the browser's Accept-Language header; the
    portal is German first, so only the language cookie counts.
    """
    supported = {code for code, _ in settings.LANGUAGES}

    def middleware(request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ["Cookie"])
        return response

    return middleware
