"""The watch's stored summary, for pages of other apps: one small query, no results read."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from checklist.models import Onboarding
from watch.models import State, WatchDestination

# The overview's filter by watch state: its options, and the filter on the stored state.
FILTER_CHOICES = [
    (State.RED.value, _("disrupted")),
    (State.AMBER.value, _("attention")),
    (State.UNREACHABLE.value, _("not reachable")),
    (State.GREEN.value, _("in order")),
]


def filter_by_state(onboardings: QuerySet[Onboarding], state: str) -> QuerySet[Onboarding]:
    """The onboardings whose watched connection is in that state (a join, no subquery)."""
    return onboardings.filter(watch__active=True, watch__state=state)


def state_of(onboarding: Onboarding) -> str:
    """Return the onboarding's watch state, "" while it is not watched."""
    found = (
        WatchDestination.objects.filter(onboarding=onboarding)
        .values_list("state", flat=True)
        .first()
    )
    return found or ""


def counts(onboardings: Any) -> dict[str, int]:
    """Return how many of the onboardings (ids or a query) are watched, by state, and all
    of them as ``total``."""
    rows = (
        WatchDestination.objects.filter(onboarding__in=onboardings, active=True)
        .order_by()
        .values("state")
        .annotate(n=Count("pk"))
    )
    found = {state: 0 for state in State.values}
    for row in rows:
        found[row["state"] or ""] = row["n"]
    found["total"] = sum(found.values())
    return found
