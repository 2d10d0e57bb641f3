"""Due dates of the five steps: proposed backwards from the planned go-live, or set.

Only the dates the authority set are stored (``StepDeadline``); every other step's date is
derived from ``Onboarding.target_go_live`` each time, so it follows a new go-live date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

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


def due_dates(onboarding: Onboarding, stored: Iterable[StepDeadline]) -> dict[int, Due]:
    """Return the due date of every step that has one: set, else proposed from the go-live."""
    dues: dict[int, Due] = {}
    if onboarding.target_go_live is not None:
        for step, day in proposed_dates(onboarding.target_go_live).items():
            dues[step] = Due(step, day, proposed=True)
    for deadline in stored:
        dues[deadline.step] = Due(deadline.step, deadline.due_date, proposed=False)
    return dues
