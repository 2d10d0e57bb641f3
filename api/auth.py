"""Bearer tokens of organisations, their scopes, and the rate limit per token.

``TokenAuth(scope)`` guards each operation: an unknown, expired or revoked token answers
401, a token over its rate limit 429 (``Retry-After``), a token without the scope 403.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from api.models import RateLimitWindow
from portal.models import ApiToken

WINDOW = timedelta(minutes=1)


class MissingScope(Exception):
    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


class RateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def token_from_request(request: HttpRequest) -> ApiToken | None:
    """Return the active token of the request's ``Authorization: Bearer`` header, or None.

    The lookup is remembered on the request, so the idempotency layer and the auth share it.
    """
    if hasattr(request, "_api_token"):
        cached: ApiToken | None = request._api_token
        return cached
    scheme, _space, value = request.headers.get("Authorization", "").partition(" ")
    token = ApiToken.find(value.strip()) if scheme.lower() == "bearer" else None
    request._api_token = token  # type: ignore[attr-defined]
    return token


def count_request(token: ApiToken) -> None:
    """Count one request of the token in the current minute; raise RateLimited over the limit."""
    now = timezone.now()
    start = now.replace(second=0, microsecond=0)
    windows = RateLimitWindow.objects.filter(token=token, window_start=start)
    if not windows.update(count=F("count") + 1):
        try:
            with transaction.atomic():
                RateLimitWindow.objects.create(token=token, window_start=start, count=1)
        except IntegrityError:  # another app server opened the window first
            windows.update(count=F("count") + 1)
        else:
            RateLimitWindow.objects.filter(token=token, window_start__lt=start).delete()
    count = windows.values_list("count", flat=True).first() or 0
    if count > settings.API_RATE_LIMIT_PER_MINUTE:
        raise RateLimited((start + WINDOW - now).total_seconds())


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` of an organisation, with the scope an operation needs."""

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def __call__(self, request: HttpRequest) -> ApiToken | None:
        # Ninja's HttpBearer logs a malformed header in DEBUG, token and all; this never does.
        token = token_from_request(request)
        if token is None:
            return None
        count_request(token)
        token.touch()
        if not token.has_scope(self.scope):
            raise MissingScope(self.scope)
        return token

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return token_from_request(request)
