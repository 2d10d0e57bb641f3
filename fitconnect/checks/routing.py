"""5. Routing: the Routing API finds the destination for every service, correctly signed.

FITKO enters routes of the test environment by hand (docs …/sending/get-destination/), and
the reference stage has no routing of its own but uses the test routing (docs/fitko-facts.md §1,
3rd-party only). So there a destination that is not found yet is a warning with the way to
have it entered; in production, where routes come from the editorial systems, a failure.

Each route's ``destinationSignature`` is verified against the SSP's JWKS. Where no JWKS address
is set up (FITKO publishes none for stage and production, docs/fitko-facts.md §1), the JWKS is
derived from the signature's ``iss``, the SSP's base URL, but only for an issuer on FITKO's SSP
hosts (docs/fitko-facts.md §6); otherwise the check says plainly that it was not verified.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fitconnect import crypto
from fitconnect.checks.base import (
    Check,
    CheckStatus,
    ExpectedService,
    Failed,
    Outcome,
    RunContext,
    Target,
    region_matches,
)
from fitconnect.checks.fixes import ROUTING, Fix, contact_support, fix
from fitconnect.constants import LEIKA_KEY_PATTERN, service_identifier
from fitconnect.http import FitConnectError
from fitconnect.i18n import gettext_lazy, gettext_noop
from fitconnect.messages import Text, define

LEIKA_KEY = re.compile(LEIKA_KEY_PATTERN)
# The stages whose routes FITKO's support enters by hand (the reference stage borrows them).
HAND_ENTERED = ("test", "reference")
# FITKO's Self-Service-Portals: the TEST one is https://portal.auth-testing.fit-connect.fitko.dev
# (docs/fitko-facts.md §1), FITKO's example ``iss`` is https://portal.auth-dev.fit-connect.fitko.dev
# (§6, docs MR 219). Only such an issuer may name the JWKS its signature is checked with.
FITKO_SSP_ISSUER = re.compile(r"https://portal\.auth-[a-z0-9-]+\.fit-connect\.fitko\.(?:dev|net)")

OTHER_DESTINATION = define(
    "routing.other_destination", gettext_noop("names a different destination")
)
NOT_THE_SERVICE = define(
    "routing.not_the_service", gettext_noop("does not name the service %(key)s")
)
NOT_THE_REGION = define("routing.not_the_region", gettext_noop("does not name the region %(ars)s"))
FIX_SUPPORT = define(
    "routing.fix_support",
    gettext_noop(
        "Send the destination ID, the addressing information, the ARS and the service key to "
        "the FIT-Connect support (fit-connect-support@fjd.de)."
    ),
)
FIX_EDITORIAL = define(
    "routing.fix_editorial",
    gettext_noop(
        "Have the destination's addressing information recorded for every service and region "
        "in your state's editorial system (FIM module Leistungen)."
    ),
)
NO_ROUTING = define(
    "routing.no_routing_api", gettext_noop("No Routing API is set up for this environment.")
)
SSP_JWKS = define("what.ssp_jwks", gettext_noop("The JWKS of the Self-Service-Portal"))
NO_LEIKA = define(
    "routing.no_leika",
    gettext_noop(
        "No recorded service has a Leistungsschlüssel: the Routing API finds destinations only "
        "by Leistungsschlüssel."
    ),
)
NOT_ROUTABLE = define(
    "routing.not_routable",
    gettext_noop(
        "Service %(key)s has no Leistungsschlüssel and cannot be found through the Routing API."
    ),
)
ROUTING_RESPONSE = define("what.routing_response", gettext_noop("The response of the Routing API"))
NO_ROUTES = define(
    "routing.no_routes_list",
    gettext_noop(
        "The response does not have the expected structure: the response of the Routing API "
        "contains no list routes."
    ),
)
NOT_FOUND = define(
    "routing.not_found",
    gettext_noop("Service %(key)s, ARS %(ars)s: the destination is not found."),
)
HAND_ENTRY = define(
    "routing.hand_entry",
    gettext_noop(
        "Service %(key)s, ARS %(ars)s: the destination is not found. The FITKO support enters "
        "routing entries of the test environment, which the reference environment uses too, by "
        "hand: send the destination ID, addressing information, ARS and service key to "
        "fit-connect-support@fjd.de."
    ),
)
NO_SIGNATURE = define(
    "routing.no_signature", gettext_noop("The routing entry contains no destinationSignature.")
)
UNVERIFIABLE = define(
    "routing.unverifiable",
    gettext_noop(
        "Service %(key)s: found, but the signature was not verified: no SSP JWKS address is set "
        "up for this environment and the signed addressing information names no issuer (iss)."
    ),
)
UNTRUSTED_ISSUER = define(
    "routing.untrusted_issuer",
    gettext_noop(
        "Service %(key)s: found, but the signature was not verified: no SSP JWKS address is set "
        "up for this environment, and the issuer named in the signed addressing information "
        "(%(iss)s) is not a Self-Service-Portal of FITKO."
    ),
)
ISSUER_KEYS_UNAVAILABLE = define(
    "routing.issuer_keys_unavailable",
    gettext_noop(
        "Service %(key)s: found, but the signature was not verified: the keys of the "
        "Self-Service-Portal %(iss)s could not be loaded (%(reason)s)."
    ),
)
VERIFIED_BY_ISSUER = define(
    "routing.verified_by_issuer",
    gettext_noop(
        "Service %(key)s: signature verified with the keys of the Self-Service-Portal %(iss)s."
    ),
)
SIGNATURE_PROBLEMS = define(
    "routing.signature_problems",
    gettext_noop("Service %(key)s: the signed addressing information %(problems)s."),
)
OK = define(
    "routing.ok",
    gettext_noop("The destination is found for all services; the signatures are valid."),
)
INCOMPLETE = define("routing.warning", gettext_noop("The routing is not complete yet."))
NOT_VERIFIED = define(
    "routing.not_verified",
    gettext_noop("The destination is found for all services, but its signature was not verified."),
)
FAILED = define(
    "routing.failed",
    gettext_noop("The routing does not find the destination or the signature does not match."),
)


def _signature_problems(
    ctx: RunContext, signature: str, ssp_keys: list[dict[str, Any]], service: ExpectedService
) -> list[Text]:
    """Verify the signed addressing information; return what does not match."""
    ars = service.regions[0]
    payload = crypto.verify_jws(signature, ssp_keys)
    problems = []
    if payload.get("destinationId") != ctx.expected.destination_id:
        problems.append(OTHER_DESTINATION())
    raw_services = payload.get("services")
    services = raw_services if isinstance(raw_services, list) else []
    leistungen = {i for s in services if isinstance(s, dict) for i in s.get("leistungIDs", [])}
    gebiete = [g for s in services if isinstance(s, dict) for g in s.get("gebietIDs", [])]
    if service_identifier(service.key) not in leistungen:
        problems.append(NOT_THE_SERVICE(key=service.key))
    if not any(region_matches(str(g), ars) for g in gebiete):
        problems.append(NOT_THE_REGION(ars=ars))
    return problems


def trusted_issuer(iss: Any, target: Target) -> bool:
    """Whether an ``iss`` may name the JWKS its own signature is checked with."""
    return isinstance(iss, str) and (
        FITKO_SSP_ISSUER.fullmatch(iss) is not None or iss in target.ssp_issuers
    )


def _issuer_keys(
    ctx: RunContext, signature: str, key: str
) -> tuple[list[dict[str, Any]], Text | None, Text | None]:
    """Return the keys of the SSP that claims the signature, a note when verified, or why not."""
    iss = crypto.unverified_payload(signature).get("iss")
    if not isinstance(iss, str) or not iss:
        return [], None, UNVERIFIABLE(key=key)
    if not trusted_issuer(iss, ctx.target):
        return [], None, UNTRUSTED_ISSUER(key=key, iss=iss)
    try:
        keys, _evidence = ctx.jwks(f"{iss.rstrip('/')}/.well-known/jwks.json", SSP_JWKS())
    except Failed as failure:
        return [], None, ISSUER_KEYS_UNAVAILABLE(key=key, iss=iss, reason=failure.message)
    except FitConnectError as error:
        return [], None, ISSUER_KEYS_UNAVAILABLE(key=key, iss=iss, reason=error.text)
    return keys, VERIFIED_BY_ISSUER(key=key, iss=iss), None


def _record_routes(stage: str) -> Fix:
    return fix(FIX_SUPPORT() if stage in HAND_ENTERED else FIX_EDITORIAL(), ROUTING)


def run(ctx: RunContext) -> Outcome:
    target = ctx.target
    if not target.routing_base:
        raise Failed(NO_ROUTING(), status="skipped")
    ssp_keys: list[dict[str, Any]] = []
    if target.ssp_jwks_url:
        ssp_keys, _evidence = ctx.jwks(target.ssp_jwks_url, SSP_JWKS())
    results: list[dict[str, Any]] = []
    details: list[Text | str] = []
    worst: CheckStatus = "ok"
    routes_to_record = False
    unverified = False
    routable = [s for s in ctx.expected.services if LEIKA_KEY.match(s.key)]
    if not routable:
        raise Failed(NO_LEIKA(), status="skipped")
    for service in ctx.expected.services:
        if service not in routable:
            details.append(NOT_ROUTABLE(key=service.key))
            continue
        if not service.regions:
            continue
        ars = service.regions[0]
        query = urlencode({"leikaKey": service.key, "ars": ars})
        url = f"{target.routing_base.rstrip('/')}{target.routing_prefix}/routes?{query}"
        response = ctx.http.request("GET", url)
        body = response.json_object(ROUTING_RESPONSE())
        routes = body.get("routes")
        if not isinstance(routes, list):
            raise Failed(NO_ROUTES(), evidence=response.evidence(), conclusive=False)
        ours = [
            r
            for r in routes
            if isinstance(r, dict) and r.get("destinationId") == ctx.expected.destination_id
        ]
        entry = response.evidence() | {"leistung": service.key, "ars": ars, "found": bool(ours)}
        results.append(entry)
        if not ours:
            by_hand = target.stage in HAND_ENTERED
            worst = "failed" if not by_hand or worst == "failed" else "warning"
            details.append(
                HAND_ENTRY(key=service.key, ars=ars)
                if by_hand
                else NOT_FOUND(key=service.key, ars=ars)
            )
            routes_to_record = True
            continue
        signature = ours[0].get("destinationSignature")
        if not isinstance(signature, str):
            raise Failed(NO_SIGNATURE(), evidence=entry)
        keys = ssp_keys
        if not target.ssp_jwks_url:
            keys, verified_by, not_verified = _issuer_keys(ctx, signature, service.key)
            if not_verified is not None:
                worst = "failed" if worst == "failed" else "warning"
                unverified = True
                entry["signature_verified"] = False
                details.append(not_verified)
                continue
            if verified_by is not None:
                details.append(verified_by)
        problems = _signature_problems(ctx, signature, keys, service)
        entry["signature_verified"] = True
        entry["signature_valid"] = not problems
        if problems:
            worst = "failed"
            routes_to_record = True
            details.append(SIGNATURE_PROBLEMS(key=service.key, problems=problems))
    messages = {"ok": OK, "warning": INCOMPLETE, "failed": FAILED}
    if worst == "warning" and unverified and not routes_to_record:
        messages["warning"] = NOT_VERIFIED
    found_fixes = [_record_routes(target.stage)] if routes_to_record else []
    return Outcome(worst, messages[worst](), {"routes": results}, details, found_fixes)


def fixes(ctx: RunContext, outcome: Outcome) -> list[Fix]:
    # Routes without a problem of their own (e.g. the Routing API fails) or unverifiable
    # signatures (no SSP JWKS address set up): nothing the authority can record.
    return [contact_support()] if outcome.status == "failed" else []


CHECK = Check("routing", gettext_lazy("Routing"), run, fixes=fixes)
