"""The dashboard's counts of the onboardings themselves, in one written-out statement.

Every figure that counts onboardings by their stored summary (``checklist.summary``): all
of them, overdue, sent back, sign-off invalid, overdue or blocked, each step and live,
each stage signed off, and the go-lives planned in each month of the window. One pass over
the onboardings with one ``COUNT(*) FILTER (WHERE …)`` per figure; the onboardings are the
person's selection (scope and filters) as the ORM writes it, read as a subquery that the
database folds into the pass.

The ORM built and compiled the same statement from 26 filtered aggregates for about 5 ms
of CPU per request at any number of onboardings, as much as the database spends counting
10,000; here only the selection is compiled and the conditions are joined as text.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, QuerySet

from checklist.models import Environment, Onboarding
from checklist.state import SIGNOFF_INVALID
from portal import raw_rows

APPROVED, RETURNED = "approved", "returned"
# The summary's fields the conditions read, by the names the subquery gives them: the
# step, the target go-live and each stage's sign-off (named as the stage).
COLUMNS = {
    "step": F("current_step"),
    "go_live": F("target_go_live"),
    **{stage.value: F(f"signoff_{stage.value}") for stage in Environment},
}


def month_after(month: date) -> date:
    """The first day of the month after ``month`` (itself a month's first day)."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _any_stage(state: str) -> tuple[str, list[Any]]:
    """Some stage's sign-off in ``state``."""
    stages = [f"o.{stage.value} = %s" for stage in Environment]
    return f"({' OR '.join(stages)})", [state] * len(stages)


def conditions(today: date, months: list[date]) -> dict[str, tuple[str, list[Any]]]:
    """Each figure's name with its condition on a row ``o`` and the condition's values."""
    day = connection.ops.adapt_datefield_value
    overdue = ("(o.go_live < %s AND o.step IS NOT NULL)", [day(today)])
    returned, invalid = _any_stage(RETURNED), _any_stage(SIGNOFF_INVALID)
    found = {
        "overdue": overdue,
        "returned": returned,
        "invalid": invalid,
        "stuck": (
            f"({overdue[0]} OR {returned[0]} OR {invalid[0]})",
            [*overdue[1], *returned[1], *invalid[1]],
        ),
        "live": ("o.step IS NULL", []),
    }
    for stage in Environment:
        found[f"approved_{stage.value}"] = (f"o.{stage.value} = %s", [APPROVED])
    for number in range(1, 6):
        found[f"step_{number}"] = ("o.step = %s", [number])
    for number, month in enumerate(months):
        found[f"planned_{number}"] = (
            "(o.go_live >= %s AND o.go_live < %s)",
            [day(month), day(month_after(month))],
        )
    return found


def counts(onboardings: QuerySet[Onboarding], today: date, months: list[date]) -> dict[str, int]:
    """``total`` and every figure of ``conditions`` for these onboardings."""
    figures = conditions(today, months)
    try:
        selection, selection_params = (
            onboardings.order_by().values(**COLUMNS).query.sql_with_params()
        )
    except EmptyResultSet:  # nothing can match (a person without an organisation)
        return {"total": 0, **dict.fromkeys(figures, 0)}
    select = ["COUNT(*)"]
    params: list[Any] = []
    for condition, values in figures.values():
        select.append(f"COUNT(*) FILTER (WHERE {condition})")
        params += values
    sql = f"SELECT {', '.join(select)} FROM ({selection}) o"  # noqa: S608
    row = raw_rows.fetch_one(sql, [*params, *selection_params])
    assert row is not None  # noqa: S101 (counting answers one row, also of nothing)
    return dict(zip(("total", *figures), row, strict=True))
