"""The signed-in user of a request in one statement: user, memberships, verified device.

Every request of a signed-in user needs the user, the memberships (organisation switcher,
current organisation, access checks) and, where the session was confirmed with a second
factor, that device (django-otp's ``user.otp_device``). Loaded one by one through the ORM
they took three statements and most of the request's CPU time (building the SQL of three
querysets). Here they come in one hand-written statement with the session row: the session,
the user it names, the user's memberships with their organisations, and the session's
device, joined (``load_session``; the row names user and device in columns of its own,
``portal.session_models.Session``). Where those columns disagree with the session's data
(a session written before they existed), the user comes in a second statement
(``load_user``).

Nothing is kept between requests: every request reads the current rows, so a sign-out
(the session row is gone), a removed membership or a removed or unconfirmed device takes
effect on the very next request on every app server. Only the statements and the column
lists (``portal.raw_rows``) are computed once per process; they follow the models, not the
data.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connections
from django.http import HttpRequest
from django_otp import DEVICE_ID_SESSION_KEY, device_classes
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from portal import raw_rows
from portal.models import Membership, Organisation, User

# The user, the memberships (organisation loaded) and the confirmed device (or None).
Loaded = tuple[User, list[Membership], Any]

# The device the session being authenticated names (its persistent id), read by
# ``PortalBackend.get_user`` while ``SecondFactorMiddleware`` resolves ``request.user``.
_session_device: ContextVar[str | None] = ContextVar("session_device", default=None)
# Marks a user whose device was looked up with the user (``otp_device`` may be None).
DEVICE_LOADED = "portal_device_checked"
_MISSING = object()


@dataclass(frozen=True)
class SessionRow:
    """A session's row: its encoded data, the user and device its columns name, and those
    loaded (``loaded`` is None when that user does not exist)."""

    data: str
    user_id: Any
    device_id: str | None
    loaded: Loaded | None


# The user, memberships and device read with that session's row (``load_session``).
_session_row: ContextVar[SessionRow | None] = ContextVar("session_row", default=None)


@contextmanager
def session_device(persistent_id: str | None, row: SessionRow | None = None) -> Iterator[None]:
    token = _session_device.set(persistent_id)
    row_token = _session_row.set(row)
    try:
        yield
    finally:
        _session_row.reset(row_token)
        _session_device.reset(token)


def device_model(persistent_id: str | None) -> tuple[type[Device], int] | None:
    """The device model and id a persistent id (``app.model/id``) names, if any."""
    if not persistent_id:
        return None
    try:
        label, device_id = persistent_id.rsplit("/", 1)
        model = apps.get_model(label)
        number = int(device_id)
    except (ValueError, LookupError):
        return None
    return (model, number) if issubclass(model, Device) else None


@functools.cache
def _device_classes() -> tuple[type[Device], ...]:
    """Every second-factor device model (the models, not their rows)."""
    return tuple(device_classes())


def _user_select(alias: str) -> tuple[list[str], list[str]]:
    """The user (``u``), membership and organisation columns, and their joins."""
    quote = connections[alias].ops.quote_name
    select = [
        raw_rows.columns(User, "u"),
        raw_rows.columns(Membership, "m"),
        raw_rows.columns(Organisation, "o"),
    ]
    joins = [
        f"LEFT JOIN {quote(Membership._meta.db_table)} m ON m.{quote('user_id')} = u.{quote('id')}",
        f"LEFT JOIN {quote(Organisation._meta.db_table)} o "
        f"ON o.{quote('id')} = m.{quote('organisation_id')}",
    ]
    return select, joins


def _device_join(alias: str, model: type[Device], name: str, condition: str) -> str:
    """Join ``model`` as ``name`` where ``condition`` holds and it is the user's, confirmed."""
    quote = connections[alias].ops.quote_name
    return (
        f"LEFT JOIN {quote(model._meta.db_table)} {name} ON {condition} "
        f"AND {name}.{quote('user_id')} = u.{quote('id')} AND {name}.{quote('confirmed')} = %s"
    )


def _parse(
    alias: str, rows: list[tuple[Any, ...]], start: int, devices: list[type[Device]]
) -> Loaded | None:
    """The user, memberships and device from rows whose user columns begin at ``start``."""
    first = rows[0]
    user, memberships_at = raw_rows.instance(User, first, start, alias)
    if user is None:  # no such user: the LEFT JOIN's empty row
        return None
    memberships = []
    devices_at = memberships_at
    for row in rows:
        membership, organisation_at = raw_rows.instance(Membership, row, memberships_at, alias)
        organisation, devices_at = raw_rows.instance(Organisation, row, organisation_at, alias)
        if membership is None:  # no membership: the LEFT JOIN's empty row
            continue
        raw_rows.relate(membership, "organisation", organisation)
        membership.user = user
        memberships.append(membership)
    found = None
    at = devices_at
    for model in devices:
        device, at = raw_rows.instance(model, first, at, alias)
        if found is None and device is not None:
            found = device
            found.user = user
    return user, memberships, found


def load_user(user_id: Any, device_id: str | None) -> Loaded | None:
    """The user, the memberships (organisation loaded, by organisation name) and the
    confirmed device ``device_id`` names if it is the user's (else None), in one statement."""
    alias = User.objects.db
    connection = connections[alias]
    quote = connection.ops.quote_name
    select, joins = _user_select(alias)
    params: list[Any] = []
    devices = []
    device = device_model(device_id)
    if device is not None:
        model, number = device
        devices.append(model)
        select.append(raw_rows.columns(model, "d"))
        joins.append(_device_join(alias, model, "d", f"d.{quote('id')} = %s"))
        params += [number, True]
    sql = (
        f"SELECT {', '.join(select)} FROM {quote(User._meta.db_table)} u {' '.join(joins)} "  # noqa: S608
        f"WHERE u.{quote('id')} = %s ORDER BY o.{quote('name')}, m.{quote('id')}"
    )
    params.append(User._meta.pk.to_python(user_id))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return None
    return _parse(alias, rows, 0, devices)


@dataclass(frozen=True)
class _SessionStatement:
    sql: str
    params: list[Any]
    devices: list[type[Device]]


# The session row's own columns, before the user's.
_SESSION_COLUMNS = ("session_data", "user_id", "device_model", "device_number")


@functools.cache
def _session_statement(alias: str, table: str) -> _SessionStatement:
    """``load_session``'s statement (it follows the models; computed once per process)."""
    quote = connections[alias].ops.quote_name
    select, joins = _user_select(alias)
    params: list[Any] = []
    devices = list(_device_classes())
    for index, model in enumerate(devices):
        name = f"d{index}"
        select.append(raw_rows.columns(model, name))
        condition = (
            f"s.{quote('device_model')} = %s AND {name}.{quote('id')} = s.{quote('device_number')}"
        )
        joins.append(_device_join(alias, model, name, condition))
        params += [model._meta.label_lower, True]
    sql = (
        f"SELECT {', '.join(f's.{quote(c)}' for c in _SESSION_COLUMNS)}, {', '.join(select)} "  # noqa: S608
        f"FROM {quote(table)} s LEFT JOIN {quote(User._meta.db_table)} u "
        f"ON u.{quote('id')} = s.{quote('user_id')} {' '.join(joins)} "
        f"WHERE s.{quote('session_key')} = %s AND s.{quote('expire_date')} > %s "
        f"ORDER BY o.{quote('name')}, m.{quote('id')}"
    )
    return _SessionStatement(sql, params, devices)


def load_session(alias: str, table: str, session_key: str, now: Any) -> SessionRow | None:
    """The unexpired session row ``session_key`` names, with the user its ``user`` column
    names (memberships, organisations) and its confirmed device, in one statement."""
    connection = connections[alias]
    statement = _session_statement(alias, table)
    params = [*statement.params, session_key, connection.ops.adapt_datetimefield_value(now)]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        rows = cursor.fetchall()
    if not rows:
        return None
    data, user_id, device_label, device_number = rows[0][: len(_SESSION_COLUMNS)]
    if user_id is None:
        return SessionRow(data=data, user_id=None, device_id=None, loaded=None)
    loaded = _parse(alias, rows, len(_SESSION_COLUMNS), statement.devices)
    device_id = f"{device_label}/{device_number}" if device_label else None
    return SessionRow(data=data, user_id=user_id, device_id=device_id, loaded=loaded)


class SecondFactorMiddleware(OTPMiddleware):  # type: ignore[misc]
    """django-otp's middleware, taking the session's device from the user's own statement.

    It sets ``request.user.otp_device`` and ``is_verified()`` as django-otp's does, with the
    same rules (the device must be the user's and confirmed; a session naming another is
    forgotten), but the device comes joined to the user (``portal.signed_in.load_user``)
    instead of in a statement of its own.
    """

    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        with session_device(persistent_id, getattr(request.session, "signed_in", None)):
            authenticated = user.is_authenticated  # loads the user (PortalBackend.get_user)
        if not authenticated or getattr(user, DEVICE_LOADED, _MISSING) != persistent_id:
            # Signed out, or loaded by another backend: django-otp's own lookup.
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        user.otp_device = self._finalize_device(request, user, user.portal_device)
        return user


def session_device_id() -> str | None:
    """The persistent id of the device the session being authenticated names."""
    return _session_device.get()


def loaded_for_session(user_id: Any) -> Loaded | None:
    """The user, memberships and device for the session being authenticated: as read with
    its row where its columns name this user and device, else ``load_user``."""
    device_id = _session_device.get()
    row = _session_row.get()
    if row is not None and row.user_id is not None and row.device_id == device_id:
        try:
            same = row.user_id == User._meta.pk.to_python(user_id)
        except ValidationError:
            same = False
        if same:
            return row.loaded
    return load_user(user_id, device_id)
