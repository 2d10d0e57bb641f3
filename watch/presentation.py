"""The Betrieb page's content: per check its state, timeline and fixes; FITKO's next steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from checklist.environments import environment_label
from checklist.models import Onboarding
from fitconnect.messages import render
from watch import fitko
from watch.checks import WATCH_CHECKS
from watch.models import Outage, WatchDestination, WatchResult
from watch.words import check_name, state_word

TIMELINE_DAYS = 30


@dataclass
class Day:
    day: date
    state: str  # "" for a day without a result

    @property
    def word(self) -> str:
        return state_word(self.state)


@dataclass
class CheckRow:
    key: str
    name: str
    state: str = ""
    checked_at: datetime | None = None
    message: str = ""
    details: list[str] = field(default_factory=list)
    fixes: list[dict[str, str]] = field(default_factory=list)
    days: list[Day] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def word(self) -> str:
        return state_word(self.state)


@dataclass
class OutageRow:
    outage: Outage
    too_long: bool
    deadline: fitko.Deadline


@dataclass
class Page:
    watched: WatchDestination | None
    environment: str
    checks: list[CheckRow]
    deadlines: list[fitko.Deadline]
    outages: list[OutageRow]
    timeline_days: list[date]

    @property
    def word(self) -> str:
        return state_word(self.watched.state if self.watched else "")


def _fix(entry: dict[str, Any]) -> dict[str, str]:
    return {"text": render(entry.get("text")), "url": str(entry.get("url", ""))}


def build(onboarding: Onboarding, today: date | None = None) -> Page:
    today = today or timezone.localdate()
    watched = WatchDestination.objects.filter(onboarding=onboarding).first()
    first = today - timedelta(days=TIMELINE_DAYS - 1)
    span = [first + timedelta(days=n) for n in range(TIMELINE_DAYS)]
    rows = {key: CheckRow(key, check_name(key)) for key in WATCH_CHECKS}
    results: list[WatchResult] = []
    if watched is not None:
        results = list(watched.results.filter(day__gte=first).order_by("day"))
    by_day: dict[str, dict[date, str]] = {key: {} for key in rows}
    for result in results:
        row = rows.get(result.check_key)
        if row is None:
            continue
        by_day[result.check_key][result.day] = result.state
        row.state, row.checked_at = result.state, result.checked_at
        row.message = render(result.message)
        row.details = [render(d) for d in result.details]
        row.fixes = [_fix(f) for f in result.values.get("fixes", [])]
        row.values = result.values
    for key, row in rows.items():
        row.days = [Day(d, by_day[key].get(d, "")) for d in span]
    deadlines = _deadlines(rows, today)
    outages = [
        OutageRow(o, _too_long(o, today), fitko.outage_deadline(o.starts_on))
        for o in onboarding.outages.all()
    ]
    label = environment_label(watched.environment, None) if watched else ""
    return Page(watched, label, list(rows.values()), deadlines, outages, span)


def _too_long(outage: Outage, today: date) -> bool:
    end = outage.ends_on or today
    return fitko.outage_deadline(outage.starts_on).day <= end


def _deadlines(rows: dict[str, CheckRow], today: date) -> list[fitko.Deadline]:
    found: list[fitko.Deadline] = []
    oldest = rows["waiting"].values.get("oldest")
    if isinstance(oldest, str) and rows["waiting"].values.get("count"):
        submitted = timezone.localtime(datetime.fromisoformat(oldest)).date()
        found += fitko.upcoming(fitko.waiting_deadlines(submitted), today)
    for key in rows["keys"].values.get("keys", []):
        days, expires = key.get("days"), key.get("expires")
        if isinstance(days, int) and days <= 30 and isinstance(expires, str):
            found.append(fitko.expiry_deadline(date.fromisoformat(expires)))
    return sorted(found, key=lambda d: d.day)
