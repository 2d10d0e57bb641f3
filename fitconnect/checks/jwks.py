"""4. Keys of the delivery service: its JWKS is reachable and holds PS512 keys only."""

from __future__ import annotations

from fitconnect.checks.base import Check, Failed, Outcome, RunContext
from fitconnect.checks.fixes import Fix, contact_support
from fitconnect.i18n import gettext as _
from fitconnect.i18n import gettext_lazy


def run(ctx: RunContext) -> Outcome:
    keys, evidence = ctx.delivery_service_jwks()
    algs = [str(k.get("alg")) for k in keys]
    evidence = evidence | {"kids": [k.get("kid") for k in keys], "algs": algs}
    if not keys:
        raise Failed(_("The JWKS of the delivery service contains no keys."), evidence=evidence)
    if any(alg != "PS512" for alg in algs):
        raise Failed(
            _("The JWKS of the delivery service contains keys with %(algs)s; expected PS512.")
            % {"algs": ", ".join(algs)},
            evidence=evidence,
        )
    return Outcome(
        "ok",
        _("The JWKS of the delivery service is reachable (%(count)d PS512 keys).")
        % {"count": len(keys)},
        evidence,
    )


def fixes(ctx: RunContext, outcome: Outcome) -> list[Fix]:
    # The delivery service's keys are FIT-Connect's own: nothing to change on this side.
    return [contact_support()]


CHECK = Check("jwks", gettext_lazy("Keys of the delivery service"), run, fixes=fixes)
