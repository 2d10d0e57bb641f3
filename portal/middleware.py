"""Middleware: health answers, the request log, the current organisation, the language."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from portal import health
from portal.access import SESSION_KEY, memberships_for
from portal.requestlog import HEALTH_PATH, REQUEST_ID_HEADER, redact_path, request_id
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
        request.memberships = memberships_for(request.user)  # type: ignore[arg-type]
        chosen = request.session.get(SESSION_KEY) if request.memberships else None
        request.membership = next(
            (m for m in request.memberships if m.organisation_id == chosen),
            request.memberships[0] if request.memberships else None,
        )
        return get_response(request)

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
