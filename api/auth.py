"""Bearer tokens of organisations, their scopes, and the rate limit per token.

``TokenAuth(scope)`` guards each operation: an unknown, expired or revoked token answers
401, a token over its rate limit 429 (``Retry-After``), a token without the scope 403.
One client IP that sent more than ``API_AUTH_FAILURE_LIMIT_PER_IP`` refused tokens within
ten minutes gets 429 for every further refused token until the ten minutes are over; a
valid token from that IP still works.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Field
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from api.models import AuthFailureWindow, RateLimitWindow
from portal.models import ApiToken
from portal.proxies import client_ip

WINDOW = timedelta(minutes=1)
FAILURE_WINDOW = timedelta(minutes=10)


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


def _count_in_window(
    model: type[RateLimitWindow] | type[AuthFailureWindow],
    start: datetime,
    key: dict[str, Any],
    prune: dict[str, Any],
) -> int:
    """Count one event of ``key`` in the window that begins at ``start`` and return the
    window's count. One row per key and window in the database, so every app server agrees;
    whoever opens a window deletes the older ones matching ``prune``.

    One statement: an insert that adds one to the window's row when it exists (the unique
    constraint on key and window decides, in the database, also between app servers that
    open the window at once) and returns the count.
    """
    meta = model._meta
    fields = [meta.get_field(name) for name in key]
    columns = [str(field.column) for field in fields if isinstance(field, Field)]
    values = [
        field.get_db_prep_value(value.pk if isinstance(value, ApiToken) else value, connection)
        for field, value in zip(fields, key.values(), strict=True)
        if isinstance(field, Field)
    ]
    quote = connection.ops.quote_name
    table, count = quote(meta.db_table), quote("count")
    names = ", ".join(quote(column) for column in [*columns, "window_start"])
    marks = ", ".join(["%s"] * (len(columns) + 1))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}, {count}) VALUES ({marks}, 1) "  # noqa: S608
            f"ON CONFLICT ({names}) DO UPDATE SET {count} = {table}.{count} + 1 "
            f"RETURNING {count}",
            [*values, connection.ops.adapt_datetimefield_value(start)],
        )
        row = cursor.fetchone()
    counted = int(row[0])
    if counted == 1:  # this request opened the window
        model.objects.filter(window_start__lt=start, **prune).delete()
    return counted


def count_request(token: ApiToken) -> None:
    """Count one request of the token in the current minute; raise RateLimited over the limit."""
    now = timezone.now()
    start = now.replace(second=0, microsecond=0)
    count = _count_in_window(RateLimitWindow, start, {"token": token}, {"token": token})
    if count > settings.API_RATE_LIMIT_PER_MINUTE:
        raise RateLimited((start + WINDOW - now).total_seconds())


def _failure_window_start(now: datetime) -> datetime:
    """The start of the ten minutes ``now`` falls in (xx:00, xx:10, …)."""
    return now.replace(minute=now.minute - now.minute % 10, second=0, microsecond=0)


def count_failure(request: HttpRequest) -> None:
    """Count a refused token of the request's client IP; raise RateLimited over the limit.

    The IP is determined as for the sign-in limit (``FORWARDED_PROXY_COUNT``); the counters
    are in the database, so that every app server agrees.
    """
    ip = client_ip(request)[:100]
    now = timezone.now()
    start = _failure_window_start(now)
    count = _count_in_window(AuthFailureWindow, start, {"ip_address": ip}, {})
    if count > settings.API_AUTH_FAILURE_LIMIT_PER_IP:
        raise RateLimited((start + FAILURE_WINDOW - now).total_seconds())


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` of an organisation, with the scope an operation needs."""

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def __call__(self, request: HttpRequest) -> ApiToken | None:
        # Ninja's HttpBearer logs a malformed header in DEBUG, token and all; this never does.
        token = token_from_request(request)
        if token is None:
            if request.headers.get("Authorization"):
                count_failure(request)  # a token was sent and refused
            return None
        count_request(token)
        token.touch()
        if not token.has_scope(self.scope):
            raise MissingScope(self.scope)
        return token

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return token_from_request(request)
