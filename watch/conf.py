"""The watch's settings, each with its default; a site may override any in its settings.

FITKO's deadlines (docs/fitko-facts.md, "Deadlines after go-live") are settings too: the
portal takes them from FITKO's page on notifications and deletion deadlines, and should
FITKO change them, operations change a number here instead of the code.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

DEFAULTS: dict[str, object] = {
    # How often each watched destination is checked (one cycle).
    "WATCH_INTERVAL": timedelta(hours=1),
    # How many more times a check that found FIT-Connect not reachable is tried within the
    # cycle, and the first pause (doubled each time).
    "WATCH_RETRIES": 2,
    "WATCH_RETRY_BACKOFF": 2.0,
    # After how many cycles in a row "not reachable" counts as disrupted (red).
    "WATCH_UNREACHABLE_CYCLES": 3,
    # Days before a key's certificate expires from which the check is amber, and red.
    "WATCH_EXPIRY_AMBER_DAYS": 30,
    "WATCH_EXPIRY_RED_DAYS": 7,
    # Days a submission may wait for pickup before the check is amber, and red.
    "WATCH_WAITING_AMBER_DAYS": 2,
    "WATCH_WAITING_RED_DAYS": 7,
    # The most waiting submissions whose age is read (one request each) per cycle.
    "WATCH_WAITING_SAMPLE": 20,
    # FITKO's deadlines for submissions not picked up, in days after submission.
    "FITKO_REMINDER_DAYS": (3, 9),
    "FITKO_REJECT_DAYS": 14,
    "FITKO_DELETE_DAYS": 21,
    # An outage longer than this obliges the operator to deactivate the Zustellpunkt.
    "FITKO_OUTAGE_DEACTIVATE_DAYS": 14,
    # How long the daily results are kept.
    "WATCH_KEEP_DAYS": 400,
}


def get(name: str) -> object:
    return getattr(settings, name, DEFAULTS[name])


def number(name: str) -> int:
    value = get(name)
    assert isinstance(value, int)  # noqa: S101 (a setting of the wrong type is a bug)
    return value


def seconds(name: str) -> float:
    value = get(name)
    assert isinstance(value, int | float)  # noqa: S101
    return float(value)


def interval() -> timedelta:
    value = get("WATCH_INTERVAL")
    assert isinstance(value, timedelta)  # noqa: S101
    return value


def reminder_days() -> tuple[int, ...]:
    value = get("FITKO_REMINDER_DAYS")
    assert isinstance(value, tuple | list)  # noqa: S101
    return tuple(int(v) for v in value)
