"""Rendered pages, kept until anything they show changes.

A step page is rendered once per onboarding revision and viewer, then served from the
``pages`` cache. The key of its main part carries ``Onboarding.revision`` (raised by
database triggers with every write to what the page shows, see migration 0013), the person
and their side, the second-factor state, the language and the day (due dates turn "soon"
and "overdue" with it). The whole page's key adds what the frame around it shows: name,
organisations, unread notifications, the address. A key is never reused for other
content, so each app server may keep its own cache and none needs telling when data
changes.

What differs per request (the CSRF token, the CSP nonce, the seconds until the session
expires) is rendered as a placeholder and put in on the way out. The whole page is kept
as UTF-8 pieces cut at those placeholders, so a page served again is one join of bytes:
no search through it, no encoding. A page with a message to show (after a form was sent)
is rendered afresh: messages are shown once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from checklist.access import Participation
from portal.mfa import is_verified
from portal.sessions import session_expires_in
from portal.types import AuthenticatedHttpRequest

ALIAS = "pages"
CSRF_PLACEHOLDER = "csrf-placeholder-4b1d9e07c2a85f36"
NONCE_PLACEHOLDER = "nonce-placeholder-9c27e4a1f03b6d58"
SESSION_PLACEHOLDER = "session-seconds-placeholder-5e8a"
_PLACEHOLDERS = re.compile(f"({CSRF_PLACEHOLDER}|{NONCE_PLACEHOLDER}|{SESSION_PLACEHOLDER})")


def key(request: HttpRequest, participation: Participation, part: str) -> str:
    onboarding = participation.onboarding
    user = request.user
    parts = (
        part,
        onboarding.pk,
        onboarding.revision,
        user.pk,
        participation.authority_role or "",
        participation.provider_member,
        is_verified(user),
        translation.get_language(),
        timezone.localdate().isoformat(),
    )
    return hashed_key(f"part:{onboarding.pk}", parts)


def frame_key(request: AuthenticatedHttpRequest, part_key: str) -> str:
    """Return the key of the whole page: the part's and what the frame around it shows."""
    user = request.user
    parts = (
        part_key,
        user.full_name,
        user.email,
        user.unread_notifications,
        tuple((m.organisation_id, m.organisation.name) for m in request.memberships),
        request.membership.organisation_id if request.membership else None,
        request.get_full_path(),
    )
    return hashed_key("page", parts)


def hashed_key(prefix: str, parts: tuple[Any, ...]) -> str:
    """A cache key: ``prefix`` and a digest of everything the kept content depends on."""
    return f"{prefix}:{hashlib.sha256(repr(parts).encode()).hexdigest()[:32]}"


def _part(
    request: HttpRequest,
    part_key: str,
    template: str,
    context: Callable[[], dict[str, Any]],
) -> str:
    """Return the part's HTML with the CSRF placeholder, rendering it if new."""
    cache = caches[ALIAS]
    html: str | None = cache.get(part_key)
    if html is None:
        html = render_to_string(
            template, {**context(), "csrf_token": CSRF_PLACEHOLDER}, request=request
        )
        cache.set(part_key, html)
    return html


def page(
    request: AuthenticatedHttpRequest,
    participation: Participation,
    part: str,
    template: str,
    context: Callable[[], dict[str, Any]],
    frame: dict[str, Any],
) -> HttpResponse:
    """Return the whole page: ``template`` with the cached ``template#page`` part in it.

    ``frame`` is what the template needs around the part (the title's words). The part is
    looked up only when the whole page is not in the cache.
    """
    cache = caches[ALIAS]
    part_key = key(request, participation, part)
    # A message is shown once: such a page is rendered, never taken from or kept in the cache.
    keep = not len(messages.get_messages(request))
    page_key = frame_key(request, part_key)
    pieces: list[bytes] | None = cache.get(page_key) if keep else None
    if pieces is None:
        part_html = _part(request, part_key, f"{template}#page", context)
        placeholders = {
            "csrf_token": CSRF_PLACEHOLDER,
            "csp_nonce": NONCE_PLACEHOLDER,
            "session_seconds": SESSION_PLACEHOLDER,
        }
        html = render_to_string(
            template,
            {**frame, **placeholders, "page_part": mark_safe(part_html)},  # noqa: S308
            request=request,
        )
        pieces = [piece.encode() for piece in _PLACEHOLDERS.split(html)]
        if keep:
            cache.set(page_key, pieces)
    return HttpResponse(_filled(request, pieces), content_type="text/html; charset=utf-8")


def _filled(request: AuthenticatedHttpRequest, pieces: list[bytes]) -> bytes:
    """Return the page: its pieces with this request's values where the placeholders were.

    ``pieces`` alternate between the page's text and a placeholder (``re.split`` with a
    group), so every second piece is replaced.
    """
    values = {
        CSRF_PLACEHOLDER.encode(): get_token(request).encode(),
        NONCE_PLACEHOLDER.encode(): str(get_nonce(request)).encode(),
        SESSION_PLACEHOLDER.encode(): str(session_expires_in(request.session)).encode(),
    }
    filled = pieces.copy()
    for index in range(1, len(filled), 2):
        filled[index] = values[filled[index]]
    return b"".join(filled)
