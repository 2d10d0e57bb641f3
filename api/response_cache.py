"""Answers of the API's reads, kept until anything they show changes.

A pipeline polling its onboarding asks the same question again and again. The answer is
kept in the ``pages`` cache (as ``checklist.page_cache`` keeps rendered pages) under a key
that carries ``Onboarding.revision`` (raised by database triggers with every write to what
the answer shows, ``checklist.revision_triggers``), the token's organisation, its side and
scopes, the language and the day. The token, its rate limit and its access to the
onboarding are checked on every request before the cache is asked; the key is never reused
for other content, so each app server may keep its own cache and none needs telling when
data changes. An answer whose words change with time alone (a connection check growing too
old to declare on) is kept only until then.

The operation asks ``cached`` first; on a miss it calls ``keep_next`` and answers as usual,
and ``api.calls.api_call`` puts the rendered answer in with ``store``.
"""

from __future__ import annotations

from datetime import datetime

from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone, translation

from checklist import page_cache
from checklist.access import Participation
from portal.models import ApiToken

ALIAS = "pages"


def key(participation: Participation, part: str) -> str:
    onboarding = participation.onboarding
    token = participation.actor
    if not isinstance(token, ApiToken):
        raise TypeError("the API's answers are kept per token")
    parts = (
        part,
        onboarding.pk,
        onboarding.revision,
        token.organisation_id,
        participation.authority_role or "",
        participation.provider_member,
        tuple(sorted(token.scopes)),
        translation.get_language(),
        timezone.localdate().isoformat(),
    )
    return page_cache.hashed_key(f"api:{onboarding.pk}", parts)


def cached(request: HttpRequest, participation: Participation, part: str) -> HttpResponse | None:
    """Return the kept answer, or None (then the next answer of ``request`` is kept)."""
    found = key(participation, part)
    entry: tuple[bytes, str, datetime | None] | None = caches[ALIAS].get(found)
    if entry is not None:
        content, content_type, until = entry
        if until is None or timezone.now() < until:
            return HttpResponse(content, content_type=content_type)
    request._api_keep = found  # type: ignore[attr-defined]
    return None


def keep_next(request: HttpRequest, until: datetime | None) -> None:
    """Say until when the answer being built holds (None: as long as its key)."""
    request._api_keep_until = until  # type: ignore[attr-defined]


def store(request: HttpRequest, response: HttpResponseBase) -> None:
    """Keep a successful answer of an operation that asked ``cached`` and missed."""
    found: str | None = getattr(request, "_api_keep", None)
    if found is None or response.status_code != 200 or not isinstance(response, HttpResponse):
        return
    until: datetime | None = getattr(request, "_api_keep_until", None)
    caches[ALIAS].set(found, (response.content, response["Content-Type"], until))
