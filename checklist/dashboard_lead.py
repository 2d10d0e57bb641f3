"""The dashboard's median lead times: from an onboarding's start to each stage's approval.

The lead time of one onboarding and stage runs from the onboarding's creation to the first
approval of that stage; counted are the onboardings whose stage is signed off now, the
same ones the overview lists under "Signed off: <stage>" (the figure links there).
The median is found in SQL without reading the onboardings: one statement ranks each
stage's lead times (a window over the onboardings' first approvals, grouped) and keeps only
the one or two middle ones with the stage's count. One statement, whatever the number of
onboardings (four before: a count, then one per stage, each compiled by the ORM anew).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from checklist.models import Environment, Onboarding, SignOff
from portal import raw_rows


@dataclass
class LeadTime:
    """The median days (rounded) from start to a stage's approval, over ``count``
    onboardings; None where no onboarding has the stage signed off."""

    stage: str
    label: str
    count: int
    median_days: int | None
    url: str


def _days(duration: timedelta | int | float) -> float:
    # Some backends return the difference of two timestamps in microseconds.
    if isinstance(duration, timedelta):
        return duration.total_seconds() / 86400
    return float(duration) / 1_000_000 / 86400


def median_lead_times(
    onboardings: QuerySet[Onboarding], overview_url: Callable[..., str]
) -> list[LeadTime]:
    """Per stage: the median lead time and how many onboardings it is the median of."""
    signed_off_now = reduce(
        or_,
        (
            Q(environment=stage.value, **{f"onboarding__signoff_{stage.value}": "approved"})
            for stage in Environment
        ),
    )
    by_stage = F("environment")
    ranked = (
        SignOff.objects.filter(
            signed_off_now,
            onboarding__in=onboardings.values("pk"),
            state=SignOff.State.APPROVED,
            decided_at__isnull=False,
        )
        .order_by()
        .values("onboarding", stage=by_stage)
        .annotate(first=Min("decided_at"))
        .annotate(
            lead=ExpressionWrapper(
                F("first") - F("onboarding__created_at"), output_field=DurationField()
            )
        )
        .annotate(
            place=Window(RowNumber(), partition_by=by_stage, order_by=F("lead").asc()),
            total=Window(Count("*"), partition_by=by_stage),
        )
        .values_list("stage", "lead", "total", "place")
    )
    leads: list[tuple[Any, ...]] = []
    try:
        inner, params = ranked.query.sql_with_params()
    except EmptyResultSet:  # no onboardings can match
        inner = ""
    if inner:
        # The one or two middle places of each stage: from (total - 1) / 2 + 1 to
        # total / 2 + 1 (integers: the division rounds down).
        leads = raw_rows.fetch_all(
            f"SELECT m.stage, m.lead, m.total FROM ({inner}) m "  # noqa: S608
            "WHERE m.place BETWEEN (m.total - 1) / 2 + 1 AND m.total / 2 + 1",
            params,
        )
    middles: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    for stage, lead, count in leads:
        middles.setdefault(stage, []).append(_days(lead))
        counts[stage] = count
    found = []
    for stage in Environment:
        middle = middles.get(stage.value, [])
        found.append(
            LeadTime(
                stage=stage.value,
                label=str(stage.label),
                count=counts.get(stage.value, 0),
                median_days=round(sum(middle) / len(middle)) if middle else None,
                url=overview_url(approved=stage.value),
            )
        )
    return found
