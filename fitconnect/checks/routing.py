"""5. Routing: the Routing API finds the destination for every service, correctly signed."""

from __future__ import annotations

import re
from typing import Any

from fitconnect import crypto
from fitconnect.checks.base import (
    Check,
    CheckStatus,
    ExpectedService,
    Failed,
    Outcome,
    RunContext,
    region_matches,
)
from fitconnect.checks.fixes import ROUTING, Fix, contact_support, fix
from fitconnect.constants import LEIKA_KEY_PATTERN, service_identifier
from fitconnect.i18n import gettext as _
from fitconnect.i18n import gettext_lazy

LEIKA_KEY = re.compile(LEIKA_KEY_PATTERN)


def _signature_problems(
    ctx: RunContext, signature: str, ssp_keys: list[dict[str, Any]], service: ExpectedService
) -> list[str]:
    """Verify the signed addressing information; return what does not match."""
    ars = service.regions[0]
    payload = crypto.verify_jws(signature, ssp_keys)
    problems = []
    if payload.get("destinationId") != ctx.expected.destination_id:
        problems.append(_("names a different destination"))
    raw_services = payload.get("services")
    services = raw_services if isinstance(raw_services, list) else []
    leistungen = {i for s in services if isinstance(s, dict) for i in s.get("leistungIDs", [])}
    gebiete = [g for s in services if isinstance(s, dict) for g in s.get("gebietIDs", [])]
    if service_identifier(service.key) not in leistungen:
        problems.append(_("does not name the service %(key)s") % {"key": service.key})
    if not any(region_matches(str(g), ars) for g in gebiete):
        problems.append(_("does not name the region %(ars)s") % {"ars": ars})
    return problems


def _record_routes(stage: str) -> Fix:
    if stage == "test":
        text = _(
            "Send the destination ID, the addressing information, the ARS and the service key "
            "to the FIT-Connect support (fit-connect-support@fjd.de)."
        )
    else:
        text = _(
            "Have the destination's addressing information recorded for every service and "
            "region in your state's editorial system (FIM module Leistungen)."
        )
    return fix(text, ROUTING)


def run(ctx: RunContext) -> Outcome:
    target = ctx.target
    if not target.routing_base:
        raise Failed(_("No Routing API is set up for this environment."), status="skipped")
    ssp_keys: list[dict[str, Any]] = []
    if target.ssp_jwks_url:
        ssp_keys, _evidence = ctx.jwks(
            target.ssp_jwks_url, _("The JWKS of the Self-Service-Portal")
        )
    results: list[dict[str, Any]] = []
    details: list[str] = []
    worst: CheckStatus = "ok"
    routes_to_record = False
    routable = [s for s in ctx.expected.services if LEIKA_KEY.match(s.key)]
    if not routable:
        raise Failed(
            _(
                "No recorded service has a Leistungsschlüssel: the Routing API finds "
                "destinations only by Leistungsschlüssel."
            ),
            status="skipped",
        )
    for service in ctx.expected.services:
        if service not in routable:
            details.append(
                _(
                    "Service %(key)s has no Leistungsschlüssel and cannot be found through the "
                    "Routing API."
                )
                % {"key": service.key}
            )
            continue
        if not service.regions:
            continue
        ars = service.regions[0]
        url = (
            f"{target.routing_base.rstrip('/')}{target.routing_prefix}/routes"
            f"?leikaKey={service.key}&ars={ars}"
        )
        response = ctx.http.request("GET", url)
        body = response.json_object(_("The response of the Routing API"))
        routes = body.get("routes")
        if not isinstance(routes, list):
            raise Failed(
                _(
                    "The response does not have the expected structure: the response of "
                    "the Routing API contains no list routes."
                ),
                evidence=response.evidence(),
            )
        ours = [
            r
            for r in routes
            if isinstance(r, dict) and r.get("destinationId") == ctx.expected.destination_id
        ]
        entry = response.evidence() | {"leistung": service.key, "ars": ars, "found": bool(ours)}
        results.append(entry)
        if not ours:
            # FITKO enters routes by hand in the test stage only; elsewhere a gap is an error.
            status: CheckStatus = "warning" if target.stage == "test" else "failed"
            worst = "failed" if status == "failed" or worst == "failed" else "warning"
            not_found = _("Service %(key)s, ARS %(ars)s: the destination is not found.") % {
                "key": service.key,
                "ars": ars,
            }
            if status == "warning":
                not_found += " " + _(
                    "In the test environment the FITKO support enters routing entries by "
                    "hand: send the destination ID, addressing information, ARS and service "
                    "key to fit-connect-support@fjd.de."
                )
            details.append(not_found)
            routes_to_record = True
            continue
        signature = ours[0].get("destinationSignature")
        if not isinstance(signature, str):
            raise Failed(_("The routing entry contains no destinationSignature."), evidence=entry)
        if not ssp_keys:
            worst = "failed" if worst == "failed" else "warning"
            details.append(
                _(
                    "Service %(key)s: found, but the signature cannot be checked without "
                    "an SSP JWKS address."
                )
                % {"key": service.key}
            )
            continue
        problems = _signature_problems(ctx, signature, ssp_keys, service)
        entry["signature_valid"] = True
        if problems:
            worst = "failed"
            routes_to_record = True
            details.append(
                _("Service %(key)s: the signed addressing information %(problems)s.")
                % {"key": service.key, "problems": ", ".join(problems)}
            )
    messages = {
        "ok": _("The destination is found for all services; the signatures are valid."),
        "warning": _("The routing is not complete yet."),
        "failed": _("The routing does not find the destination or the signature does not match."),
    }
    found_fixes = [_record_routes(target.stage)] if routes_to_record else []
    return Outcome(worst, messages[worst], {"routes": results}, details, found_fixes)


def fixes(ctx: RunContext, outcome: Outcome) -> list[Fix]:
    # Routes without a problem of their own (e.g. the Routing API fails) or unverifiable
    # signatures (no SSP JWKS address set up): nothing the authority can record.
    return [contact_support()] if outcome.status == "failed" else []


CHECK = Check("routing", gettext_lazy("Routing"), run, fixes=fixes)
