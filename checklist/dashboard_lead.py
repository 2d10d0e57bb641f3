"""The dashboard's median lead times: from an onboarding's start to each stage's approval.

The lead time of one onboarding and stage runs from the onboarding's creation to the first
approval of that stage; counted are the onboardings whose stage is signed off now, the
same ones the overview lists under "Signed off: <stage>" (the figure links there).
The median is found in SQL without reading the onboardings: one statement counts the
approved onboardings of every stage, then one statement per stage reads the one or two
middle lead times (ordered, ``OFFSET`` to the middle). Four statements, whatever the number
of onboardings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, QuerySet

from checklist.models import Environment, Onboarding, SignOff


@dataclass
class LeadTime:
    """The median days (rounded) from start to a stage's approval, over ``count``
    onboardings; None where no onboarding has the stage signed off."""

    stage: str
    label: str
    count: int
    median_days: int | None
    url: str


def _approvals(ids: QuerySet[Onboarding, Any], stage: str) -> QuerySet[SignOff]:
    return SignOff.objects.filter(
        onboarding__in=ids,
        environment=stage,
        state=SignOff.State.APPROVED,
        decided_at__isnull=False,
        **{f"onboarding__signoff_{stage}": "approved"},
    )


def _days(duration: timedelta | int | float) -> float:
    # Some backends return the difference of two timestamps in microseconds.
    if isinstance(duration, timedelta):
        return duration.total_seconds() / 86400
    return float(duration) / 1_000_000 / 86400


def median_lead_times(
    onboardings: QuerySet[Onboarding], overview_url: Callable[..., str]
) -> list[LeadTime]:
    """Per stage: the median lead time and how many onboardings it is the median of."""
    ids = onboardings.values("pk")
    approved = Q(state=SignOff.State.APPROVED, decided_at__isnull=False)
    counts = SignOff.objects.filter(approved, onboarding__in=ids).aggregate(
        **{
            stage.value: Count(
                "onboarding",
                distinct=True,
                filter=Q(
                    environment=stage.value, **{f"onboarding__signoff_{stage.value}": "approved"}
                ),
            )
            for stage in Environment
        }
    )
    found = []
    for stage in Environment:
        count = counts[stage.value]
        # Always one statement per stage (also for none approved): a constant number.
        leads = (
            _approvals(ids, stage.value)
            .order_by()
            .values("onboarding")
            .annotate(first=Min("decided_at"))
            .annotate(
                lead=ExpressionWrapper(
                    F("first") - F("onboarding__created_at"), output_field=DurationField()
                )
            )
            .order_by("lead")
            .values_list("lead", flat=True)
        )
        middle = [_days(lead) for lead in leads[max(count - 1, 0) // 2 : count // 2 + 1]]
        median = round(sum(middle) / len(middle)) if count and middle else None
        found.append(
            LeadTime(
                stage=stage.value,
                label=str(stage.label),
                count=count,
                median_days=median,
                url=overview_url(approved=stage.value),
            )
        )
    return found
