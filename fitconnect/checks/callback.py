"""7. Callback: the Fachverfahren accepts signed callbacks and ignores forged or stale ones.

FITKO: a valid callback is answered with a 2xx status ("z.B. 200 OK oder 202 Accepted",
docs …/details/callbacks/); callbacks with an invalid HMAC "MÜSSEN von API-Clients ignoriert
werden" and timestamps older than 5 minutes are rejected, with no status code prescribed
(docs commit 647da0a5). So a 4xx for a forged call shows it was refused; a 2xx is allowed,
but whether it was ignored or processed cannot be seen from outside, and the result says so.
"""

from __future__ import annotations

import json
from typing import Any

from fitconnect import crypto
from fitconnect.checks.base import Check, CheckStatus, Failed, Outcome, RunContext
from fitconnect.checks.fixes import CALLBACKS, Fix, fix
from fitconnect.constants import CALLBACK_TYPE_NEW_SUBMISSIONS
from fitconnect.http import refuse_private_address
from fitconnect.i18n import gettext_lazy, gettext_noop
from fitconnect.messages import Text, define

NO_URL = define(
    "callback.no_url", gettext_noop("No callback URL is recorded; the callback is optional.")
)
NO_SECRET = define(
    "callback.no_secret", gettext_noop("Without a callback secret the callback cannot be checked.")
)
FIX_SECRET = define(
    "callback.fix_secret",
    gettext_noop(
        "Enter the callback secret that is set in the destination when you start the check."
    ),
)
VALID = define("callback.valid", gettext_noop("validly signed"))
TAMPERED = define("callback.tampered", gettext_noop("tampered with"))
STALE = define("callback.stale", gettext_noop("stale (older than 5 minutes)"))
NOT_ACCEPTED = define(
    "callback.not_accepted",
    gettext_noop(
        "Callback %(case)s: HTTP %(status)s; FIT-Connect expects a 2xx status such as 200 OK or "
        "202 Accepted."
    ),
)
REFUSED = define(
    "callback.refused", gettext_noop("Callback %(case)s: refused with HTTP %(status)s.")
)
ANSWERED_2XX = define(
    "callback.answered_2xx",
    gettext_noop(
        "Callback %(case)s: answered with HTTP %(status)s. FITKO requires such calls to be "
        "ignored; whether the Fachverfahren ignored or processed it cannot be seen from "
        "outside – its log shows it."
    ),
)
ODD_ANSWER = define(
    "callback.odd_answer",
    gettext_noop(
        "Callback %(case)s: answered with HTTP %(status)s. FITKO requires such calls to be "
        "ignored; this status suggests the Fachverfahren tried to process it."
    ),
)
FAILED = define(
    "callback.failed",
    gettext_noop(
        "The Fachverfahren does not answer a validly signed callback as FIT-Connect expects."
    ),
)
NOTES = define(
    "callback.warning",
    gettext_noop(
        "The valid callback is accepted, but a tampered or stale call was answered unusually."
    ),
)
OK = define(
    "callback.ok",
    gettext_noop(
        "The valid callback is answered with a 2xx status; tampered and stale calls are refused "
        "or ignored."
    ),
)
FIX = define(
    "callback.fix",
    gettext_noop(
        "Make the callback reachable over HTTPS, answer valid calls with a 2xx status and "
        "ignore calls without a valid signature (HMAC) or older than 5 minutes."
    ),
)

Verdict = tuple[CheckStatus, Text | None]


def _valid_verdict(case: Text, status: int) -> Verdict:
    if 200 <= status < 300:
        return "ok", None
    return "failed", NOT_ACCEPTED(case=case, status=status)


def _forged_verdict(case: Text, status: int) -> Verdict:
    if 400 <= status < 500:
        return "ok", REFUSED(case=case, status=status)
    if 200 <= status < 300:
        return "ok", ANSWERED_2XX(case=case, status=status)
    return "warning", ODD_ANSWER(case=case, status=status)


def run(ctx: RunContext) -> Outcome:
    url = ctx.expected.callback_url
    if not url:
        raise Failed(NO_URL(), status="skipped")
    if not ctx.credentials.callback_secret:
        raise Failed(NO_SECRET(), status="skipped", fixes=[fix(FIX_SECRET(), CALLBACKS)])
    refuse_private_address(url, allow_private=ctx.target.allow_private_addresses)
    body = json.dumps(
        {
            "type": CALLBACK_TYPE_NEW_SUBMISSIONS,
            "submissionIds": ["00000000-0000-4000-8000-000000000000"],
            "submissions": [
                {
                    "destinationId": ctx.expected.destination_id,
                    "submissionId": "00000000-0000-4000-8000-000000000000",
                    "caseId": "00000000-0000-4000-8000-000000000001",
                }
            ],
        }
    ).encode()
    secret = ctx.credentials.callback_secret
    now = int(ctx.clock().timestamp())
    cases = [
        (VALID(), now, crypto.callback_signature(secret, now, body), _valid_verdict),
        (
            TAMPERED(),
            now,
            crypto.callback_signature(secret, now, body + b" "),
            _forged_verdict,
        ),
        (
            STALE(),
            now - 600,
            crypto.callback_signature(secret, now - 600, body),
            _forged_verdict,
        ),
    ]
    results: list[dict[str, Any]] = []
    details: list[Text | str] = []
    statuses: list[CheckStatus] = []
    for case, timestamp, signature, judge in cases:
        response = ctx.http.request(
            "POST",
            url,
            headers={
                "content-type": "application/json",
                "callback-authentication": signature,
                "callback-timestamp": str(timestamp),
            },
            content=body,
            expect=tuple(range(100, 600)),
        )
        verdict, note = judge(case, response.status)
        statuses.append(verdict)
        results.append(response.evidence() | {"case": case, "as_expected": verdict == "ok"})
        if note is not None:
            details.append(note)
    evidence = {"callbacks": results}
    if "failed" in statuses:
        return Outcome("failed", FAILED(), evidence, details)
    if "warning" in statuses:
        return Outcome("warning", NOTES(), evidence, details)
    return Outcome("ok", OK(), evidence, details)


def fixes(ctx: RunContext, outcome: Outcome) -> list[Fix]:
    return [fix(FIX(), CALLBACKS)]


CHECK = Check("callback", gettext_lazy("Callback"), run, fixes=fixes)
