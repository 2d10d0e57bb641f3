"""7. Callback: the Fachverfahren accepts signed callbacks and rejects forged or stale ones."""

from __future__ import annotations

import json

from fitconnect import crypto
from fitconnect.checks.base import Check, Failed, Outcome, RunContext
from fitconnect.checks.fixes import CALLBACKS, Fix, fix
from fitconnect.constants import CALLBACK_TYPE_NEW_SUBMISSIONS
from fitconnect.http import refuse_private_address
from fitconnect.i18n import gettext as _
from fitconnect.i18n import gettext_lazy


def run(ctx: RunContext) -> Outcome:
    url = ctx.expected.callback_url
    if not url:
        raise Failed(_("No callback URL is recorded; the callback is optional."), status="skipped")
    if not ctx.credentials.callback_secret:
        raise Failed(
            _("Without a callback secret the callback cannot be checked."),
            status="skipped",
            fixes=[
                fix(
                    _(
                        "Enter the callback secret that is set in the destination when you "
                        "start the check."
                    ),
                    CALLBACKS,
                )
            ],
        )
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
    rejected = tuple(range(400, 500))
    cases = [
        (_("validly signed"), now, crypto.callback_signature(secret, now, body), (200,)),
        (_("tampered with"), now, crypto.callback_signature(secret, now, body + b" "), rejected),
        (
            _("stale (older than 5 minutes)"),
            now - 600,
            crypto.callback_signature(secret, now - 600, body),
            rejected,
        ),
    ]
    results = []
    details = []
    for label, timestamp, signature, expected in cases:
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
        ok = response.status in expected
        results.append(response.evidence() | {"case": label, "as_expected": ok})
        if not ok:
            wanted = "200" if expected == (200,) else "4xx"
            details.append(
                _("Callback %(case)s: HTTP %(status)s, expected %(wanted)s.")
                % {"case": label, "status": response.status, "wanted": wanted}
            )
    evidence = {"callbacks": results}
    if details:
        return Outcome(
            "failed",
            _("The callback check of the Fachverfahren does not behave as required."),
            evidence,
            details,
        )
    return Outcome(
        "ok",
        _("The callback is accepted when validly signed; tampered and stale calls are rejected."),
        evidence,
    )


def fixes(ctx: RunContext, outcome: Outcome) -> list[Fix]:
    return [
        fix(
            _(
                "Make the callback reachable over HTTPS and accept only calls with a valid "
                "signature (HMAC) that are at most 5 minutes old."
            ),
            CALLBACKS,
        )
    ]


CHECK = Check("callback", gettext_lazy("Callback"), run, fixes=fixes)
