"""4. Keys of the delivery service: its JWKS is reachable and holds PS512 keys only."""

from __future__ import annotations

from fitconnect.checks.base import Check, Failed, Outcome, RunContext
from fitconnect.checks.fixes import Fix, contact_support
from fitconnect.i18n import gettext_lazy, gettext_noop
from fitconnect.messages import define

NO_KEYS = define("jwks.no_keys", gettext_noop("The JWKS of the delivery service contains no keys."))
WRONG_ALGS = define(
    "jwks.wrong_algs",
    gettext_noop("The JWKS of the delivery service contains keys with %(algs)s; expected PS512."),
)
OK = define(
    "jwks.ok",
    gettext_noop("The JWKS of the delivery service is reachable (%(count)d PS512 keys)."),
)


def run(ctx: RunContext) -> Outcome:
    keys, evidence = ctx.delivery_service_jwks()
    algs = [str(k.get("alg")) for k in keys]
    evidence = evidence | {"kids": [k.get("kid") for k in keys], "algs": algs}
    if not keys:
        raise Failed(NO_KEYS(), evidence=evidence)
    if any(alg != "PS512" for alg in algs):
        raise Failed(WRONG_ALGS(algs=algs), evidence=evidence)
    return Outcome("ok", OK(count=len(keys)), evidence)


def fixes(ctx: RunContext, outcome: Outcome) -> list[Fix]:
    # The delivery service's keys are FIT-Connect's own: nothing to change on this side.
    return [contact_support()]


CHECK = Check("jwks", gettext_lazy("Keys of the delivery service"), run, fixes=fixes)
