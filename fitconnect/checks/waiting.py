"""Submissions waiting for pickup: how many, and since when (read-only; the watch's check).

Lists the destination's submissions that are ready for pickup (``GET /submissions``) and
reads the age of the first ones from their case's event log: the Zustelldienst's
``submit-submission`` event carries the time it was submitted (``iat``). Only ids and
dates are kept; no submission is fetched, so no content is ever read. Not one of the seven
checks of "Verbindung prüfen": the production watch runs it with the subscriber's stored
credentials (``watch.checks``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fitconnect import crypto
from fitconnect.checks.base import SUBSCRIBER_CLIENT, Check, Failed, Outcome, RunContext
from fitconnect.checks.fixes import Fix, missing_client
from fitconnect.constants import EVENT_PREFIX
from fitconnect.i18n import gettext_lazy, gettext_noop
from fitconnect.messages import define

NO_CREDENTIALS = define(
    "waiting.no_credentials",
    gettext_noop(
        "No subscriber credentials are stored for this environment, so waiting submissions "
        "are not counted."
    ),
)
THE_LIST = define("what.submission_list", gettext_noop("The list of submissions"))
THE_EVENTS = define("what.event_log", gettext_noop("The event log"))
NONE_WAITING = define("waiting.none", gettext_noop("No submission is waiting for pickup."))
WAITING = define(
    "waiting.some",
    gettext_noop("%(count)d submission(s) waiting for pickup, the oldest since %(date)s."),
)
WAITING_UNDATED = define(
    "waiting.undated",
    gettext_noop("%(count)d submission(s) waiting for pickup; their age could not be read."),
)
SUBMIT_EVENT = EVENT_PREFIX + "submit-submission"
# The most submissions listed in one request (FIT-Connect's maximum page size).
PAGE = 500


def _submitted_at(ctx: RunContext, headers: dict[str, str], case_id: str, sub: str) -> Any:
    """Return when the submission was submitted, from its case's event log, or None."""
    response = ctx.http.request("GET", ctx.target.api(f"/cases/{case_id}/events"), headers=headers)
    for token in response.json_object(THE_EVENTS()).get("eventLog") or []:
        # The date only, for the watch's timeline; the signature is not what is judged here.
        payload = crypto.unverified_payload(str(token))
        if payload.get("sub") == f"submission:{sub}" and SUBMIT_EVENT in (
            payload.get("events") or {}
        ):
            iat = payload.get("iat")
            if isinstance(iat, int | float):
                return datetime.fromtimestamp(iat, UTC)
    return None


def run(ctx: RunContext) -> Outcome:
    sample = int(ctx.cache.get("waiting_sample", 20))
    own = ctx.credentials
    if not own.subscriber_id or not own.subscriber_secret:
        raise Failed(NO_CREDENTIALS(), status="skipped")
    if not ctx.expected.destination_id:
        ctx.destination()  # raises the usual "no destination ID" skip
    token, _ = ctx.subscriber_token()
    headers = {"Authorization": f"Bearer {token}"}
    response = ctx.http.request(
        "GET",
        ctx.target.api(f"/submissions?destinationId={ctx.expected.destination_id}&limit={PAGE}"),
        headers=headers,
    )
    body = response.json_object(THE_LIST())
    listed = [s for s in body.get("submissions") or [] if isinstance(s, dict)]
    total = body.get("totalCount")
    count = total if isinstance(total, int) else len(listed)
    waiting: list[dict[str, Any]] = []
    for entry in listed[:sample]:
        sub, case = str(entry.get("submissionId", "")), str(entry.get("caseId", ""))
        if not sub or not case:
            continue
        when = _submitted_at(ctx, headers, case, sub)
        waiting.append({"submission_id": sub, "submitted_at": when.isoformat() if when else None})
    dated = sorted(w["submitted_at"] for w in waiting if w["submitted_at"])
    evidence: dict[str, Any] = {"count": count, "waiting": waiting}
    if count == 0:
        return Outcome("ok", NONE_WAITING(), evidence)
    if not dated:
        return Outcome("ok", WAITING_UNDATED(count=count), evidence)
    oldest = datetime.fromisoformat(dated[0])
    now = ctx.clock()
    evidence |= {"oldest": dated[0], "oldest_days": (now - oldest).days}
    return Outcome("ok", WAITING(count=count, date=f"{oldest:%d.%m.%Y}"), evidence)


def fixes(ctx: RunContext, outcome: Outcome) -> list[Fix]:
    if outcome.status == "skipped":
        return [missing_client(SUBSCRIBER_CLIENT())]
    return []


CHECK = Check("waiting", gettext_lazy("Waiting submissions"), run, fixes=fixes)
