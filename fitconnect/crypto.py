"""FIT-Connect cryptography with jwcrypto: keys, JWE, SETs, signed JWS, callback HMAC.

Plain functions (translated with fitconnect.i18n), so that the checks, the key tool
and the sandbox share them. Rules from the domain brief §4 (JWK fields, SETs) and §7
(callback HMAC).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from jwcrypto import jwe, jwk, jws
from jwcrypto.common import json_encode

from fitconnect.constants import EVENT_PREFIX, SET_PAYLOAD_SCHEMA
from fitconnect.i18n import gettext_noop
from fitconnect.messages import NOT_SET, Text, define

Purpose = Literal["encryption", "signature"]
FindingStatus = Literal["ok", "warning", "failed"]

ALG = {"encryption": "RSA-OAEP-256", "signature": "PS512"}
KEY_OPS = {"encryption": ["wrapKey"], "signature": ["verify"]}
MIN_MODULUS_BITS = 4096
EXPIRY_WARNING = timedelta(days=30)
SET_TYPE = "secevent+jwt"
CALLBACK_MAX_AGE = 300


class CryptoError(ValueError):
    """A token or key that fails the rules; ``text`` is the message for people."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.code)
        self.text = text

    def __str__(self) -> str:
        return str(self.text)


# A JWK with a certificate chain (x5c) is a few kilobytes and three levels deep.
MAX_JWK_CHARS = 64 * 1024
MAX_JSON_DEPTH = 20


def json_depth(text: str) -> int:
    """Return how deeply arrays and objects nest in JSON text, without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


JWK_TOO_LONG = define(
    "jwk.too_long",
    gettext_noop(
        "The text is longer than %(kb)s KB. A public key is much shorter: please paste one key "
        "only."
    ),
)
JWK_TOO_DEEP = define(
    "jwk.too_deep",
    gettext_noop(
        "The JSON is nested more than %(depth)s levels deep. A public key is a flat JSON "
        "object: please paste one key only."
    ),
)
JWK_NOT_JSON = define("jwk.not_json", gettext_noop("This is not valid JSON."))
JWK_NOT_OBJECT = define(
    "jwk.not_object", gettext_noop("A JWK is a JSON object: it starts with { and ends with }.")
)


def load_jwk_text(text: str) -> dict[str, Any]:
    """Parse pasted JWK text within size and nesting limits; raise ``CryptoError`` if not."""
    if len(text) > MAX_JWK_CHARS:
        raise CryptoError(JWK_TOO_LONG(kb=MAX_JWK_CHARS // 1024))
    if json_depth(text) > MAX_JSON_DEPTH:
        raise CryptoError(JWK_TOO_DEEP(depth=MAX_JSON_DEPTH))
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise CryptoError(JWK_NOT_JSON()) from None
    if not isinstance(data, dict):
        raise CryptoError(JWK_NOT_OBJECT())
    return data


@dataclass(frozen=True)
class Finding:
    status: FindingStatus
    rule: str
    message: Text


def _shown(value: Any) -> Any:
    """Return a JWK member's value as words: a list joined, nothing as "not set"."""
    if value is None:
        return NOT_SET()
    if isinstance(value, list):
        return [str(item) for item in value]
    return str(value)


NO_X5C = define("jwk.no_x5c", gettext_noop("The field x5c with the certificate chain is missing."))
X5C_UNREADABLE = define(
    "jwk.x5c_unreadable", gettext_noop("The first certificate in x5c cannot be read.")
)
NOT_A_JWK = define("jwk.invalid", gettext_noop("Not a valid JWK: %(error)s"))
KTY_OK = define("jwk.kty_ok", gettext_noop("The key type (kty) is RSA."))
KTY_BAD = define("jwk.kty_bad", gettext_noop("The key type (kty) is %(kty)s; only RSA is allowed."))
ALG_OK = define("jwk.alg_ok", gettext_noop("The algorithm (alg) is %(alg)s."))
ALG_BAD = define(
    "jwk.alg_bad", gettext_noop("The algorithm (alg) is %(actual)s; expected: %(alg)s.")
)
KEY_OPS_OK = define("jwk.key_ops_ok", gettext_noop("The key operations (key_ops) are %(key_ops)s."))
KEY_OPS_BAD = define(
    "jwk.key_ops_bad",
    gettext_noop("The key operations (key_ops) are %(actual)s; expected: %(key_ops)s."),
)
E_OK = define("jwk.e_ok", gettext_noop("The exponent e is AQAB."))
E_BAD = define("jwk.e_bad", gettext_noop("The exponent e is %(e)s; expected: AQAB."))
N_OK = define("jwk.n_ok", gettext_noop("The modulus has %(bits)d bits."))
N_BAD = define(
    "jwk.n_bad",
    gettext_noop("The modulus has %(bits)d bits; at least %(minimum)d are required."),
)
KID_OK = define("jwk.kid_ok", gettext_noop("The kid has 8 to 64 characters."))
KID_BAD = define("jwk.kid_bad", gettext_noop("The kid must have 8 to 64 characters."))
X5C_OK = define("jwk.x5c_ok", gettext_noop("The certificate chain x5c is present."))
X5C_KEY_OK = define("jwk.x5c_key_ok", gettext_noop("The key in the certificate matches n and e."))
X5C_KEY_BAD = define(
    "jwk.x5c_key_bad", gettext_noop("The key in the certificate does not match n and e of the JWK.")
)
NOT_YET_VALID = define(
    "jwk.not_yet_valid", gettext_noop("The certificate is only valid from %(date)s.")
)
EXPIRED = define("jwk.expired", gettext_noop("The certificate expired on %(date)s."))
EXPIRES_SOON = define(
    "jwk.expires_soon", gettext_noop("The certificate expires in %(days)d days (%(date)s).")
)
VALID_UNTIL = define("jwk.valid_until", gettext_noop("The certificate is valid until %(date)s."))
SELF_SIGNED_TEST = define(
    "jwk.self_signed_test",
    gettext_noop("The certificate is self-signed; that is only allowed in the test environment."),
)
SELF_SIGNED = define(
    "jwk.self_signed",
    gettext_noop("The certificate is self-signed; this environment requires V-PKI certificates."),
)
UNDECRYPTABLE = define(
    "jose.undecryptable", gettext_noop("The encrypted data cannot be decrypted.")
)
NOT_A_JWS = define("jose.not_a_jws", gettext_noop("The token is not a valid JWS."))
WRONG_ALG = define(
    "jose.wrong_alg", gettext_noop("The token is signed with %(alg)s instead of PS512.")
)
WRONG_TYP = define(
    "jose.wrong_typ", gettext_noop("The type of the token is %(actual)s; expected: %(typ)s.")
)
UNKNOWN_KID = define("jose.unknown_kid", gettext_noop("No key is known for the kid %(kid)s."))
BAD_SIGNATURE = define("jose.bad_signature", gettext_noop("The signature of the token is invalid."))
NOT_JSON = define("jose.not_json", gettext_noop("The content of the token is not JSON."))
NOT_AN_OBJECT = define(
    "jose.not_an_object", gettext_noop("The content of the token is not a JSON object.")
)
OTHER_SUBMISSION = define(
    "set.other_submission", gettext_noop("The event concerns %(sub)s, not this submission.")
)
OTHER_CASE = define(
    "set.other_case", gettext_noop("The event belongs to %(txn)s, not to this case.")
)
NOT_ONE_EVENT = define("set.not_one_event", gettext_noop("A SET must contain exactly one event."))


def _b64url_uint(data: str) -> int:
    padded = data + "=" * (-len(data) % 4)
    return int.from_bytes(base64.urlsafe_b64decode(padded), "big")


@dataclass(frozen=True)
class CertificateAuthority:
    """A certificate authority that issues leaf certificates (the sandbox's stand-in V-PKI)."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @classmethod
    def create(cls, common_name: str, days: int = 3650) -> CertificateAuthority:
        key = rsa.generate_private_key(public_exponent=65537, key_size=MIN_MODULUS_BITS)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_CA_USAGE, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA512(), rsa_padding=_pss())
        )
        return cls(key, certificate)


_CA_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=padding.PSS.DIGEST_LENGTH)


def _der_b64(certificate: x509.Certificate) -> str:
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def _leaf_certificate_for(
    key: rsa.RSAPrivateKey,
    common_name: str,
    purpose: Purpose,
    days: int,
    issuer: CertificateAuthority | None,
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    usage = {
        "digital_signature": purpose == "signature",
        "content_commitment": purpose == "signature",
        "key_encipherment": purpose == "encryption",
        "data_encipherment": False,
        "key_agreement": False,
        "key_cert_sign": False,
        "crl_sign": False,
        "encipher_only": False,
        "decipher_only": False,
    }
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.certificate.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.KeyUsage(**usage), critical=True)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(issuer.key if issuer else key, hashes.SHA512(), rsa_padding=_pss())
    )


def generate_key_pair(
    purpose: Purpose,
    common_name: str,
    *,
    kid: str | None = None,
    days: int = 365,
    issuer: CertificateAuthority | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (public JWK, private JWK) of a new RSA-4096 key with its certificate in x5c.

    Without an issuer the certificate is self-signed (allowed in the test environment);
    with one, x5c holds the chain: leaf first, then the issuer's certificate.
    """
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=MIN_MODULUS_BITS)
    certificate = _leaf_certificate_for(private_key, common_name, purpose, days, issuer)
    chain = [_der_b64(certificate)] + ([_der_b64(issuer.certificate)] if issuer else [])
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key = jwk.JWK.from_pem(pem)
    extra = {
        "kid": kid or str(uuid.uuid4()),
        "alg": ALG[purpose],
        "key_ops": KEY_OPS[purpose],
        "x5c": chain,
    }
    private = {**json.loads(key.export_private()), **extra}
    public = {**json.loads(key.export_public()), **extra}
    # The private JWK carries the operations of the private half.
    private["key_ops"] = ["unwrapKey"] if purpose == "encryption" else ["sign"]
    return public, private


def reissue_certificate(
    public: dict[str, Any], private: dict[str, Any], purpose: Purpose, *, days: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the key pair with a new self-signed certificate valid ``days`` more days.

    The sandbox's key that expires soon: the same key, a certificate that ends earlier.
    """
    fields = {k: v for k, v in private.items() if k not in ("key_ops", "x5c", "alg", "kid")}
    pem = jwk.JWK(**fields).export_to_pem(private_key=True, password=None)
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("an RSA key is needed")
    chain = [_der_b64(_leaf_certificate_for(key, str(public.get("kid")), purpose, days, None))]
    return {**public, "x5c": chain}, {**private, "x5c": chain}


def _leaf_certificate(data: dict[str, Any]) -> x509.Certificate:
    chain = data.get("x5c")
    if not isinstance(chain, list) or not chain:
        raise CryptoError(NO_X5C())
    try:
        return x509.load_der_x509_certificate(base64.b64decode(chain[0]))
    except (ValueError, TypeError) as error:
        raise CryptoError(X5C_UNREADABLE()) from error


def check_jwk(
    data: dict[str, Any],
    purpose: Purpose,
    *,
    self_signed_allowed: bool,
    now: datetime | None = None,
) -> list[Finding]:
    """Check a public JWK against FIT-Connect's rules; return one finding per rule."""
    now = now or datetime.now(UTC)
    findings: list[Finding] = []

    def add(ok: bool, rule: str, good: Text, bad: Text, status: FindingStatus = "failed") -> None:
        findings.append(Finding("ok" if ok else status, rule, good if ok else bad))

    try:
        jwk.JWK(**data)
    except Exception as error:  # jwcrypto raises several types for malformed keys
        return [Finding("failed", "jwk", NOT_A_JWK(error=str(error)))]
    add(data.get("kty") == "RSA", "kty", KTY_OK(), KTY_BAD(kty=_shown(data.get("kty"))))
    add(
        data.get("alg") == ALG[purpose],
        "alg",
        ALG_OK(alg=ALG[purpose]),
        ALG_BAD(actual=_shown(data.get("alg")), alg=ALG[purpose]),
    )
    add(
        data.get("key_ops") == KEY_OPS[purpose],
        "key_ops",
        KEY_OPS_OK(key_ops=KEY_OPS[purpose]),
        KEY_OPS_BAD(actual=_shown(data.get("key_ops")), key_ops=KEY_OPS[purpose]),
    )
    add(data.get("e") == "AQAB", "e", E_OK(), E_BAD(e=_shown(data.get("e"))))
    bits = _b64url_uint(data["n"]).bit_length() if isinstance(data.get("n"), str) else 0
    add(
        bits >= MIN_MODULUS_BITS,
        "n",
        N_OK(bits=bits),
        N_BAD(bits=bits, minimum=MIN_MODULUS_BITS),
    )
    kid = data.get("kid")
    add(isinstance(kid, str) and 8 <= len(kid) <= 64, "kid", KID_OK(), KID_BAD())
    try:
        certificate = _leaf_certificate(data)
    except CryptoError as error:
        findings.append(Finding("failed", "x5c", error.text))
        return findings
    findings.append(Finding("ok", "x5c", X5C_OK()))
    public = certificate.public_key()
    same = (
        isinstance(public, rsa.RSAPublicKey)
        and isinstance(data.get("n"), str)
        and public.public_numbers().n == _b64url_uint(data["n"])
        and public.public_numbers().e == _b64url_uint(data.get("e", ""))
    )
    add(same, "x5c_key", X5C_KEY_OK(), X5C_KEY_BAD())
    not_before, not_after = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    if now < not_before:
        findings.append(Finding("failed", "validity", NOT_YET_VALID(date=f"{not_before:%d.%m.%Y}")))
    elif now > not_after:
        findings.append(Finding("failed", "validity", EXPIRED(date=f"{not_after:%d.%m.%Y}")))
    elif not_after - now < EXPIRY_WARNING:
        days = (not_after - now).days
        findings.append(
            Finding("warning", "validity", EXPIRES_SOON(days=days, date=f"{not_after:%d.%m.%Y}"))
        )
    else:
        findings.append(Finding("ok", "validity", VALID_UNTIL(date=f"{not_after:%d.%m.%Y}")))
    if certificate.issuer == certificate.subject:
        # FITKO: the test environment needs no V-PKI certificates, so there it is fine.
        findings.append(
            Finding("ok", "self_signed", SELF_SIGNED_TEST())
            if self_signed_allowed
            else Finding("failed", "self_signed", SELF_SIGNED())
        )
    return findings


def certificate_expiry(data: dict[str, Any]) -> datetime | None:
    """Return when the JWK's leaf certificate expires, or None without a readable x5c."""
    try:
        return _leaf_certificate(data).not_valid_after_utc
    except CryptoError:
        return None


def encrypt_jwe(payload: bytes, public_jwk: dict[str, Any], content_type: str | None = None) -> str:
    """Encrypt for a destination: RSA-OAEP-256 with A256GCM, kid of the destination's key."""
    header: dict[str, str] = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": public_jwk["kid"]}
    if content_type:
        header["cty"] = content_type
    key = jwk.JWK(**{k: v for k, v in public_jwk.items() if k not in ("key_ops",)})
    token = jwe.JWE(payload, protected=json_encode(header))
    token.add_recipient(key)
    return str(token.serialize(compact=True))


def decrypt_jwe(token: str, private_jwk: dict[str, Any]) -> bytes:
    key = jwk.JWK(**{k: v for k, v in private_jwk.items() if k not in ("key_ops",)})
    message = jwe.JWE()
    try:
        message.deserialize(token, key=key)
    except Exception as error:
        raise CryptoError(UNDECRYPTABLE()) from error
    return bytes(message.payload)


def sign_jws(payload: dict[str, Any], private_jwk: dict[str, Any], typ: str) -> str:
    key = jwk.JWK(**{k: v for k, v in private_jwk.items() if k not in ("key_ops",)})
    token = jws.JWS(json.dumps(payload, separators=(",", ":")).encode())
    token.add_signature(
        key, alg="PS512", protected={"alg": "PS512", "typ": typ, "kid": private_jwk["kid"]}
    )
    return str(token.serialize(compact=True))


def _header(token: str) -> dict[str, Any]:
    try:
        encoded = token.split(".")[0]
        return json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))  # type: ignore[no-any-return]
    except (ValueError, IndexError) as error:
        raise CryptoError(NOT_A_JWS()) from error


def unverified_payload(token: str) -> dict[str, Any]:
    """Return a JWS's payload WITHOUT verifying it: only to learn who claims to have signed it."""
    try:
        encoded = token.split(".")[1]
        payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, IndexError) as error:
        raise CryptoError(NOT_A_JWS()) from error
    if not isinstance(payload, dict):
        raise CryptoError(NOT_AN_OBJECT())
    return payload


def verify_jws(token: str, keys: list[dict[str, Any]], typ: str | None = None) -> dict[str, Any]:
    """Verify a PS512 JWS against the key with its kid; return the payload."""
    header = _header(token)
    if header.get("alg") != "PS512":
        raise CryptoError(WRONG_ALG(alg=_shown(header.get("alg"))))
    if typ is not None and header.get("typ") != typ:
        raise CryptoError(WRONG_TYP(actual=_shown(header.get("typ")), typ=typ))
    matching = [k for k in keys if k.get("kid") == header.get("kid")]
    if not matching:
        raise CryptoError(UNKNOWN_KID(kid=_shown(header.get("kid"))))
    key = jwk.JWK(**{k: v for k, v in matching[0].items() if k not in ("key_ops",)})
    message = jws.JWS()
    try:
        message.deserialize(token)
        message.verify(key, alg="PS512")
    except Exception as error:
        raise CryptoError(BAD_SIGNATURE()) from error
    try:
        payload = json.loads(message.payload)
    except ValueError as error:
        raise CryptoError(NOT_JSON()) from error
    if not isinstance(payload, dict):
        raise CryptoError(NOT_AN_OBJECT())
    return payload


def make_set(
    *,
    issuer: str,
    submission_id: str,
    case_id: str,
    event: str,
    details: dict[str, Any] | None = None,
    schema_version: str = "1.0.0",
) -> dict[str, Any]:
    """Return the payload of a Security Event Token for an event of a submission."""
    return {
        "$schema": SET_PAYLOAD_SCHEMA.format(version=schema_version),
        "iss": issuer,
        "iat": int(time.time()),
        "jti": str(uuid.uuid4()),
        "sub": f"submission:{submission_id}",
        "txn": f"case:{case_id}",
        "events": {f"{EVENT_PREFIX}{event}": details or {}},
    }


def verify_set(
    token: str, keys: list[dict[str, Any]], *, submission_id: str, case_id: str
) -> dict[str, Any]:
    """Verify a SET's type, PS512 signature, subject and transaction; return its payload."""
    payload = verify_jws(token, keys, typ=SET_TYPE)
    if payload.get("sub") != f"submission:{submission_id}":
        raise CryptoError(OTHER_SUBMISSION(sub=_shown(payload.get("sub"))))
    if payload.get("txn") != f"case:{case_id}":
        raise CryptoError(OTHER_CASE(txn=_shown(payload.get("txn"))))
    events = payload.get("events")
    if not isinstance(events, dict) or len(events) != 1:
        raise CryptoError(NOT_ONE_EVENT())
    return payload


def event_name(payload: dict[str, Any]) -> str:
    """Return the short event name of a verified SET payload, e.g. ``accept-submission``."""
    (uri,) = payload["events"].keys()
    return str(uri).removeprefix(EVENT_PREFIX)


def sha512_hex(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


def callback_signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return the hex HMAC-SHA-512 of ``<timestamp>.<body>`` with the callback secret."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha512).hexdigest()


def verify_callback(
    secret: str, timestamp: str, signature: str, body: bytes, *, now: float | None = None
) -> bool:
    """Return whether a callback is authentic and at most five minutes old."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - sent) > CALLBACK_MAX_AGE:
        return False
    return hmac.compare_digest(callback_signature(secret, sent, body), signature.lower())
