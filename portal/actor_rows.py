"""Who did something, written out for ``portal.raw_rows``: a person, or an API token with
its organisation, as ``select_related("<person>", "<token>__organisation")`` joins them.

Item states (who ticked), comments (their authors), connection checks and conformance runs
(who started them) and Protokoll entries (their actors) name their actor this way; each
read selects ``columns``, joins ``joins`` and builds the objects with ``read``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from portal import raw_rows
from portal.api_tokens import ApiToken
from portal.models import Organisation, User


def columns(alias: str) -> str:
    """The person's, the token's and its organisation's columns (``<alias>_u``, ``_t``,
    ``_o``), in the order ``read`` takes them."""
    return ", ".join(
        raw_rows.columns(model, f"{alias}_{suffix}")
        for model, suffix in ((User, "u"), (ApiToken, "t"), (Organisation, "o"))
    )


def joins(alias: str, source: str, person: str, token: str) -> str:
    """The outer joins of the person and the token (with its organisation) that the rows of
    ``source`` name in their columns ``person`` and ``token``."""
    quote = connection.ops.quote_name
    return (
        f"LEFT OUTER JOIN {raw_rows.table(User)} {alias}_u "
        f"ON {alias}_u.id = {source}.{quote(person)} "
        f"LEFT OUTER JOIN {raw_rows.table(ApiToken)} {alias}_t "
        f"ON {alias}_t.id = {source}.{quote(token)} "
        f"LEFT OUTER JOIN {raw_rows.table(Organisation)} {alias}_o "
        f"ON {alias}_o.id = {alias}_t.organisation_id"
    )


def read(row: Sequence[Any], start: int) -> tuple[User | None, ApiToken | None, int]:
    """The person and the token (its organisation set) from ``start`` on, and where the next
    columns begin."""
    person, start = raw_rows.instance(User, row, start)
    token, start = raw_rows.instance(ApiToken, row, start)
    organisation, start = raw_rows.instance(Organisation, row, start)
    if token is not None:
        raw_rows.relate(token, "organisation", organisation)
    return person, token, start
