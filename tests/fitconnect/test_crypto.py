"""JWK rules, JWE, SETs, signed addressing information and the callback HMAC."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fitconnect import crypto

Pair = tuple[dict[str, Any], dict[str, Any]]


@pytest.fixture(scope="session")
def encryption_pair() -> Pair:
    return crypto.generate_key_pair("encryption", "Testfachverfahren", kid="enc-key-0001")


@pytest.fixture(scope="session")
def signature_pair() -> Pair:
    return crypto.generate_key_pair("signature", "Testfachverfahren", kid="sig-key-0001")


def statuses(findings: list[crypto.Finding]) -> dict[str, str]:
    return {f.rule: f.status for f in findings}


def test_generated_keys_meet_every_rule(encryption_pair: Pair, signature_pair: Pair) -> None:
    for (public, private), purpose in (
        (encryption_pair, "encryption"),
        (signature_pair, "signature"),
    ):
        result = statuses(crypto.check_jwk(public, purpose, self_signed_allowed=True))  # type: ignore[arg-type]
        # Self-signed is fine in TEST (FITKO needs no V-PKI there): a note, no warning.
        assert result.pop("self_signed") == "ok"
        assert set(result.values()) == {"ok"}, result
        strict = statuses(crypto.check_jwk(public, purpose, self_signed_allowed=False))
        assert strict["self_signed"] == "failed"
        assert "d" not in public
        assert "d" in private
    assert encryption_pair[0]["alg"] == "RSA-OAEP-256"
    assert encryption_pair[0]["key_ops"] == ["wrapKey"]
    assert signature_pair[0]["alg"] == "PS512"
    assert signature_pair[0]["key_ops"] == ["verify"]


def test_self_signed_is_an_error_where_the_environment_forbids_it(encryption_pair: Pair) -> None:
    result = statuses(crypto.check_jwk(encryption_pair[0], "encryption", self_signed_allowed=False))
    assert result["self_signed"] == "failed"


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"kty": "EC"}, "jwk"),  # RSA fields under kty EC: not a valid JWK at all
        ({"alg": "RSA1_5"}, "alg"),
        ({"key_ops": ["encrypt"]}, "key_ops"),
        ({"kid": "short"}, "kid"),
        ({"kid": "x" * 65}, "kid"),
    ],
)
def test_each_field_rule_is_checked(
    encryption_pair: Pair, change: dict[str, Any], rule: str
) -> None:
    data = {**encryption_pair[0], **change}
    result = statuses(crypto.check_jwk(data, "encryption", self_signed_allowed=True))
    assert result[rule] == "failed"


def test_a_signature_key_used_for_encryption_fails_alg_and_key_ops(signature_pair: Pair) -> None:
    result = statuses(crypto.check_jwk(signature_pair[0], "encryption", self_signed_allowed=True))
    assert result["alg"] == "failed"
    assert result["key_ops"] == "failed"


def test_small_modulus_wrong_exponent_missing_or_foreign_certificate(
    encryption_pair: Pair, signature_pair: Pair
) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwcrypto import jwk

    small = json.loads(
        jwk.JWK.from_pyca(rsa.generate_private_key(65537, 2048).public_key()).export_public()
    )
    data = {**encryption_pair[0], "n": small["n"]}
    result = statuses(crypto.check_jwk(data, "encryption", self_signed_allowed=True))
    assert result["n"] == "failed"
    assert result["x5c_key"] == "failed"  # the certificate no longer matches n
    other = {**encryption_pair[0], "x5c": signature_pair[0]["x5c"]}
    assert (
        statuses(crypto.check_jwk(other, "encryption", self_signed_allowed=True))["x5c_key"]
        == "failed"
    )
    no_chain = {k: v for k, v in encryption_pair[0].items() if k != "x5c"}
    assert (
        statuses(crypto.check_jwk(no_chain, "encryption", self_signed_allowed=True))["x5c"]
        == "failed"
    )
    unreadable = {**encryption_pair[0], "x5c": ["bm90IGEgY2VydA=="]}
    assert (
        statuses(crypto.check_jwk(unreadable, "encryption", self_signed_allowed=True))["x5c"]
        == "failed"
    )


def test_invalid_jwk_is_one_clear_failure() -> None:
    findings = crypto.check_jwk({"kty": "RSA", "n": 5}, "encryption", self_signed_allowed=True)
    assert [(f.status, f.rule) for f in findings] == [("failed", "jwk")]


def test_expiry_within_30_days_warns_and_expired_fails(encryption_pair: Pair) -> None:
    expiry = crypto.certificate_expiry(encryption_pair[0])
    assert expiry is not None
    soon = expiry - timedelta(days=10)
    later = expiry + timedelta(days=1)
    assert (
        statuses(
            crypto.check_jwk(encryption_pair[0], "encryption", self_signed_allowed=True, now=soon)
        )["validity"]
        == "warning"
    )
    assert (
        statuses(
            crypto.check_jwk(encryption_pair[0], "encryption", self_signed_allowed=True, now=later)
        )["validity"]
        == "failed"
    )
    before = datetime.now(UTC) - timedelta(days=1)
    assert (
        statuses(
            crypto.check_jwk(encryption_pair[0], "encryption", self_signed_allowed=True, now=before)
        )["validity"]
        == "failed"
    )


def test_jwe_round_trip_uses_rsa_oaep_256_a256gcm_and_the_kid(encryption_pair: Pair) -> None:
    token = crypto.encrypt_jwe(
        b'{"antrag": "Gewerbe"}', encryption_pair[0], content_type="application/json"
    )
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {
        "alg": "RSA-OAEP-256",
        "enc": "A256GCM",
        "kid": "enc-key-0001",
        "cty": "application/json",
    }
    assert len(token) >= 776  # FITKO's minimum length for a 4096-bit key
    assert crypto.decrypt_jwe(token, encryption_pair[1]) == b'{"antrag": "Gewerbe"}'
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt_jwe(token[:-5] + "AAAAA", encryption_pair[1])


def test_set_verification_checks_type_signature_subject_and_case(
    signature_pair: Pair, encryption_pair: Pair
) -> None:
    payload = crypto.make_set(
        issuer="dest", submission_id="s-1", case_id="c-1", event="accept-submission"
    )
    token = crypto.sign_jws(payload, signature_pair[1], crypto.SET_TYPE)
    verified = crypto.verify_set(token, [signature_pair[0]], submission_id="s-1", case_id="c-1")
    assert crypto.event_name(verified) == "accept-submission"
    with pytest.raises(crypto.CryptoError, match=r"nicht diese Einreichung"):
        crypto.verify_set(token, [signature_pair[0]], submission_id="s-2", case_id="c-1")
    with pytest.raises(crypto.CryptoError, match="Vorgang"):
        crypto.verify_set(token, [signature_pair[0]], submission_id="s-1", case_id="c-2")
    forged = {**encryption_pair[0], "kid": signature_pair[0]["kid"], "alg": "PS512"}
    with pytest.raises(crypto.CryptoError, match="Signatur"):
        crypto.verify_set(token, [forged], submission_id="s-1", case_id="c-1")
    wrong_type = crypto.sign_jws(payload, signature_pair[1], "jwt")
    with pytest.raises(crypto.CryptoError, match="secevent"):
        crypto.verify_set(wrong_type, [signature_pair[0]], submission_id="s-1", case_id="c-1")
    with pytest.raises(crypto.CryptoError, match="kid"):
        crypto.verify_set(
            token,
            [{**signature_pair[0], "kid": "other-kid-01"}],
            submission_id="s-1",
            case_id="c-1",
        )


def test_callback_hmac_is_sha512_hex_and_refuses_tampering_and_age() -> None:
    now = int(time.time())
    body = b'{"type": "new-submissions"}'
    signature = crypto.callback_signature("geheim", now, body)
    assert len(signature) == 128
    assert crypto.verify_callback("geheim", str(now), signature, body)
    assert not crypto.verify_callback("geheim", str(now), signature, body + b" ")
    assert not crypto.verify_callback("anders", str(now), signature, body)
    stale = now - 301
    assert not crypto.verify_callback(
        "geheim", str(stale), crypto.callback_signature("geheim", stale, body), body
    )
    assert not crypto.verify_callback("geheim", "gestern", signature, body)
