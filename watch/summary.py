"""The watch's stored summary, for pages of other apps: one small query, no results read."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from checklist.models import Onboarding
from watch.models import State, WatchDestination


def state_of(onboarding: Onboarding) -> str:
    """Return the onboarding's watch state, "" while it is not watched."""
    found = (
        WatchDestination.objects.filter(onboarding=onboarding)
        .values_list("state", flat=True)
        .first()
    )
    return found or ""


def counts(onboardings: Any) -> dict[str, int]:
    """Return how many of the onboardings (ids or a query) are watched, by state."""
    rows = (
        WatchDestination.objects.filter(onboarding__in=onboardings, active=True)
        .order_by()
        .values("state")
        .annotate(n=Count("pk"))
    )
    found = {state: 0 for state in State.values}
    for row in rows:
        found[row["state"] or ""] = row["n"]
    return found
