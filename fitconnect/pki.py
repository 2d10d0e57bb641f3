"""V-PKI certificate chains of a destination's keys: path, validity, key usage, revocation.

FITKO requires certificates of the Verwaltungs-PKI in the reference and production stages
(docs …/receiving/certificate/, …/organisation-tasks/certificates/), with keyEncipherment on
the encryption key and digitalSignature on the signature key (docs commit c6735e41); senders
check the chain and OCSP (.NET SDK notes). Which root to trust is an open question, so site
operators upload the trust anchors and intermediate certificates in the admin.

``cryptography``'s X.509 verifier (``PolicyBuilder``, RFC 5280 path building) decides whether
the chain is valid; a walk of our own before it names the failing link in words. Revocation
(OCSP first, then the CRL) goes through the check's HTTP client, so the time limits and the
size cap hold; an unreachable responder is reported, never taken as "not revoked".
"""

from __future__ import annotations

import base64
import ipaddress
import itertools
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    NameOID,
    SignatureAlgorithmOID,
)
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from fitconnect.crypto import Finding, Purpose
from fitconnect.http import Client, FitConnectError
from fitconnect.i18n import gettext_noop
from fitconnect.messages import Text, define

MAX_DEPTH = 8
KEY_USAGE = {"encryption": "keyEncipherment", "signature": "digitalSignature"}

NO_ANCHORS = define(
    "pki.no_anchors",
    gettext_noop(
        "No V-PKI trust anchor is set up in the portal, so the certificate chain was not "
        "checked. The site operators upload the V-PKI root certificates in the administration."
    ),
)
UNREADABLE = define(
    "pki.unreadable", gettext_noop("Certificate %(position)d in x5c cannot be read.")
)
NO_KEY_USAGE = define(
    "pki.no_key_usage",
    gettext_noop("The certificate %(name)s names no key usage; expected: %(expected)s."),
)
WRONG_KEY_USAGE = define(
    "pki.wrong_key_usage",
    gettext_noop(
        "The certificate %(name)s allows %(usages)s, but not %(expected)s, which this key needs."
    ),
)
KEY_USAGE_OK = define(
    "pki.key_usage_ok", gettext_noop("The certificate %(name)s allows %(expected)s.")
)
LINK_EXPIRED = define(
    "pki.link_expired",
    gettext_noop("The certificate %(name)s in the chain expired on %(date)s."),
)
LINK_NOT_YET_VALID = define(
    "pki.link_not_yet_valid",
    gettext_noop("The certificate %(name)s in the chain is only valid from %(date)s."),
)
FOREIGN_ROOT = define(
    "pki.foreign_root",
    gettext_noop(
        "The chain ends at %(name)s, which is not one of the V-PKI trust anchors set up in the "
        "portal."
    ),
)
UNKNOWN_ISSUER = define(
    "pki.unknown_issuer",
    gettext_noop(
        "The issuer %(issuer)s of the certificate %(name)s is neither in the chain (x5c) nor "
        "one of the V-PKI certificates set up in the portal."
    ),
)
BAD_LINK_SIGNATURE = define(
    "pki.bad_link_signature",
    gettext_noop("The signature of the certificate %(name)s does not verify with %(issuer)s."),
)
TOO_LONG = define(
    "pki.too_long",
    gettext_noop("The chain from %(name)s is longer than %(depth)d certificates."),
)
RULES_VIOLATED = define(
    "pki.rules_violated",
    gettext_noop(
        "The chain from %(name)s to the trust anchor %(anchor)s does not meet the X.509 rules "
        "(RFC 5280). Technical reason: %(reason)s"
    ),
)
CHAIN_OK = define(
    "pki.chain_ok",
    gettext_noop("The certificate chain leads to the V-PKI trust anchor %(anchor)s."),
)
REVOKED = define(
    "pki.revoked", gettext_noop("The certificate %(name)s is revoked (according to %(source)s).")
)
NOT_REVOKED = define(
    "pki.not_revoked",
    gettext_noop("The certificate %(name)s is not revoked (according to %(source)s)."),
)
REVOCATION_UNKNOWN = define(
    "pki.revocation_unknown",
    gettext_noop(
        "The revocation status of the certificate %(name)s could not be checked: %(reason)s"
    ),
)
NO_REVOCATION_SOURCE = define(
    "pki.no_revocation_source",
    gettext_noop(
        "The certificate %(name)s names neither an OCSP responder nor a revocation list (CRL); "
        "its revocation status was not checked."
    ),
)
REASON_UNREACHABLE = define(
    "pki.reason_unreachable", gettext_noop("no usable answer from %(source)s (%(detail)s).")
)
REASON_UNKNOWN = define(
    "pki.reason_unknown",
    gettext_noop("according to %(source)s, the certificate is unknown."),
)
REASON_BAD_SIGNATURE = define(
    "pki.reason_bad_signature",
    gettext_noop("the answer of %(source)s is not signed by the certificate's issuer."),
)
REASON_STALE = define("pki.reason_stale", gettext_noop("the answer of %(source)s is outdated."))
REASON_PRIVATE = define(
    "pki.reason_private",
    gettext_noop("the address of %(source)s is internal; the portal does not call it."),
)
OCSP_SOURCE = define("pki.ocsp_source", gettext_noop("the OCSP responder %(url)s"))
CRL_SOURCE = define("pki.crl_source", gettext_noop("the revocation list %(url)s"))


def load_pem_certificates(text: str) -> list[x509.Certificate]:
    """Return the certificates of a PEM text (raises ``ValueError`` if there are none)."""
    return x509.load_pem_x509_certificates(text.encode())


def certificate_name(certificate: x509.Certificate) -> str:
    """Return a certificate's name for people: its common name, else its whole subject."""
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else certificate.subject.rfc4514_string()


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def _date(moment: datetime) -> str:
    return f"{moment:%d.%m.%Y}"


# --- revocation ------------------------------------------------------------------------------

RevocationStatus = Literal["good", "revoked", "unknown", "unavailable", "no_source"]


@dataclass(frozen=True)
class Revocation:
    status: RevocationStatus
    source: Text | None = None
    reason: Text | None = None


class RevocationChecker:
    """Ask a certificate's OCSP responder, else its CRL, through the check's HTTP client."""

    def __init__(
        self,
        http: Client,
        now: datetime,
        *,
        allow_private: bool = False,
        resolve: Callable[[str], set[str]] | None = None,
    ) -> None:
        self.http = http
        self.now = now
        self.allow_private = allow_private
        self.resolve = resolve or _resolve

    def __call__(self, certificate: x509.Certificate, issuer: x509.Certificate) -> Revocation:
        ocsp_urls, crl_urls = _revocation_sources(certificate)
        if not ocsp_urls and not crl_urls:
            return Revocation("no_source")
        found = Revocation("unavailable")
        for url in ocsp_urls:
            found = self._ocsp(url, certificate, issuer)
            if found.status in ("good", "revoked"):
                return found
        for url in crl_urls:
            found = self._crl(url, certificate, issuer)
            if found.status in ("good", "revoked"):
                return found
        return found

    def _refused(self, url: str) -> bool:
        """Whether the URL, taken from a certificate, points to an internal address."""
        if self.allow_private:
            return False
        host = urlsplit(url).hostname or ""
        try:
            addresses = {ipaddress.ip_address(a) for a in self.resolve(host)}
        except (OSError, ValueError):
            return False  # the request itself reports the name that cannot be resolved
        return any(a.is_private or a.is_loopback or a.is_link_local for a in addresses)

    def _fetch(
        self, method: str, url: str, source: Text, request: bytes | None = None
    ) -> bytes | Revocation:
        if self._refused(url):
            return Revocation("unavailable", source, REASON_PRIVATE(source=source))
        headers = {"Content-Type": "application/ocsp-request"} if request is not None else None
        try:
            response = self.http.request(method, url, headers=headers, content=request)
        except FitConnectError as error:
            reason = REASON_UNREACHABLE(source=source, detail=error.text)
            return Revocation("unavailable", source, reason)
        return response.body

    def _ocsp(
        self, url: str, certificate: x509.Certificate, issuer: x509.Certificate
    ) -> Revocation:
        source = OCSP_SOURCE(url=url)
        request = (
            ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA1()).build()  # noqa: S303 - OCSP's CertID
        )
        body = self._fetch("POST", url, source, request.public_bytes(serialization.Encoding.DER))
        if isinstance(body, Revocation):
            return body
        try:
            answer = ocsp.load_der_ocsp_response(body)
        except ValueError:
            detail = "no OCSP response"
            return Revocation(
                "unavailable", source, REASON_UNREACHABLE(source=source, detail=detail)
            )
        if answer.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
            detail = answer.response_status.name
            return Revocation(
                "unavailable", source, REASON_UNREACHABLE(source=source, detail=detail)
            )
        if answer.serial_number != certificate.serial_number:
            return Revocation("unknown", source, REASON_UNKNOWN(source=source))
        if not _ocsp_signed_by_issuer(answer, issuer):
            return Revocation("unavailable", source, REASON_BAD_SIGNATURE(source=source))
        next_update = answer.next_update_utc
        if answer.this_update_utc > self.now or (next_update and next_update < self.now):
            return Revocation("unavailable", source, REASON_STALE(source=source))
        status = answer.certificate_status
        if status == ocsp.OCSPCertStatus.REVOKED:
            return Revocation("revoked", source)
        if status == ocsp.OCSPCertStatus.GOOD:
            return Revocation("good", source)
        return Revocation("unknown", source, REASON_UNKNOWN(source=source))

    def _crl(self, url: str, certificate: x509.Certificate, issuer: x509.Certificate) -> Revocation:
        source = CRL_SOURCE(url=url)
        body = self._fetch("GET", url, source)
        if isinstance(body, Revocation):
            return body
        try:
            crl = (
                x509.load_pem_x509_crl(body)
                if body.lstrip().startswith(b"-----")
                else x509.load_der_x509_crl(body)
            )
        except ValueError:
            detail = "no CRL"
            return Revocation(
                "unavailable", source, REASON_UNREACHABLE(source=source, detail=detail)
            )
        public_key = issuer.public_key()
        valid = (
            crl.issuer == issuer.subject
            and isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
            and crl.is_signature_valid(public_key)
        )
        if not valid:
            return Revocation("unavailable", source, REASON_BAD_SIGNATURE(source=source))
        next_update = crl.next_update_utc
        if crl.last_update_utc > self.now or (next_update and next_update < self.now):
            return Revocation("unavailable", source, REASON_STALE(source=source))
        if crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None:
            return Revocation("revoked", source)
        return Revocation("good", source)


def _resolve(host: str) -> set[str]:
    return {str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}


def _revocation_sources(certificate: x509.Certificate) -> tuple[list[str], list[str]]:
    ocsp_urls: list[str] = []
    crl_urls: list[str] = []
    try:
        access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
        ocsp_urls = [
            str(d.access_location.value)
            for d in access.value
            if d.access_method == AuthorityInformationAccessOID.OCSP
            and isinstance(d.access_location, x509.UniformResourceIdentifier)
        ]
    except x509.ExtensionNotFound:
        pass
    try:
        points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints)
        crl_urls = [
            str(name.value)
            for point in points.value
            for name in point.full_name or []
            if isinstance(name, x509.UniformResourceIdentifier)
        ]
    except x509.ExtensionNotFound:
        pass
    keep = ("http://", "https://")
    return (
        [u for u in ocsp_urls if u.lower().startswith(keep)],
        [u for u in crl_urls if u.lower().startswith(keep)],
    )


def _verify_signature(
    public_key: object, signature: bytes, data: bytes, algorithm: object, hash_algorithm: object
) -> bool:
    if not isinstance(hash_algorithm, hashes.HashAlgorithm):
        return False
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            pad: padding.AsymmetricPadding = (
                padding.PSS(mgf=padding.MGF1(hash_algorithm), salt_length=padding.PSS.AUTO)
                if algorithm == SignatureAlgorithmOID.RSASSA_PSS
                else padding.PKCS1v15()
            )
            public_key.verify(signature, data, pad, hash_algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hash_algorithm))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _ocsp_signed_by_issuer(answer: ocsp.OCSPResponse, issuer: x509.Certificate) -> bool:
    """Whether the issuer, or a responder it delegated OCSP signing to, signed the answer."""
    candidates = [issuer]
    for delegate in answer.certificates:
        try:
            delegate.verify_directly_issued_by(issuer)
            usage = delegate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
            continue
        if ExtendedKeyUsageOID.OCSP_SIGNING in usage:
            candidates.append(delegate)
    return any(
        _verify_signature(
            signer.public_key(),
            answer.signature,
            answer.tbs_response_bytes,
            answer.signature_algorithm_oid,
            answer.signature_hash_algorithm,
        )
        for signer in candidates
    )


# --- the chain ---------------------------------------------------------------------------


def _key_usage(certificate: x509.Certificate, purpose: Purpose) -> Finding:
    name = certificate_name(certificate)
    expected = KEY_USAGE[purpose]
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return Finding("failed", "key_usage", NO_KEY_USAGE(name=name, expected=expected))
    allowed = [
        label
        for attribute, label in (
            ("digital_signature", "digitalSignature"),
            ("content_commitment", "nonRepudiation"),
            ("key_encipherment", "keyEncipherment"),
            ("data_encipherment", "dataEncipherment"),
            ("key_agreement", "keyAgreement"),
            ("key_cert_sign", "keyCertSign"),
            ("crl_sign", "cRLSign"),
        )
        if getattr(usage, attribute)
    ]
    if expected not in allowed:
        text = WRONG_KEY_USAGE(name=name, usages=allowed or "–", expected=expected)
        return Finding("failed", "key_usage", text)
    return Finding("ok", "key_usage", KEY_USAGE_OK(name=name, expected=expected))


def _validity(certificate: x509.Certificate, now: datetime) -> Finding | None:
    name = certificate_name(certificate)
    if now < certificate.not_valid_before_utc:
        text = LINK_NOT_YET_VALID(name=name, date=_date(certificate.not_valid_before_utc))
        return Finding("failed", "chain", text)
    if now > certificate.not_valid_after_utc:
        text = LINK_EXPIRED(name=name, date=_date(certificate.not_valid_after_utc))
        return Finding("failed", "chain", text)
    return None


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _walk(
    leaf: x509.Certificate,
    presented: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate],
    now: datetime,
) -> tuple[list[x509.Certificate], Finding | None]:
    """Follow the issuers from the leaf to an anchor; return the path or the failing link."""
    anchor_prints = {fingerprint(a) for a in anchors}
    pool = [*anchors, *presented, *intermediates]  # anchors first: a path ends as early as it can
    path = [leaf]
    current = leaf
    for _ in range(MAX_DEPTH):
        problem = _validity(current, now)
        if problem is not None:
            return path, problem
        if fingerprint(current) in anchor_prints:
            return path, None
        name = certificate_name(current)
        named = [c for c in pool if c.subject == current.issuer and c is not current]
        if not named:
            if current.issuer == current.subject:
                return path, Finding("failed", "chain", FOREIGN_ROOT(name=name))
            issuer = current.issuer.rfc4514_string()
            return path, Finding("failed", "chain", UNKNOWN_ISSUER(issuer=issuer, name=name))
        signed = [c for c in named if _issued_by(current, c)]
        if not signed:
            issuer = certificate_name(named[0])
            return path, Finding("failed", "chain", BAD_LINK_SIGNATURE(name=name, issuer=issuer))
        current = signed[0]
        if current in path:  # a loop of cross-signed certificates without an anchor
            return path, Finding("failed", "chain", FOREIGN_ROOT(name=certificate_name(current)))
        path.append(current)
    return path, Finding("failed", "chain", TOO_LONG(name=certificate_name(leaf), depth=MAX_DEPTH))


def _rfc5280(
    leaf: x509.Certificate,
    presented: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate],
    purpose: Purpose,
    now: datetime,
) -> str | None:
    """Return why ``cryptography``'s RFC 5280 verifier rejects the chain, or None."""
    wanted = "key_encipherment" if purpose == "encryption" else "digital_signature"

    def usage(_policy: object, _certificate: object, extension: x509.KeyUsage | None) -> None:
        if extension is None or not getattr(extension, wanted):
            raise ValueError(f"the key usage lacks {KEY_USAGE[purpose]}")

    end_entity = ExtensionPolicy.permit_all().require_present(
        x509.KeyUsage, Criticality.AGNOSTIC, usage
    )
    verifier = (
        PolicyBuilder()
        .store(Store(list(anchors)))
        .time(now)
        .max_chain_depth(MAX_DEPTH)
        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=end_entity)
        .build_client_verifier()
    )
    try:
        verifier.verify(leaf, [*presented, *intermediates])
    except VerificationError as error:
        # The library's words without its Python reprs ("<Certificate(subject=...)>").
        reason = re.sub(r"\s*\(encountered processing <.*>\)", "", str(error), flags=re.DOTALL)
        return reason.removeprefix("validation failed: ")
    return None


def check_chain(
    x5c: Sequence[str],
    purpose: Purpose,
    *,
    anchors: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate] = (),
    now: datetime,
    revocation: Callable[[x509.Certificate, x509.Certificate], Revocation] | None = None,
) -> list[Finding]:
    """Check a key's x5c against the V-PKI trust anchors; one finding per rule, in words."""
    certificates: list[x509.Certificate] = []
    for position, encoded in enumerate(x5c, start=1):
        try:
            certificates.append(x509.load_der_x509_certificate(base64.b64decode(encoded)))
        except (ValueError, TypeError):
            return [Finding("failed", "chain", UNREADABLE(position=position))]
    if not certificates:
        return []
    leaf, presented = certificates[0], certificates[1:]
    findings = [_key_usage(leaf, purpose)]
    if not anchors:
        return [*findings, Finding("warning", "chain", NO_ANCHORS())]
    path, problem = _walk(leaf, presented, anchors, intermediates, now)
    if problem is not None:
        return [*findings, problem]
    anchor = certificate_name(path[-1])
    reason = _rfc5280(leaf, presented, anchors, intermediates, purpose, now)
    if reason is not None:
        if findings[0].status == "ok":
            text = RULES_VIOLATED(name=certificate_name(leaf), anchor=anchor, reason=reason)
            findings.append(Finding("failed", "chain", text))
        return findings
    findings.append(Finding("ok", "chain", CHAIN_OK(anchor=anchor)))
    if revocation is not None:
        findings.extend(_revocations(path, revocation))
    return findings


def _revocations(
    path: Sequence[x509.Certificate],
    revocation: Callable[[x509.Certificate, x509.Certificate], Revocation],
) -> list[Finding]:
    findings = []
    for certificate, issuer in itertools.pairwise(path):
        name = certificate_name(certificate)
        found = revocation(certificate, issuer)
        if found.status == "revoked":
            findings.append(
                Finding("failed", "revocation", REVOKED(name=name, source=found.source))
            )
        elif found.status == "good":
            text = NOT_REVOKED(name=name, source=found.source)
            findings.append(Finding("ok", "revocation", text))
        elif found.status == "no_source":
            findings.append(Finding("warning", "revocation", NO_REVOCATION_SOURCE(name=name)))
        else:
            text = REVOCATION_UNKNOWN(name=name, reason=found.reason or "–")
            findings.append(Finding("warning", "revocation", text))
    return findings
