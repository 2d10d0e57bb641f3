"""The watch in words: check names, notification texts and FITKO's next step."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fitconnect.checks import CHECK_TITLES, WATCH_ONLY
from watch import fitko

if TYPE_CHECKING:
    from notifications.models import Notification

WATCH_KINDS = {"watch_red", "watch_expiring", "watch_waiting", "watch_outage", "watch_digest"}

CHECK_NAMES = {
    **CHECK_TITLES,
    **{name: check.title for name, check in WATCH_ONLY.items()},
}
STATE_WORDS = {
    "green": gettext_lazy("in order"),
    "amber": gettext_lazy("attention"),
    "red": gettext_lazy("disrupted"),
    "unreachable": gettext_lazy("not reachable"),
    "": gettext_lazy("not checked yet"),
}


def check_name(key: str) -> str:
    title = CHECK_NAMES.get(key)
    return str(title) if title is not None else _("Check")


def state_word(state: str) -> str:
    return str(STATE_WORDS.get(state, STATE_WORDS[""]))


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def watch_text(notification: Notification) -> tuple[str, str]:
    """Return the title and body of a watch notification in the active language."""
    p = notification.params
    onboarding = notification.onboarding.name if notification.onboarding else ""
    kind = notification.kind
    day = _day(p.get("date"))
    when = day.strftime("%d.%m.%Y") if day else ""
    if kind == "watch_red":
        checks = ", ".join(check_name(str(c)) for c in p.get("checks", []))
        title = _("%(onboarding)s: the production connection is disrupted") % {
            "onboarding": onboarding
        }
        body = _(
            "Since %(date)s the production watch finds a fault: %(checks)s. Citizens' "
            "applications may not arrive. The Betrieb page says what was found and how to "
            "fix it."
        ) % {"date": when, "checks": checks}
        return title, body
    if kind == "watch_expiring":
        title = _("%(onboarding)s: a production key expires on %(date)s") % {
            "onboarding": onboarding,
            "date": when,
        }
        body = _(
            "The certificate of the key %(kid)s expires in %(days)s days. %(next)s Create a "
            "new key in time and record it in the Self-Service-Portal."
        ) % {
            "kid": p.get("kid", ""),
            "days": p.get("days", ""),
            "next": fitko.expiry_deadline(day).sentence if day else "",
        }
        return title, body
    if kind == "watch_digest":
        return _office_digest(p)
    if kind == "watch_outage":
        title = _("%(onboarding)s: deactivate the Zustellpunkt during the outage") % {
            "onboarding": onboarding
        }
        body = _(
            "The outage recorded since %(date)s lasts longer than FITKO allows. %(next)s "
            "Deactivate the Zustellpunkt in the Self-Service-Portal and confirm it on the "
            "Betrieb page."
        ) % {"date": when, "next": fitko.outage_deadline(day).sentence if day else ""}
        return title, body
    title = _("%(onboarding)s: submissions have been waiting for %(days)s days") % {
        "onboarding": onboarding,
        "days": p.get("days", ""),
    }
    upcoming = fitko.upcoming(fitko.waiting_deadlines(day), timezone.localdate()) if day else []
    following = upcoming[0].sentence if upcoming else ""
    body = _(
        "%(count)s submission(s) wait for pickup by the Fachverfahren, the oldest since "
        "%(date)s. %(next)s Please check that the Fachverfahren picks up its submissions."
    ) % {"count": p.get("count", ""), "date": when, "next": following}
    return title, body


def next_step(row: dict[str, object], today: date) -> str:
    """What FITKO does next for a digest row, as a sentence ("" when nothing is due)."""
    found: list[fitko.Deadline] = []
    submitted, expires = _day(row.get("submitted")), _day(row.get("expires"))
    if submitted:
        found += fitko.waiting_deadlines(submitted)
    if expires:
        found.append(fitko.expiry_deadline(expires))
    upcoming = sorted(fitko.upcoming(found, today), key=lambda d: d.day)
    return upcoming[0].sentence if upcoming else ""


def _office_digest(p: dict[str, Any]) -> tuple[str, str]:
    """The coordination office's daily digest: one sentence per connection needing care."""
    rows = [row for row in p.get("rows", []) if isinstance(row, dict)]
    title = _("Production watch: %(count)s connection(s) of %(office)s need care") % {
        "count": len(rows),
        "office": p.get("office", ""),
    }
    today = timezone.localdate()
    sentences = []
    for row in rows:
        since = _day(row.get("since"))
        checks = ", ".join(check_name(str(c)) for c in row.get("checks", []))
        sentence = _("%(onboarding)s (%(authority)s): %(state)s since %(date)s (%(checks)s).") % {
            "onboarding": row.get("onboarding", ""),
            "authority": row.get("authority", ""),
            "state": state_word(str(row.get("state", ""))),
            "date": since.strftime("%d.%m.%Y") if since else "",
            "checks": checks or _("see the Betrieb page"),
        }
        following = next_step(row, today)
        sentences.append(f"{sentence} {following}".strip())
    return title, " ".join(sentences)
