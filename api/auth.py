"""Bearer tokens of organisations, their scopes, and the rate limit per token.

``TokenAuth(scope)`` guards each operation: an unknown, expired or revoked token answers
401, a token over its rate limit 429 (``Retry-After``), a token without the scope 403.
One client IP that sent more than ``API_AUTH_FAILURE_LIMIT_PER_IP`` refused tokens within
ten minutes gets 429 for every further refused token until the ten minutes are over; a
valid token from that IP still works.

On PostgreSQL the token, its organisation and its count in the rate-limit window are one
statement (``_find_and_count``), and a read of one onboarding (a GET of a path with its
slug) finds the onboarding in the same statement, as ``get_onboarding_for_token`` would:
an API read is one round trip to the database. Elsewhere (SQLite) they stay separate.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Field
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from api.models import AuthFailureWindow, RateLimitWindow
from checklist.access import onboarding_in_row, token_onboarding
from checklist.models import Onboarding
from portal import raw_rows
from portal.models import ApiToken, Organisation, hash_token
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
    plain = _bearer(request)
    token = ApiToken.find(plain) if plain is not None else None
    request._api_token = token  # type: ignore[attr-defined]
    return token


def _bearer(request: HttpRequest) -> str | None:
    """The token the ``Authorization: Bearer`` header names, None without one."""
    scheme, _space, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


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
    _prune_if_opened(model, start, counted, prune)
    return counted


def _prune_if_opened(
    model: type[RateLimitWindow] | type[AuthFailureWindow],
    start: datetime,
    counted: int,
    prune: dict[str, Any],
) -> None:
    """A request that opened the window (counted first) deletes the older ones of ``prune``."""
    if counted == 1:
        model.objects.filter(window_start__lt=start, **prune).delete()


def _minute_start(now: datetime) -> datetime:
    """The start of the rate limit's window ``now`` falls in."""
    return now.replace(second=0, microsecond=0)


def count_request(token: ApiToken) -> None:
    """Count one request of the token in the current minute; raise RateLimited over the limit."""
    now = timezone.now()
    start = _minute_start(now)
    count = _count_in_window(RateLimitWindow, start, {"token": token}, {"token": token})
    _within_limit(count, start, now)


def _within_limit(count: int, start: datetime, now: datetime) -> None:
    if count > settings.API_RATE_LIMIT_PER_MINUTE:
        raise RateLimited((start + WINDOW - now).total_seconds())


def _find_and_count(
    plain: str, now: datetime, start: datetime, slug: str | None
) -> tuple[ApiToken, int, Onboarding | None] | None:
    """``ApiToken.find`` and ``_count_in_window`` for the token in one statement
    (PostgreSQL): the active token's row in the window is inserted or counted up in a
    data-modifying WITH, the token and its organisation are read joined to the count, and,
    with a ``slug``, the onboarding of that slug the token's organisation takes part in
    (None if there is none). None if the token is not active (then nothing was counted)."""
    if not plain.startswith(ApiToken.PREFIX):
        return None
    params: list[Any] = [
        connection.ops.adapt_datetimefield_value(start),
        hash_token(plain),
        connection.ops.adapt_datetimefield_value(now),
    ]
    if slug is not None:
        params.append(slug)
    # Its own transaction (autocommit, as a read is): see ``_find_and_count_sql``.
    alone = not connection.in_atomic_block
    row = raw_rows.fetch_one(_find_and_count_sql(slug is not None, alone), params)
    if row is None:
        return None
    token, next_column = raw_rows.leading(ApiToken, row)
    organisation, next_column = raw_rows.instance(Organisation, row, next_column)
    raw_rows.relate(token, "organisation", organisation)
    onboarding = onboarding_in_row(row, next_column + 1) if slug is not None else None
    return token, int(row[next_column]), onboarding


@functools.cache
def _find_and_count_sql(with_onboarding: bool, alone: bool) -> str:
    """The statement of ``_find_and_count``, written once per process (it never changes).

    ``alone``: the statement is a transaction of its own, whose only write is the count.
    Then its commit does not wait for the write-ahead log to reach the disk
    (``synchronous_commit`` off for this transaction alone, as PostgreSQL's manual suggests
    for data that may lose its last fraction of a second in a database crash): a count of
    requests may, while a tick or any other write inside a transaction never does. That
    wait was most of a read's time in the database (0.25 of 0.3 ms, issue 26)."""
    quote = connection.ops.quote_name
    windows, count = raw_rows.table(RateLimitWindow), quote("count")
    keys = f"{quote('token_id')}, {quote('window_start')}"
    select = f"{raw_rows.columns(ApiToken, 't')}, {raw_rows.columns(Organisation, 'o')}, c.n"
    join = ""
    if with_onboarding:
        columns, join = token_onboarding("t")
        select = f"{select}, {columns}"
    if alone:  # after every model's columns, which are read by position
        select = f"{select}, set_config('synchronous_commit', 'off', true)"
    return (
        f"WITH c AS (INSERT INTO {windows} ({keys}, {count}) "  # noqa: S608
        f"SELECT id, %s, 1 FROM {raw_rows.table(ApiToken)} "
        "WHERE token_hash = %s AND revoked_at IS NULL AND expires_at > %s "
        f"ON CONFLICT ({keys}) DO UPDATE SET {count} = {windows}.{count} + 1 "
        f"RETURNING {quote('token_id')} AS token_id, {count} AS n) "
        f"SELECT {select} FROM c "
        f"INNER JOIN {raw_rows.table(ApiToken)} t ON t.id = c.token_id "
        f"INNER JOIN {raw_rows.table(Organisation)} o ON o.id = t.organisation_id {join}"
    )


def _authenticate(request: HttpRequest) -> ApiToken | None:
    """The request's active token, counted in its rate-limit window (RateLimited over the
    limit), remembered on the request as ``token_from_request`` remembers it."""
    if hasattr(request, "_api_token") or connection.vendor != "postgresql":
        token = token_from_request(request)
        if token is not None:
            count_request(token)
        return token
    plain = _bearer(request)
    now = timezone.now()
    start = _minute_start(now)
    match = request.resolver_match
    slug = match.kwargs.get("slug") if match is not None and request.method == "GET" else None
    found = _find_and_count(plain, now, start, slug) if plain is not None else None
    if found is None:
        request._api_token = None  # type: ignore[attr-defined]
        return None
    token, counted, onboarding = found
    request._api_token = token  # type: ignore[attr-defined]
    if slug is not None:
        request._api_onboarding = (slug, onboarding)  # type: ignore[attr-defined]
    _prune_if_opened(RateLimitWindow, start, counted, {"token": token})
    _within_limit(counted, start, now)
    return token


def onboarding_read_with_token(request: HttpRequest, slug: str) -> tuple[bool, Onboarding | None]:
    """Whether the token's statement already looked for the onboarding of ``slug`` (a read
    on PostgreSQL), and the onboarding it found (None: not one the token may see)."""
    read: tuple[str, Onboarding | None] | None = getattr(request, "_api_onboarding", None)
    if read is None or read[0] != slug:
        return False, None
    return True, read[1]


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
        token = _authenticate(request)
        if token is None:
            if request.headers.get("Authorization"):
                count_failure(request)  # a token was sent and refused
            return None
        token.touch()
        if not token.has_scope(self.scope):
            raise MissingScope(self.scope)
        return token

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return token_from_request(request)
