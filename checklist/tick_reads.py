"""What a tick reads under the onboarding's row lock, in one statement written out
(``portal.raw_rows``): the item's state with its assignee, the hash of the newest entry of
the onboarding's Protokoll and, for a tick that opens the item again, the people its assign
form offers (as ``people.sides`` reads them), so that the answer asks for nobody after."""

from __future__ import annotations

from typing import Any

from checklist import people
from checklist.models import AuditEvent, ItemState, Onboarding
from portal import raw_rows
from portal.models import User


def item_state(
    onboarding: Onboarding, key: str, *, with_people: bool = False
) -> tuple[ItemState | None, str | None, people.Sides | None]:
    """The item's state with its assignee, of the onboarding given (``select_related``),
    the hash of the newest entry of its Protokoll ("" for none; None when the item has no
    row yet) and, ``with_people``, the two sides' active members (``people.sides``; None
    without). Read by every tick under the onboarding's row lock, which every new entry is
    sealed under, so the head stays until the tick's entry is chained onto it."""
    organisations = people.organisations(onboarding)
    people_columns, people_join, people_params, order = "", "", list[Any](), ""
    if with_people:
        # A row per member of either side (one row with none): the state's columns repeat.
        table, people_params, order = people.members_of(organisations, "p")
        people_columns = f", p.side, {raw_rows.columns(User, 'p')}"
        people_join = f" LEFT OUTER JOIN {table} ON 1 = 1"
    sql = (
        f"SELECT {raw_rows.columns(ItemState, 's')}, {raw_rows.columns(User, 'u')}, "  # noqa: S608
        # Not correlated with s: planned as the head's own look-up (``audit_chain``).
        f"(SELECT a.entry_hash FROM {raw_rows.table(AuditEvent)} a "
        f"WHERE a.onboarding_id = %s ORDER BY a.id DESC LIMIT 1){people_columns} "
        f"FROM {raw_rows.table(ItemState)} s LEFT OUTER JOIN {raw_rows.table(User)} u "
        f"ON u.id = s.assignee_id{people_join} WHERE s.onboarding_id = %s AND s.key = %s"
    )
    params = [onboarding.pk, *people_params, onboarding.pk, key]
    if with_people:
        sql += f" ORDER BY {order}"  # as ``people.sides`` orders them
        rows = raw_rows.fetch_all(sql, params)
    else:
        one = raw_rows.fetch_one(sql, params)
        rows = [one] if one is not None else []
    if not rows:
        return None, None, None
    row = rows[0]
    found, next_column = raw_rows.leading(ItemState, row)
    assignee, next_column = raw_rows.instance(User, row, next_column)
    raw_rows.relate(found, "assignee", assignee)
    raw_rows.relate(found, "onboarding", onboarding)
    head = row[next_column] or ""
    if not with_people:
        return found, head, None
    members = []
    for each in rows:
        person = raw_rows.instance(User, each, next_column + 2)[0]  # None: nobody on a side
        if person is not None:
            members.append((each[next_column + 1], person))
    return found, head, people.into_sides(onboarding, organisations, members)
