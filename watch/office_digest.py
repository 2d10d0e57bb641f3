"""The coordination offices' daily watch digest: the connections of their area needing care.

Once a day (from ``NOTIFICATION_DIGEST_HOUR``) every member of a coordination office gets
one notification listing the watched connections of the office's area that are disrupted or
need attention: the onboarding, the checks concerned, since when, and what FITKO does next on
which day. Nothing is sent while all is in order. The dedupe key (office and day) makes a
second run, or a second worker, send nothing again; the person's preference for the kind
decides whether it is e-mailed at once, collected into their digest, or only shown.
The parameters hold names, check keys and dates only, rendered in the reader's language by
``watch.words``.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from checklist.coordination import authorities_q
from checklist.models import Onboarding
from notifications.models import Kind
from notifications.services import notify
from portal.models import Organisation, User
from watch.models import State, WatchDestination, WatchResult

NEEDS_CARE = (State.RED, State.AMBER)


def send_office_digests(now: datetime) -> int:
    """Send each coordination office's members today's digest, if anything needs care."""
    local = timezone.localtime(now)
    if local.hour < settings.NOTIFICATION_DIGEST_HOUR:
        return 0
    today = local.date()
    sent = 0
    for office in Organisation.objects.filter(kind=Organisation.Kind.COORDINATION):
        rows = _rows(office)
        if not rows:
            continue
        members = User.objects.filter(memberships__organisation=office, is_active=True)
        sent += len(
            notify(
                members,
                Kind.WATCH_DIGEST,
                onboarding=None,
                url=reverse("overview"),
                params={"office": office.name, "day": today.isoformat(), "rows": rows},
                dedupe_key=f"watch_digest:{office.pk}:{today.isoformat()}",
            )
        )
    return sent


def _rows(office: Organisation) -> list[dict[str, object]]:
    """The area's watched connections needing care, worst first (two queries)."""
    area = Onboarding.objects.filter(authorities_q(office, "authority__"))
    destinations = list(
        WatchDestination.objects.filter(active=True, state__in=NEEDS_CARE, onboarding__in=area)
        .select_related("onboarding", "onboarding__authority")
        .order_by("-state", "state_since", "pk")  # "red" sorts after "amber"
    )
    if not destinations:
        return []
    newest: dict[tuple[int, str], WatchResult] = {}
    for result in WatchResult.objects.filter(destination__in=destinations).order_by("day", "pk"):
        newest[(result.destination_id, result.check_key)] = result
    rows = []
    for destination in destinations:
        results = [r for (pk, _check), r in newest.items() if pk == destination.pk]
        rows.append(_row(destination, results))
    return rows


def _row(destination: WatchDestination, results: list[WatchResult]) -> dict[str, object]:
    onboarding = destination.onboarding
    since = destination.state_since
    row: dict[str, object] = {
        "onboarding": onboarding.name,
        "authority": onboarding.authority.name,
        "state": destination.state,
        "since": timezone.localtime(since).date().isoformat() if since else "",
        "checks": [r.check_key for r in results if r.state in NEEDS_CARE],
    }
    for result in results:
        if result.check_key == "waiting" and result.values.get("count"):
            oldest = result.values.get("oldest")
            if isinstance(oldest, str):
                submitted = timezone.localtime(datetime.fromisoformat(oldest)).date()
                row["submitted"] = submitted.isoformat()
        if result.check_key == "keys":
            soon = [
                str(key["expires"])
                for key in result.values.get("keys", [])
                if isinstance(key.get("days"), int) and key["days"] <= 30 and key.get("expires")
            ]
            if soon:
                row["expires"] = min(soon)
    return row
