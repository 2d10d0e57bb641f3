"""The hottest look-ups by one value, read in plain SQL into the ORM's own model instances.

The ORM builds and compiles a query anew for every request: for a look-up of one row by
one value that is about ten times what the database itself spends. The few look-ups that
every API request and every tick makes (the token, the onboarding) are written out once
as SQL here; the rows become instances through ``Model.from_db`` with the database's own
converters, as the ORM makes them, so nothing downstream tells them apart. The writes of
every tick (the item's state, the audit entry, the summary) are written out likewise, with
the values the fields prepare as the ORM has them prepared.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, models
from django.db.models import signals


def columns(model: type[models.Model], alias: str, deferred: tuple[str, ...] = ()) -> str:
    """The select list of all the model's columns, from the table named ``alias``, but
    those of the fields named in ``deferred`` (as ``QuerySet.defer`` leaves them out)."""
    return _columns(model, alias, connection.vendor, deferred)


@functools.cache
def _columns(model: type[models.Model], alias: str, vendor: str, deferred: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(str(field.column))}" for field in _fields(model, deferred))


def _fields(model: type[models.Model], deferred: tuple[str, ...]) -> list[Any]:
    return [field for field in model._meta.concrete_fields if field.name not in deferred]


def table(model: type[models.Model]) -> str:
    """The model's table, quoted for the database."""
    return connection.ops.quote_name(model._meta.db_table)


def fetch_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row: tuple[Any, ...] | None = cursor.fetchone()
    return row


def fetch_all(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def instance[M: models.Model](
    model: type[M],
    row: Sequence[Any],
    start: int = 0,
    using: str | None = None,
    deferred: tuple[str, ...] = (),
) -> tuple[M | None, int]:
    """The instance in ``row`` from ``start`` on (as ``columns`` selected it, with the same
    ``deferred``), None for the empty side of an outer join, and where the next model's
    columns begin. ``using``: the database the row was read from (the default one unless
    named)."""
    count, key = _shape(model, deferred)
    end = start + count
    if row[start + key] is None:  # the empty side: nothing more to look up
        return None, end
    wrapper = connections[using or DEFAULT_DB_ALIAS]  # as ``connection.alias`` names it
    names, _key, converters = _loading(model, wrapper.vendor, deferred)
    values = list(row[start:end])
    for number, column, convert in converters:
        values[number] = convert(values[number], column, wrapper)
    found = model.from_db(wrapper.alias, names, values)
    return found, end


@functools.cache
def _shape(model: type[models.Model], deferred: tuple[str, ...]) -> tuple[int, int]:
    """How many columns ``columns`` selects of the model and where its key is among them."""
    fields = _fields(model, deferred)
    return len(fields), fields.index(model._meta.pk)


@functools.cache
def _loading(
    model: type[models.Model], vendor: str, deferred: tuple[str, ...] = ()
) -> tuple[list[str], int, list[tuple[int, Any, Any]]]:
    """The model's attribute names (but the deferred), where its key is among them, and the
    converters of the fields that have any (as the ORM asks them), once per model, database
    vendor and deferred fields."""
    wrapper = connection
    fields = _fields(model, deferred)
    converters = []
    for number, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        for convert in wrapper.ops.get_db_converters(column) + field.get_db_converters(wrapper):
            converters.append((number, column, convert))
    return [field.attname for field in fields], fields.index(model._meta.pk), converters


def leading[M: models.Model](model: type[M], row: Sequence[Any]) -> tuple[M, int]:
    """The instance whose columns the row begins with (never the empty side of a join)."""
    found, end = instance(model, row)
    if found is None:
        raise LookupError(f"a row of {model.__name__} without its primary key")
    return found, end


def relate(obj: models.Model, name: str, related: models.Model | None) -> None:
    """Set an already loaded related object, as ``select_related`` does."""
    field = cast(models.ForeignKey[Any, Any], obj._meta.get_field(name))
    field.set_cached_value(obj, related)


# Writes ------------------------------------------------------------------------------------
# The same statements as ``save(update_fields=…)``, ``save(force_insert=True)`` and
# ``QuerySet.update`` with the values prepared by the fields as the ORM prepares them, for
# the writes of every tick. Models that a save signal is connected to are saved through the
# ORM instead, so that no receiver is left out.


def _has_save_receivers(model: type[models.Model]) -> bool:
    return signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model)


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    return cast("models.Field[Any, Any]", model._meta.get_field(name))  # no subscript per call


@functools.cache
def _update_sql(model: type[models.Model], names: tuple[str, ...], vendor: str) -> str:
    quote = connection.ops.quote_name
    meta = model._meta
    assignments = ", ".join(f"{quote(str(_field(model, name).column))} = %s" for name in names)
    key = quote(str(meta.pk.column))
    return f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {key} = %s"  # noqa: S608


def _prepared(field: models.Field[Any, Any], value: Any, wrapper: Any = connection) -> Any:
    if isinstance(value, models.Model):  # a related object: its key, as the ORM takes it
        value = value.prepare_database_save(field)
    return field.get_db_prep_save(value, wrapper)


def update_values(model: type[models.Model], pk: Any, values: dict[str, Any]) -> int:
    """``model.objects.filter(pk=pk).update(**values)`` for plain values; the rows changed."""
    names = tuple(values)
    params = [_prepared(_field(model, name), values[name]) for name in names]
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(model, names, connection.vendor), [*params, pk])
        changed: int = cursor.rowcount
    return changed


def save_fields(obj: models.Model, names: Sequence[str]) -> None:
    """``obj.save(update_fields=names)`` of a row that exists."""
    model = type(obj)
    if _has_save_receivers(model):
        obj.save(update_fields=names)
        return
    values = {name: getattr(obj, _field(model, name).attname) for name in names}
    if update_values(model, obj.pk, values) != 1:
        raise DatabaseError("Save with update_fields did not affect any rows.")


@functools.cache
def _insert_sql(model: type[models.Model], vendor: str) -> tuple[str, list[Any]]:
    quote = connection.ops.quote_name
    meta = model._meta
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(str(field.column)) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if connection.features.can_return_columns_from_insert:
        sql += f" RETURNING {quote(str(meta.pk.column))}"
    return sql, fields


def insert(obj: models.Model) -> None:
    """``obj.save(force_insert=True)`` of a new row with a key the database assigns."""
    model = type(obj)
    if _has_save_receivers(model) or obj.pk is not None:
        obj.save(force_insert=True)
        return
    sql, fields = _insert_sql(model, connection.vendor)
    params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        pk = cursor.fetchone()[0] if cursor.description else cursor.lastrowid
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias


@functools.cache
def _combined(
    model: type[models.Model],
    names: tuple[str, ...],
    new_model: type[models.Model],
    also_model: type[models.Model] | None,
    also_names: tuple[str, ...],
    vendor: str,
) -> tuple[str, list[Any], list[Any], list[Any]]:
    """The statement of ``save_fields_and_insert`` on PostgreSQL and the fields whose values
    it takes (updated, the further row's, inserted), once per shape: every tick writes one."""
    update_sql = _update_sql(model, names, vendor)
    insert_sql, inserted = _insert_sql(new_model, vendor)
    key = connection.ops.quote_name(str(new_model._meta.pk.column))
    also_sql, also_fields = "", []
    if also_model is not None:
        also_sql = f"also AS ({_update_sql(also_model, also_names, vendor)}), "
        also_fields = [_field(also_model, name) for name in also_names]
    sql = (
        f"WITH changed AS ({update_sql} RETURNING 1), {also_sql}"  # noqa: S608
        f"added AS ({insert_sql}) "
        f"SELECT (SELECT count(*) FROM changed), (SELECT {key} FROM added)"
    )
    return sql, [_field(model, name) for name in names], also_fields, inserted


def save_fields_and_insert(
    obj: models.Model,
    names: Sequence[str],
    new: models.Model,
    also: tuple[type[models.Model], Any, dict[str, Any]] | None = None,
) -> None:
    """``save_fields(obj, names)``, then ``insert(new)`` and, with ``also`` (a model, a key
    and values), ``update_values(*also)``: on PostgreSQL in one statement (data-modifying
    ``WITH`` parts, the updates first), elsewhere one after the other. ``also`` must change
    its row (a tick's summary: its done items always change)."""
    model, new_model = type(obj), type(new)
    if (
        connection.vendor != "postgresql"
        or _has_save_receivers(model)
        or _has_save_receivers(new_model)
        or new.pk is not None
    ):
        save_fields(obj, names)
        insert(new)
        if also is not None:
            update_values(*also)
        return
    wrapper = connections[DEFAULT_DB_ALIAS]  # as ``connection`` names it, looked up once
    also_model, also_pk, values = also if also is not None else (None, None, {})
    sql, updated, also_fields, inserted = _combined(
        model, tuple(names), new_model, also_model, tuple(values), wrapper.vendor
    )
    params = [_prepared(field, getattr(obj, field.attname), wrapper) for field in updated]
    params.append(obj.pk)
    if also_model is not None:
        pairs = zip(also_fields, values.values(), strict=True)
        params += [_prepared(field, value, wrapper) for field, value in pairs]
        params.append(also_pk)
    params += [field.get_db_prep_save(field.pre_save(new, True), wrapper) for field in inserted]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        changed, pk = cursor.fetchone()
    if changed != 1:
        raise DatabaseError("Save with update_fields did not affect any rows.")
    new.pk = pk
    new._state.adding = False
    new._state.db = connection.alias
