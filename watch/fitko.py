"""FITKO's deadlines after go-live, as dates: what FIT-Connect will do, and when.

The numbers are settings (``watch.conf``); their source is docs/fitko-facts.md, "Deadlines
after go-live".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from watch import conf


@dataclass(frozen=True)
class Deadline:
    day: date
    text: str  # in the active language

    @property
    def sentence(self) -> str:
        return _("On %(date)s %(what)s.") % {
            "date": self.day.strftime("%d.%m.%Y"),
            "what": self.text,
        }


def waiting_deadlines(submitted: date) -> list[Deadline]:
    """What FITKO does about a submission submitted on that day and not picked up."""
    first, *later = conf.reminder_days()
    found = [
        Deadline(
            submitted + timedelta(days=first),
            _("FITKO sends the first reminder e-mail about the submission not picked up"),
        )
    ]
    found += [
        Deadline(
            submitted + timedelta(days=days),
            _("FITKO sends another reminder e-mail about the submission not picked up"),
        )
        for days in later
    ]
    found.append(
        Deadline(
            submitted + timedelta(days=conf.number("FITKO_REJECT_DAYS")),
            _("the Zustelldienst rejects the submission and the sender is told"),
        )
    )
    found.append(
        Deadline(
            submitted + timedelta(days=conf.number("FITKO_DELETE_DAYS")),
            _("the Zustelldienst deletes the submission"),
        )
    )
    return found


def upcoming(deadlines: list[Deadline], today: date) -> list[Deadline]:
    return [d for d in deadlines if d.day >= today]


def expiry_deadline(expires: date) -> Deadline:
    return Deadline(
        expires,
        _(
            "the key's certificate expires: from then on no online service can encrypt "
            "submissions for this Zustellpunkt"
        ),
    )


def outage_deadline(starts: date) -> Deadline:
    return Deadline(
        starts + timedelta(days=conf.number("FITKO_OUTAGE_DEACTIVATE_DAYS")),
        _("the outage lasts longer than FITKO allows: the Zustellpunkt must be deactivated"),
    )
