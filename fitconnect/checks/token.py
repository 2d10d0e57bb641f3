"""1. Access token: the Subscriber client gets a JWT with the receiving scope."""

from __future__ import annotations

import base64
import json
from typing import Any

from fitconnect.checks.base import Check, Failed, Outcome, RunContext
from fitconnect.checks.fixes import AUTHENTICATION, SUBSCRIBER_SCOPES, Fix, fix
from fitconnect.constants import LEGACY_RECEIVE_SCOPE_PREFIX, RECEIVE_SCOPE
from fitconnect.i18n import gettext as _
from fitconnect.i18n import gettext_lazy

MAX_TOKEN_LIFETIME = 1800


def decode_jwt_claims(token: str) -> dict[str, Any]:
    """Return the claims of a JWT without verifying it (the portal only inspects them)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise Failed(_("The access_token is not a JWT (expected three parts separated by dots)."))
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        raise Failed(_("The claims in the access_token cannot be read.")) from None
    if not isinstance(claims, dict):
        raise Failed(_("The claims in the access_token are not a JSON object."))
    return claims


def run(ctx: RunContext) -> Outcome:
    token, evidence = ctx.subscriber_token()
    claims = decode_jwt_claims(token)
    if isinstance(claims.get("exp"), int) and isinstance(claims.get("iat"), int):
        lifetime = claims["exp"] - claims["iat"]
    else:
        lifetime = int(evidence.get("expires_in") or 0)
    scopes = str(claims.get("scope", "")).split()
    evidence = evidence | {"lifetime_s": lifetime, "scopes": scopes}
    receiving = [
        s for s in scopes if s == RECEIVE_SCOPE or s.startswith(LEGACY_RECEIVE_SCOPE_PREFIX)
    ]
    if not receiving:
        raise Failed(
            _(
                "The token contains no scope for receiving submissions (%(scope)s or "
                "subscribe:destination:…). Is the client of type Subscriber and assigned "
                "to a destination?"
            )
            % {"scope": RECEIVE_SCOPE},
            evidence=evidence,
            fixes=[
                fix(
                    _(
                        "Assign the Subscriber client to the destination in the "
                        "Self-Service-Portal; then its tokens carry the receiving scope."
                    ),
                    SUBSCRIBER_SCOPES,
                )
            ],
        )
    if lifetime <= 0 or lifetime > MAX_TOKEN_LIFETIME:
        return Outcome(
            "warning",
            _(
                "Token received, but its validity of %(lifetime)s s is not between 1 and "
                "%(maximum)s s."
            )
            % {"lifetime": lifetime, "maximum": MAX_TOKEN_LIFETIME},
            evidence,
            fixes=[
                fix(
                    _(
                        "Check that the token URL of this environment is FIT-Connect's: its "
                        "tokens are valid for at most 30 minutes."
                    ),
                    AUTHENTICATION,
                )
            ],
        )
    return Outcome(
        "ok",
        _("Token received (JWT, valid for %(lifetime)s s, receiving scope present).")
        % {"lifetime": lifetime},
        evidence,
    )


def fixes(ctx: RunContext, outcome: Outcome) -> list[Fix]:
    return [
        fix(
            _("Check the token URL of this environment and how FIT-Connect issues access tokens."),
            AUTHENTICATION,
        )
    ]


CHECK = Check("token", gettext_lazy("Access token (OAuth)"), run, fixes=fixes)
