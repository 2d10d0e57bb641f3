"""The relying party: discovery, the authorization code flow with PKCE, and the validation
of ID tokens and logout tokens against the provider's JWKS, with jwcrypto and httpx.

Every failure is an ``SsoError`` with a kind (``sso.errors`` turns it into a German page);
nothing here raises anything else for a network fault or a bad token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from django.core.cache import cache
from jwcrypto import jwk, jws
from jwcrypto.common import JWException

from sso.models import IdentityProvider

logger = logging.getLogger(__name__)

TIMEOUT = 5.0
LEEWAY = 60  # seconds of clock difference tolerated
LOGOUT_TOKEN_MAX_AGE = 600
DISCOVERY_SECONDS = 3600
SIGNING_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class SsoError(Exception):
    """A sign-in or logout that cannot go on; ``kind`` names which page explains it."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Flow:
    """What the portal keeps in the session between redirect and callback."""

    state: str
    nonce: str
    verifier: str

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    @classmethod
    def new(cls) -> Flow:
        return cls(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64))


def _get_json(url: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=TIMEOUT, **kwargs)
    except httpx.HTTPError as error:
        raise SsoError("unreachable", f"{url}: {type(error).__name__}") from error
    if response.status_code != 200:
        raise SsoError("unreachable", f"{url}: HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as error:
        raise SsoError("unreachable", f"{url}: no JSON") from error
    if not isinstance(data, dict):
        raise SsoError("unreachable", f"{url}: no JSON object")
    return data


def discovery(provider: IdentityProvider) -> dict[str, Any]:
    key = f"sso:discovery:{provider.pk}:{provider.issuer}"
    found = cache.get(key)
    if found is None:
        found = _get_json(f"{provider.issuer}/.well-known/openid-configuration")
        if found.get("issuer") != provider.issuer:
            raise SsoError("misconfigured", f"discovery names issuer {found.get('issuer')!r}")
        cache.set(key, found, DISCOVERY_SECONDS)
    return dict(found)


def _endpoint(provider: IdentityProvider, name: str) -> str:
    url = discovery(provider).get(name)
    if not isinstance(url, str) or not url:
        raise SsoError("misconfigured", f"no {name}")
    return url


def authorization_url(provider: IdentityProvider, flow: Flow, redirect_uri: str) -> str:
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": provider.scopes,
        "state": flow.state,
        "nonce": flow.nonce,
        "code_challenge": flow.challenge,
        "code_challenge_method": "S256",
    }
    return f"{_endpoint(provider, 'authorization_endpoint')}?{urlencode(query)}"


def end_session_url(provider: IdentityProvider, id_token: str, after: str) -> str | None:
    """Where "Abmelden" sends the browser to end the provider's session, if it offers that."""
    try:
        url = discovery(provider).get("end_session_endpoint")
    except SsoError:
        return None
    if not isinstance(url, str) or not url:
        return None
    query = {"client_id": provider.client_id, "post_logout_redirect_uri": after}
    if id_token:
        query["id_token_hint"] = id_token
    return f"{url}?{urlencode(query)}"


def exchange_code(
    provider: IdentityProvider, code: str, verifier: str, redirect_uri: str
) -> dict[str, Any]:
    """Exchange the code (with the PKCE verifier) for the tokens."""
    secret = provider.client_secret()
    if secret is None:
        raise SsoError("misconfigured", "client secret unreadable (SECRET_ENCRYPTION_KEY?)")
    url = _endpoint(provider, "token_endpoint")
    try:
        response = httpx.post(
            url,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
            auth=(provider.client_id, secret),
            timeout=TIMEOUT,
        )
    except httpx.HTTPError as error:
        raise SsoError("unreachable", f"{url}: {type(error).__name__}") from error
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code != 200 or not isinstance(data, dict) or "id_token" not in data:
        code = data.get("error", "") if isinstance(data, dict) else ""
        raise SsoError("refused", f"token endpoint: HTTP {response.status_code} {code}")
    return data


def userinfo(provider: IdentityProvider, access_token: str) -> dict[str, Any]:
    url = discovery(provider).get("userinfo_endpoint")
    if not isinstance(url, str) or not url:
        return {}
    return _get_json(url, headers={"Authorization": f"Bearer {access_token}"})


# Tokens -----------------------------------------------------------------------------------


def _keys(provider: IdentityProvider, *, refresh: bool = False) -> jwk.JWKSet:
    key = f"sso:jwks:{provider.pk}:{provider.issuer}"
    raw = None if refresh else cache.get(key)
    if raw is None:
        raw = json.dumps(_get_json(_endpoint(provider, "jwks_uri")))
        cache.set(key, raw, DISCOVERY_SECONDS)
    try:
        return jwk.JWKSet.from_json(raw)
    except (JWException, ValueError) as error:
        raise SsoError("misconfigured", "JWKS unreadable") from error


def verified_claims(provider: IdentityProvider, token: str) -> dict[str, Any]:
    """The payload of a JWS the provider signed; a key id not in the cached JWKS makes the
    JWKS be fetched again once (the provider rotated its keys)."""
    signed = jws.JWS()
    try:
        signed.deserialize(token)
        header = signed.jose_header
    except (JWException, ValueError) as error:
        raise SsoError("invalid_token", "not a JWS") from error
    if not isinstance(header, dict) or header.get("alg") not in SIGNING_ALGS:
        raise SsoError("invalid_token", "algorithm not allowed")
    kid = header.get("kid")
    keys = _keys(provider)
    candidates = [keys.get_key(kid)] if kid else list(keys["keys"])
    if kid and candidates[0] is None:
        keys = _keys(provider, refresh=True)
        candidates = [keys.get_key(kid)]
    for candidate in candidates:
        if candidate is None:
            continue
        try:
            signed.verify(candidate, alg=header["alg"])
        except (JWException, ValueError):
            continue
        try:
            payload = json.loads(signed.payload)
        except ValueError as error:
            raise SsoError("invalid_token", "payload is no JSON") from error
        if not isinstance(payload, dict):
            raise SsoError("invalid_token", "payload is no object")
        return payload
    raise SsoError("invalid_token", "signature not verified")


def _check_common(provider: IdentityProvider, claims: dict[str, Any], now: float) -> None:
    if claims.get("iss") != provider.issuer:
        raise SsoError("invalid_token", "iss")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if provider.client_id not in audiences:
        raise SsoError("invalid_token", "aud")
    iat = claims.get("iat")
    if not isinstance(iat, (int, float)):
        raise SsoError("invalid_token", "iat missing")
    if iat > now + LEEWAY:
        raise SsoError("clock_skew", f"iat {iat - now:.0f} s in the future")


def validate_id_token(
    provider: IdentityProvider, token: str, nonce: str, now: float | None = None
) -> dict[str, Any]:
    now = time.time() if now is None else now
    claims = verified_claims(provider, token)
    _check_common(provider, claims, now)
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)):
        raise SsoError("invalid_token", "exp missing")
    if exp < now - LEEWAY:
        raise SsoError("clock_skew", f"expired {now - exp:.0f} s ago")
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != provider.client_id:
        raise SsoError("invalid_token", "azp")
    if not nonce or claims.get("nonce") != nonce:
        raise SsoError("invalid_token", "nonce")
    if not claims.get("sub"):
        raise SsoError("invalid_token", "sub missing")
    return claims


def unverified_issuer(token: str) -> str:
    """The ``iss`` a token claims, only to find which provider's keys verify it."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return ""
    issuer = data.get("iss") if isinstance(data, dict) else None
    return issuer if isinstance(issuer, str) else ""


def validate_logout_token(
    provider: IdentityProvider, token: str, now: float | None = None
) -> dict[str, Any]:
    """OpenID Connect Back-Channel Logout 1.0, section 2.6 (``jti`` once: the caller)."""
    now = time.time() if now is None else now
    claims = verified_claims(provider, token)
    _check_common(provider, claims, now)
    if claims["iat"] < now - LOGOUT_TOKEN_MAX_AGE:
        raise SsoError("invalid_token", "iat too old")
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and exp < now - LEEWAY:
        raise SsoError("invalid_token", "expired")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
        raise SsoError("invalid_token", "no back-channel logout event")
    if "nonce" in claims:
        raise SsoError("invalid_token", "nonce present")
    if not claims.get("sid") and not claims.get("sub"):
        raise SsoError("invalid_token", "neither sid nor sub")
    if not isinstance(claims.get("jti"), str) or not claims["jti"]:
        raise SsoError("invalid_token", "jti missing")
    return claims
