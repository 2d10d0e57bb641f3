"""3. Keys of the destination: the encryption and signature keys meet FIT-Connect's rules."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fitconnect import crypto
from fitconnect.checks.base import Check, CheckStatus, Outcome, RunContext
from fitconnect.checks.fixes import CERTIFICATES, CONVERT_CERTIFICATES, VPKI_CERTIFICATES, Fix, fix
from fitconnect.i18n import gettext as _
from fitconnect.i18n import gettext_lazy


def run(ctx: RunContext) -> Outcome:
    destination, _evidence = ctx.destination()
    encryption_kid = str(destination.get("encryptionKid") or ctx.expected.encryption_kid)
    keys: list[tuple[crypto.Purpose, str]] = [("encryption", encryption_kid)]
    if ctx.expected.signature_kid:
        keys.append(("signature", ctx.expected.signature_kid))
    details: list[str] = []
    evidence: dict[str, Any] = {"keys": []}
    worst: CheckStatus = "ok"
    now = ctx.clock()
    for purpose, kid in keys:
        data, key_evidence = ctx.key(kid)
        findings = crypto.check_jwk(
            data, purpose, self_signed_allowed=ctx.target.self_signed_allowed, now=now
        )
        expiry = crypto.certificate_expiry(data)
        evidence["keys"].append(
            key_evidence
            | {
                "kid": kid,
                "purpose": purpose,
                "expires": expiry.date().isoformat() if expiry else None,
                "findings": [asdict(f) for f in findings],
            }
        )
        label = _("Encryption") if purpose == "encryption" else _("Signature")
        for finding in findings:
            if finding.status != "ok":
                details.append(f"{label} ({kid}): {finding.message}")
            if finding.status == "failed":
                worst = "failed"
            elif finding.status == "warning" and worst == "ok":
                worst = "warning"
    messages = {
        "ok": _("Both keys meet all requirements."),
        "warning": _("The keys are valid, but there are notes."),
        "failed": _("At least one key does not meet the requirements."),
    }
    return Outcome(worst, messages[worst], evidence, details)


def fixes(ctx: RunContext, outcome: Outcome) -> list[Fix]:
    found = [
        fix(
            _("Store keys in the destination that meet FIT-Connect's requirements."),
            CERTIFICATES,
        ),
        fix(
            _("Derive the keys (JWK) from your certificate with FITKO's tools."),
            CONVERT_CERTIFICATES,
        ),
    ]
    if ctx.target.stage != "test":
        found.append(
            fix(
                _(
                    "For the reference and production environments, request the certificate "
                    "from the Verwaltungs-PKI."
                ),
                VPKI_CERTIFICATES,
            )
        )
    return found


CHECK = Check("keys", gettext_lazy("Keys of the destination"), run, fixes=fixes)
