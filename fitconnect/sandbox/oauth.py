"""The OAuth token service (client credentials) and the bearer-token check of the APIs."""

from __future__ import annotations

import base64
import hmac
import time
import uuid
from collections.abc import Callable
from typing import Literal
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.routing import Route

from fitconnect import crypto

from .keys import sign
from .state import Client, Role, State
from .web import Call, Handler, json_response, oauth_error, problem, route, unauthorized

TOKEN_LIFETIME = 1800

ClientHandler = Callable[[Call, Client], Response]


def routes(state: State) -> list[Route]:
    return [route("POST", "/token", lambda call: token(state, call))]


def token(state: State, call: Call) -> Response:
    """Issue a signed access token (a JWT) for a client's id and secret."""
    content_type = call.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return oauth_error(400, "invalid_request", "The body must be form-encoded.")
    form = parse_qs(call.body.decode("utf-8", "replace"), keep_blank_values=True)
    grant_type = form.get("grant_type", [""])[0]
    if not grant_type:
        return oauth_error(400, "invalid_request", "grant_type is missing.")
    if grant_type != "client_credentials":
        return oauth_error(400, "unsupported_grant_type", "Only client_credentials.")
    client_id = form.get("client_id", [""])[0]
    secret = form.get("client_secret", [""])[0]
    basic = call.headers.get("authorization", "")
    if basic.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        except ValueError:
            return oauth_error(400, "invalid_request", "Malformed Basic credentials.")
    client = state.client(client_id)
    if client is None or not hmac.compare_digest(client.secret.encode(), secret.encode()):
        return oauth_error(401, "invalid_client", "Unknown client or wrong secret.")
    granted = client.scope
    requested = form.get("scope", [""])[0].split()
    if requested:
        if not set(requested) <= set(client.scope.split()):
            return oauth_error(400, "invalid_scope", "The client lacks a requested scope.")
        granted = " ".join(requested)
    now = int(time.time())
    claims = {
        "iss": state.base,
        "sub": client.client_id,
        "client_id": client.client_id,
        "scope": granted,
        "iat": now,
        "exp": now + TOKEN_LIFETIME,
        "jti": str(uuid.uuid4()),
    }
    access_token = sign(claims, state.keys["auth"].private, typ="JWT")
    return json_response(
        200,
        {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "scope": granted,
        },
        headers={"Cache-Control": "no-store"},
    )


def authenticate(state: State, call: Call) -> Client | Response:
    """Return the client a valid bearer token of this sandbox names, or a 401 answer."""
    header = call.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return unauthorized(call, "Es fehlt ein Bearer-Token.")
    try:
        claims = crypto.verify_jws(header[7:].strip(), [state.keys["auth"].public], typ="JWT")
    except crypto.CryptoError as error:
        return unauthorized(call, str(error))
    expires = claims.get("exp")
    if not isinstance(expires, int) or expires < time.time() or claims.get("iss") != state.base:
        return unauthorized(call, "Das Token ist abgelaufen oder nicht von hier.")
    client = state.client(str(claims.get("sub")))
    if client is None:
        return unauthorized(call, "Der Client ist unbekannt.")
    return client


def authorized(state: State, role: Role | Literal["any"], handler: ClientHandler) -> Handler:
    """Return a handler that first requires a token, of a client in ``role`` unless "any"."""

    def checked(call: Call) -> Response:
        client = authenticate(state, call)
        if isinstance(client, Response):
            return client
        if role != "any" and client.role != role:
            detail = f"Dieser Aufruf ist Clients vom Typ {role} vorbehalten."
            return problem(403, "forbidden", "Keine Berechtigung", detail, call=call)
        return handler(call, client)

    return checked
