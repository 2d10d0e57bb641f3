"""Attach the user's current organisation to every request."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from portal.access import SESSION_KEY, memberships_for
from portal.types import PortalHttpRequest


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
