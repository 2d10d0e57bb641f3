"""1. Access token: the Subscriber client gets a JWT with the receiving scope."""

from __future__ import annotations

import base64
import json
from typing import Any

from fitconnect.checks.base import Check, Failed, Outcome, RunContext
from fitconnect.checks.fixes import AUTHENTICATION, SUBSCRIBER_SCOPES, Fix, fix
from fitconnect.constants import LEGACY_RECEIVE_SCOPE_PREFIX, RECEIVE_SCOPE
from fitconnect.i18n import gettext_lazy, gettext_noop
from fitconnect.messages import define

# "Da ein Token max. 30 Minuten gültig ist" (docs …/getting-started/authentication/).
MAX_TOKEN_LIFETIME = 1800

NOT_A_JWT = define(
    "token.not_a_jwt",
    gettext_noop("The access_token is not a JWT (expected three parts separated by dots)."),
)
CLAIMS_UNREADABLE = define(
    "token.claims_unreadable", gettext_noop("The claims in the access_token cannot be read.")
)
CLAIMS_NOT_OBJECT = define(
    "token.claims_not_object", gettext_noop("The claims in the access_token are not a JSON object.")
)
NO_SCOPE = define(
    "token.no_scope",
    gettext_noop(
        "The token contains no scope for receiving submissions (%(scope)s or "
        "subscribe:destination:…). Is the client of type Subscriber and assigned to a "
        "destination?"
    ),
)
ASSIGN_CLIENT = define(
    "token.fix_assign",
    gettext_noop(
        "Assign the Subscriber client to the destination in the Self-Service-Portal; then its "
        "tokens carry the receiving scope."
    ),
)
ODD_LIFETIME = define(
    "token.odd_lifetime",
    gettext_noop(
        "Token received, but its validity of %(lifetime)s s is not between 1 and %(maximum)s s."
    ),
)
CHECK_TOKEN_URL = define(
    "token.fix_url_lifetime",
    gettext_noop(
        "Check that the token URL of this environment is FIT-Connect's: its tokens are valid "
        "for at most 30 minutes."
    ),
)
OK = define(
    "token.ok",
    gettext_noop("Token received (JWT, valid for %(lifetime)s s, receiving scope present)."),
)
CHECK_TOKEN_SERVICE = define(
    "token.fix_url",
    gettext_noop(
        "Check the token URL of this environment and how FIT-Connect issues access tokens."
    ),
)


def decode_jwt_claims(token: str) -> dict[str, Any]:
    """Return the claims of a JWT without verifying it (the portal only inspects them)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise Failed(NOT_A_JWT(), conclusive=False)
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        raise Failed(CLAIMS_UNREADABLE(), conclusive=False) from None
    if not isinstance(claims, dict):
        raise Failed(CLAIMS_NOT_OBJECT(), conclusive=False)
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
            NO_SCOPE(scope=RECEIVE_SCOPE),
            evidence=evidence,
            fixes=[fix(ASSIGN_CLIENT(), SUBSCRIBER_SCOPES)],
        )
    if lifetime <= 0 or lifetime > MAX_TOKEN_LIFETIME:
        return Outcome(
            "warning",
            ODD_LIFETIME(lifetime=lifetime, maximum=MAX_TOKEN_LIFETIME),
            evidence,
            fixes=[fix(CHECK_TOKEN_URL(), AUTHENTICATION)],
        )
    return Outcome("ok", OK(lifetime=lifetime), evidence)


def fixes(ctx: RunContext, outcome: Outcome) -> list[Fix]:
    return [fix(CHECK_TOKEN_SERVICE(), AUTHENTICATION)]


CHECK = Check("token", gettext_lazy("Access token (OAuth)"), run, fixes=fixes)
