"""3. Keys of the destination: the encryption and signature keys meet FIT-Connect's rules.

In the reference and production stages the certificate in each key's ``x5c`` must also
chain to a V-PKI trust anchor, allow the key's use and not be revoked (``fitconnect.pki``).
"""

from __future__ import annotations

from typing import Any

from cryptography import x509

from fitconnect import crypto, pki
from fitconnect.checks.base import Check, CheckStatus, Outcome, RunContext
from fitconnect.checks.fixes import CERTIFICATES, CONVERT_CERTIFICATES, VPKI_CERTIFICATES, Fix, fix
from fitconnect.i18n import gettext_lazy, gettext_noop
from fitconnect.messages import Text, define

ENCRYPTION = define("keys.encryption", gettext_noop("Encryption"))
SIGNATURE = define("keys.signature", gettext_noop("Signature"))
FINDING = define("keys.finding", gettext_noop("%(purpose)s (%(kid)s): %(finding)s"))
OK = define("keys.ok", gettext_noop("Both keys meet all requirements."))
NOTES = define("keys.warning", gettext_noop("The keys are valid, but there are notes."))
FAILED = define("keys.failed", gettext_noop("At least one key does not meet the requirements."))
FIX_STORE = define(
    "keys.fix_store",
    gettext_noop("Store keys in the destination that meet FIT-Connect's requirements."),
)
FIX_DERIVE = define(
    "keys.fix_derive",
    gettext_noop("Derive the keys (JWK) from your certificate with FITKO's tools."),
)
FIX_VPKI = define(
    "keys.fix_vpki",
    gettext_noop(
        "For the reference and production environments, request the certificate from the "
        "Verwaltungs-PKI."
    ),
)


def _trusted(ctx: RunContext) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
    """Return the uploaded V-PKI anchors and intermediates, parsed once per run."""
    if "vpki" not in ctx.cache:

        def parse(texts: tuple[str, ...]) -> list[x509.Certificate]:
            return [c for text in texts for c in pki.load_pem_certificates(text)]

        ctx.cache["vpki"] = (parse(ctx.target.trust_anchors), parse(ctx.target.intermediates))
    return ctx.cache["vpki"]  # type: ignore[no-any-return]


def _findings(
    ctx: RunContext, data: dict[str, Any], purpose: crypto.Purpose
) -> list[crypto.Finding]:
    now = ctx.clock()
    findings = crypto.check_jwk(
        data, purpose, self_signed_allowed=ctx.target.self_signed_allowed, now=now
    )
    x5c = data.get("x5c")
    if ctx.target.needs_vpki and isinstance(x5c, list) and x5c:
        anchors, intermediates = _trusted(ctx)
        revocation = pki.RevocationChecker(
            ctx.http, now, allow_private=ctx.target.allow_private_addresses
        )
        findings += pki.check_chain(
            [str(c) for c in x5c],
            purpose,
            anchors=anchors,
            intermediates=intermediates,
            now=now,
            revocation=revocation,
        )
    return findings


def run(ctx: RunContext) -> Outcome:
    destination, _evidence = ctx.destination()
    encryption_kid = str(destination.get("encryptionKid") or ctx.expected.encryption_kid)
    keys: list[tuple[crypto.Purpose, str]] = [("encryption", encryption_kid)]
    if ctx.expected.signature_kid:
        keys.append(("signature", ctx.expected.signature_kid))
    details: list[Text | str] = []
    evidence: dict[str, Any] = {"keys": []}
    worst: CheckStatus = "ok"
    for purpose, kid in keys:
        data, key_evidence = ctx.key(kid)
        findings = _findings(ctx, data, purpose)
        expiry = crypto.certificate_expiry(data)
        evidence["keys"].append(
            key_evidence
            | {
                "kid": kid,
                "purpose": purpose,
                "expires": expiry.date().isoformat() if expiry else None,
                "findings": [
                    {"status": f.status, "rule": f.rule, "message": f.message} for f in findings
                ],
            }
        )
        label = ENCRYPTION() if purpose == "encryption" else SIGNATURE()
        for finding in findings:
            if finding.status != "ok":
                details.append(FINDING(purpose=label, kid=kid, finding=finding.message))
            if finding.status == "failed":
                worst = "failed"
            elif finding.status == "warning" and worst == "ok":
                worst = "warning"
    messages = {"ok": OK, "warning": NOTES, "failed": FAILED}
    return Outcome(worst, messages[worst](), evidence, details)


def fixes(ctx: RunContext, outcome: Outcome) -> list[Fix]:
    found = [fix(FIX_STORE(), CERTIFICATES), fix(FIX_DERIVE(), CONVERT_CERTIFICATES)]
    if ctx.target.stage != "test":
        found.append(fix(FIX_VPKI(), VPKI_CERTIFICATES))
    return found


CHECK = Check("keys", gettext_lazy("Keys of the destination"), run, fixes=fixes)
