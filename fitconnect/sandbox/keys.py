"""The sandbox's keys: generated from a sandbox CA, kept in the state file, served as JWKS.

Five key pairs: ``auth`` signs access tokens, ``zustelldienst`` the Submission API's SETs,
``ssp`` the Routing API's ``destinationSignature``; ``encryption`` and ``signature`` belong
to the demo destination, whose certificates a sandbox CA issues as the V-PKI would.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwe, jwk, jws
from starlette.responses import Response
from starlette.routing import Route

from fitconnect import crypto, demo

from .web import Call, json_response, route

if TYPE_CHECKING:
    from .state import State

logger = logging.getLogger(__name__)

ZUSTELLDIENST_KID = "sandbox-zustelldienst-1"
SSP_KID = "sandbox-ssp-1"
AUTH_KID = "sandbox-auth-1"
STATE_VERSION = 3  # 3: the sandbox CA names its key usage (keyCertSign), as a V-PKI CA does
KEY_SPECS: dict[str, tuple[crypto.Purpose, str, str]] = {
    "auth": ("signature", "FIT-Connect Sandbox Auth", AUTH_KID),
    "zustelldienst": ("signature", "FIT-Connect Sandbox Zustelldienst", ZUSTELLDIENST_KID),
    "ssp": ("signature", "FIT-Connect Sandbox Self-Service-Portal", SSP_KID),
    "encryption": ("encryption", "Stadt Musterstadt Gewerbe (Sandbox)", demo.ENCRYPTION_KID),
    "signature": ("signature", "Stadt Musterstadt Gewerbe (Sandbox)", demo.SIGNATURE_KID),
}


@dataclass(frozen=True)
class KeyPair:
    public: dict[str, Any]
    private: dict[str, Any]


# --- the state file -------------------------------------------------------------------------


def load_keys(state_file: Path | None) -> dict[str, KeyPair]:
    """Load the sandbox's keys from the state file; generate (and store) missing ones."""
    keys = _read_keys(state_file)
    missing = [name for name in KEY_SPECS if name not in keys]
    if missing:
        started = time.monotonic()
        # The destination's certificates come from a sandbox CA, as production ones come
        # from the V-PKI: the chain in x5c is leaf plus CA, and the leaf is not self-signed.
        authority = (
            crypto.CertificateAuthority.create("FIT-Connect Sandbox CA")
            if {"encryption", "signature"} & set(missing)
            else None
        )

        def generate(name: str) -> KeyPair:
            purpose, common_name, kid = KEY_SPECS[name]
            issuer = authority if name in ("encryption", "signature") else None
            return KeyPair(*crypto.generate_key_pair(purpose, common_name, kid=kid, issuer=issuer))

        with ThreadPoolExecutor(max_workers=len(missing)) as pool:
            keys.update(zip(missing, pool.map(generate, missing), strict=True))
        logger.info("Generated %d sandbox keys in %.1f s", len(missing), time.monotonic() - started)
        if state_file is not None:
            _write_keys(state_file, keys)
    return keys


def _read_keys(state_file: Path | None) -> dict[str, KeyPair]:
    if state_file is None or not state_file.exists():
        return {}
    try:
        data = json.loads(state_file.read_text(encoding="utf-8"))
        stored = data.get("keys", {})
    except (OSError, ValueError, AttributeError):
        logger.warning("Ignoring unreadable sandbox state file %s", state_file)
        return {}
    if data.get("version") != STATE_VERSION:
        return {}  # keys of an older layout are generated anew
    keys: dict[str, KeyPair] = {}
    for name, (_, _, kid) in KEY_SPECS.items():
        pair = stored.get(name)
        public = pair.get("public") if isinstance(pair, dict) else None
        if isinstance(public, dict) and public.get("kid") == kid:
            keys[name] = KeyPair(public, pair["private"])
    return keys


def _write_keys(state_file: Path, keys: dict[str, KeyPair]) -> None:
    state_file.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "version": STATE_VERSION,
        "keys": {n: {"public": k.public, "private": k.private} for n, k in keys.items()},
    }
    temporary = state_file.with_name(state_file.name + ".tmp")
    temporary.touch(mode=0o600)
    temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
    temporary.replace(state_file)


# --- signing and decrypting with the sandbox's own keys -------------------------------------


def weak_key() -> KeyPair:
    """Return a 2048-bit key without certificate: the material of the key faults."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key = jwk.JWK.from_pem(pem)
    return KeyPair(json.loads(key.export_public()), json.loads(key.export_private()))


_KEY_CACHE: dict[str, jwk.JWK] = {}
_KEY_CACHE_LOCK = threading.Lock()


def _private_jwk(data: dict[str, Any]) -> jwk.JWK:
    """Return a cached jwcrypto key for one of the sandbox's own private JWKs.

    ``crypto.sign_jws`` and ``crypto.decrypt_jwe`` rebuild the key and re-validate the
    RSA-4096 private key on every call (about 0.4 s each); the sandbox signs and decrypts
    often, so it keeps the loaded keys and skips the check for keys it generated itself.
    """
    cache_key = f"{data.get('kid')}:{data.get('n')}"
    with _KEY_CACHE_LOCK:
        key = _KEY_CACHE.get(cache_key)
        if key is None:
            key = jwk.JWK(**{k: v for k, v in data.items() if k != "key_ops"})
            key.unsafe_skip_rsa_key_validation = True
            _KEY_CACHE[cache_key] = key
        return key


def sign(payload: dict[str, Any], private: dict[str, Any], typ: str) -> str:
    """Sign like ``crypto.sign_jws`` (PS512, header alg/typ/kid) with a cached key."""
    token = jws.JWS(json.dumps(payload, separators=(",", ":")).encode())
    header = {"alg": "PS512", "typ": typ, "kid": private["kid"]}
    token.add_signature(_private_jwk(private), alg="PS512", protected=header)
    return str(token.serialize(compact=True))


def decrypt(token: str, private: dict[str, Any]) -> bytes:
    """Decrypt like ``crypto.decrypt_jwe`` with a cached key."""
    message = jwe.JWE()
    try:
        message.deserialize(token, key=_private_jwk(private))
    except Exception as error:  # jwcrypto raises several types for bad tokens
        raise crypto.CryptoError(crypto.UNDECRYPTABLE()) from error
    return bytes(message.payload)


# --- public keys as served, and the JWKS endpoints -------------------------------------------


def public_key(state: State, key: dict[str, Any], fault: str | None) -> dict[str, Any]:
    """Return a public JWK, broken as the key faults ask."""
    if fault == "wrong-key":
        return {**key, "n": state.weak.public["n"]}  # 2048 bit, and x5c no longer matches
    if fault == "wrong-key-x5c":
        other = next(p for p in state.keys.values() if p.public["kid"] != key["kid"])
        return {**key, "x5c": other.public["x5c"]}
    return key


def routes(state: State) -> list[Route]:
    """The JWKS of the Zustelldienst (SET signatures) and of the SSP (destinationSignature)."""

    def jwks(name: str) -> Callable[[Call], Response]:
        def handler(call: Call) -> Response:
            return json_response(
                200, {"keys": [public_key(state, state.keys[name].public, call.fault)]}
            )

        return handler

    return [
        route("GET", "/submission-api/.well-known/jwks.json", jwks("zustelldienst")),
        route("GET", "/ssp/.well-known/jwks.json", jwks("ssp")),
    ]
