"""The hottest look-ups by one value, read in plain SQL into the ORM's own model instances.

The ORM builds and compiles a query anew for every request: for a look-up of one row by
one value that is about ten times what the database itself spends. The few look-ups that
every API request and every tick makes (the token, the onboarding) are written out once
as SQL here; the rows become instances through ``Model.from_db`` with the database's own
converters, as the ORM makes them, so nothing downstream tells them apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import connection, models


def columns(model: type[models.Model], alias: str) -> str:
    """The select list of all the model's columns, from the table named ``alias``."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(str(field.column))}" for field in model._meta.concrete_fields)


def fetch_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row: tuple[Any, ...] | None = cursor.fetchone()
    return row


def instance[M: models.Model](
    model: type[M], row: Sequence[Any], start: int = 0
) -> tuple[M | None, int]:
    """The instance in ``row`` from ``start`` on (as ``columns`` selected it), None for the
    empty side of an outer join, and where the next model's columns begin."""
    fields = model._meta.concrete_fields
    end = start + len(fields)
    values = list(row[start:end])
    if values[fields.index(model._meta.pk)] is None:
        return None, end
    for number, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        for convert in connection.ops.get_db_converters(column) + field.get_db_converters(
            connection
        ):
            values[number] = convert(values[number], column, connection)
    found = model.from_db(connection.alias, [field.attname for field in fields], values)
    return found, end


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
