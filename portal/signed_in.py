"""The signed-in user of a request in one statement: user, memberships, verified device.

Every request of a signed-in user needs the user, the memberships (organisation switcher,
current organisation, access checks) and, where the session was confirmed with a second
factor, that device (django-otp's ``user.otp_device``). Loaded one by one through the ORM
they took three statements and most of the request's CPU time (building the SQL of three
querysets). Here they come in one hand-written statement: the user, its memberships with
their organisations, and the session's device, joined; only the session row is read before
it (it says who is signed in and with which device).

Nothing is kept between requests: every request reads the current rows, so a sign-out
(the session row is gone), a removed membership or a removed or unconfirmed device takes
effect on the very next request on every app server. Only the column lists are computed
once per process; they follow the models, not the data.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connections
from django.db.models import Model
from django.http import HttpRequest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from portal.models import Membership, Organisation, User

# A column and the functions that turn its database value into the field's value.
Converters = tuple[Any, tuple[Callable[[Any, Any, Any], Any], ...]]

# The device the session being authenticated names (its persistent id), read by
# ``PortalBackend.get_user`` while ``SecondFactorMiddleware`` resolves ``request.user``.
_session_device: ContextVar[str | None] = ContextVar("session_device", default=None)
# Marks a user whose device was looked up with the user (``otp_device`` may be None).
DEVICE_LOADED = "portal_device_checked"
_MISSING = object()


@contextmanager
def session_device(persistent_id: str | None) -> Iterator[None]:
    token = _session_device.set(persistent_id)
    try:
        yield
    finally:
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


@dataclass(frozen=True)
class Columns:
    """A model's columns as ``table.column`` SQL, their attribute names and converters."""

    sql: str
    names: list[str]
    converters: list[Converters]


@functools.cache
def _columns(alias: str, label: str, table: str) -> Columns:
    model = apps.get_model(label)
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    converters = []
    for field in fields:
        column = field.get_col(model._meta.db_table)
        chain = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        converters.append((column, tuple(chain)))
    return Columns(
        sql=", ".join(f"{quote(table)}.{quote(field.column)}" for field in fields),
        names=[field.attname for field in fields],
        converters=converters,
    )


def _build(model: type[Model], alias: str, values: tuple[Any, ...], columns: Columns) -> Any:
    connection = connections[alias]
    converted = []
    for value, (column, chain) in zip(values, columns.converters, strict=True):
        for convert in chain:
            value = convert(value, column, connection)
        converted.append(value)
    return model.from_db(alias, columns.names, converted)


def load_user(user_id: Any, device_id: str | None) -> tuple[User, list[Membership], Any] | None:
    """The user, the memberships (organisation loaded, by organisation name) and the
    confirmed device ``device_id`` names if it is the user's (else None), in one statement."""
    alias = User.objects.db
    connection = connections[alias]
    quote = connection.ops.quote_name
    user_columns = _columns(alias, User._meta.label, "u")
    member_columns = _columns(alias, Membership._meta.label, "m")
    organisation_columns = _columns(alias, Organisation._meta.label, "o")
    select = [user_columns.sql, member_columns.sql, organisation_columns.sql]
    joins = [
        f"LEFT JOIN {quote(Membership._meta.db_table)} m ON m.{quote('user_id')} = u.{quote('id')}",
        f"LEFT JOIN {quote(Organisation._meta.db_table)} o "
        f"ON o.{quote('id')} = m.{quote('organisation_id')}",
    ]
    params: list[Any] = []
    device = device_model(device_id)
    device_columns = None
    if device is not None:
        model, number = device
        device_columns = _columns(alias, model._meta.label, "d")
        select.append(device_columns.sql)
        joins.append(
            f"LEFT JOIN {quote(model._meta.db_table)} d ON d.{quote('id')} = %s "
            f"AND d.{quote('user_id')} = u.{quote('id')} AND d.{quote('confirmed')} = %s"
        )
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
    widths = [len(user_columns.names), len(member_columns.names), len(organisation_columns.names)]
    first = rows[0]
    user = _build(User, alias, first[: widths[0]], user_columns)
    memberships = []
    for row in rows:
        start = widths[0]
        if row[start] is None:  # no membership: the LEFT JOIN's empty row
            continue
        membership = _build(Membership, alias, row[start : start + widths[1]], member_columns)
        start += widths[1]
        membership.organisation = _build(
            Organisation, alias, row[start : start + widths[2]], organisation_columns
        )
        membership.user = user
        memberships.append(membership)
    found = None
    if device is not None and device_columns is not None:
        start = sum(widths)
        if first[start] is not None:
            found = _build(device[0], alias, first[start:], device_columns)
            found.user = user
    return user, memberships, found


class SecondFactorMiddleware(OTPMiddleware):  # type: ignore[misc]
    """django-otp's middleware, taking the session's device from the user's own statement.

    It sets ``request.user.otp_device`` and ``is_verified()`` as django-otp's does, with the
    same rules (the device must be the user's and confirmed; a session naming another is
    forgotten), but the device comes joined to the user (``portal.signed_in.load_user``)
    instead of in a statement of its own.
    """

    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        with session_device(persistent_id):
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


def loaded_for_session(user_id: Any) -> tuple[User, list[Membership], Any] | None:
    """``load_user`` for the device of the session being authenticated, if any."""
    return load_user(user_id, _session_device.get())
