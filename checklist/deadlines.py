"""Due dates of the five steps: proposed backwards from the planned go-live, or set.

Only the dates the authority set are stored (``StepDeadline``); every other step's date is
derived from ``Onboarding.target_go_live`` each time, so it follows a new go-live date.
The set dates are also kept on the onboarding (``Onboarding.explicit_due_dates``), stored by
``store`` in the transaction of every change, so that pages read them without a query;
``recompute`` derives them from the rows, and a test compares the two.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from checklist.models import Onboarding, StepDeadline

# How many weeks before the go-live date each step should be done: FITKO's guide plans a
# few weeks per stage, production approval last.
WEEKS_BEFORE_GO_LIVE = {1: 15, 2: 11, 3: 7, 4: 3, 5: 0}
# A step due within this many days counts as "due soon".
DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class Due:
    step: int
    date: dt.date
    proposed: bool  # derived from the go-live date, not set by the authority

    def overdue(self, today: dt.date) -> bool:
        return self.date < today

    def due_soon(self, today: dt.date) -> bool:
        return today <= self.date <= today + timedelta(days=DUE_SOON_DAYS)


def proposed_dates(go_live: dt.date) -> dict[int, dt.date]:
    """Return each step's proposed due date for a go-live date."""
    return {step: go_live - timedelta(weeks=weeks) for step, weeks in WEEKS_BEFORE_GO_LIVE.items()}


def explicit(onboarding: Onboarding) -> dict[int, dt.date]:
    """Return the due dates the authority set, by step (as kept on the onboarding)."""
    return {
        int(step): dt.date.fromisoformat(day)
        for step, day in sorted(onboarding.explicit_due_dates.items())
    }


def due_dates(onboarding: Onboarding) -> dict[int, Due]:
    """Return the due date of every step that has one: set, else proposed from the go-live."""
    dues: dict[int, Due] = {}
    if onboarding.target_go_live is not None:
        for step, day in proposed_dates(onboarding.target_go_live).items():
            dues[step] = Due(step, day, proposed=True)
    for step, day in explicit(onboarding).items():
        dues[step] = Due(step, day, proposed=False)
    return dues


def recompute(onboarding: Onboarding) -> dict[str, str]:
    """Return the set due dates as the onboarding keeps them, derived from the rows."""
    rows = StepDeadline.objects.filter(onboarding_id=onboarding.pk).order_by("step")
    return {str(row.step): row.due_date.isoformat() for row in rows}


def stored(onboarding: Onboarding) -> dict[str, str]:
    """Return the set due dates as stored on the onboarding in the database."""
    values: dict[str, str] = (
        Onboarding.objects.filter(pk=onboarding.pk)
        .values_list("explicit_due_dates", flat=True)
        .get()
    )
    return values


def store(onboarding: Onboarding) -> None:
    """Keep the set due dates on the onboarding as the rows say.

    Call it inside the change's transaction, after ``Onboarding.lock()``.
    """
    values = recompute(onboarding)
    Onboarding.objects.filter(pk=onboarding.pk).update(explicit_due_dates=values)
    onboarding.explicit_due_dates = values


def refresh_all() -> int:
    """Store every onboarding's set due dates from the rows; return how many changed.

    For data changed outside the services.
    """
    changed = 0
    for pk in Onboarding.objects.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            onboarding = Onboarding.objects.select_for_update().get(pk=pk)
            before = onboarding.explicit_due_dates
            store(onboarding)
            changed += before != onboarding.explicit_due_dates
    return changed
