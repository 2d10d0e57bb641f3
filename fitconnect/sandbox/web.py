"""The HTTP vocabulary of the sandbox's handlers: the request they see, the answers they give.

Handlers are plain synchronous functions from a ``Call`` to a Starlette ``Response``;
``route`` turns one into a Starlette route that reads the body first and then runs the
handler in the thread pool, so that signing and decrypting never block the event loop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fitconnect import demo
from fitconnect.constants import ROUTING_PROBLEMS, SUBMISSION_PROBLEMS

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
ROUTING_PREFIX = "/routing-api/"
# Where the request middleware leaves what it learnt about a request (see ``Incoming``).
INCOMING = "fitconnect.sandbox.incoming"


urls = demo.sandbox_urls  # one URL layout, shared with the demo data


@dataclass(frozen=True)
class Incoming:
    """A request as the middleware found it, before the fault prefix was stripped."""

    fault: str | None
    path: str  # without the fault prefix and the query, as sent (percent-encoded)
    instance: str  # absolute URL of the request, for problem details

    @classmethod
    def of(cls, scope: MutableMapping[str, Any]) -> Incoming:
        incoming = scope.get("state", {}).get(INCOMING)
        if not isinstance(incoming, cls):
            raise RuntimeError("The sandbox's request middleware did not run.")
        return incoming


@dataclass(frozen=True)
class Call:
    """One request, fully read: what a synchronous handler needs."""

    method: str
    path: str  # without the fault prefix and the query
    query: QueryParams
    headers: Headers  # case-insensitive
    body: bytes
    fault: str | None
    instance: str
    params: dict[str, str]  # path parameters

    @classmethod
    async def of(cls, request: Request) -> Call:
        incoming = Incoming.of(request.scope)
        return cls(
            method=request.method,
            path=incoming.path,
            query=request.query_params,
            headers=request.headers,
            body=await request.body(),
            fault=incoming.fault,
            instance=incoming.instance,
            params={name: str(value) for name, value in request.path_params.items()},
        )


Handler = Callable[[Call], Response]


def route(method: str, path: str, handler: Handler) -> Route:
    """Return a Starlette route that answers ``method path`` with a synchronous handler."""

    async def endpoint(request: Request) -> Response:
        call = await Call.of(request)
        return await run_in_threadpool(handler, call)

    return Route(path, endpoint, methods=[method], name=f"{method} {path}")


def json_response(
    status: int,
    data: Any,
    media_type: str = JSON,
    headers: dict[str, str] | None = None,
) -> Response:
    body = json.dumps(data, ensure_ascii=False).encode()
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def problem(
    status: int,
    name: str,
    title: str,
    detail: str | None = None,
    *,
    call: Call | Incoming | None = None,
    prefix: str = SUBMISSION_PROBLEMS,
    headers: dict[str, str] | None = None,
) -> Response:
    """Return problem details (RFC 9457) of type ``prefix + name``."""
    data: dict[str, Any] = {"type": prefix + name, "title": title, "status": status}
    if detail:
        data["detail"] = detail
    if call is not None:
        data["instance"] = call.instance
    return json_response(status, data, PROBLEM_JSON, headers)


def oauth_error(status: int, error: str, description: str) -> Response:
    data = {"error": error, "error_description": description}
    return json_response(status, data, headers={"Cache-Control": "no-store"})


def unauthorized(call: Call | Incoming, detail: str | None) -> Response:
    return problem(
        401,
        "unauthorized",
        "Nicht authentifiziert",
        detail,
        call=call,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def paging(call: Call, *, routing: bool = False) -> tuple[int, int] | Response:
    """Return (offset, limit) from the query: offset >= 0, 1 <= limit <= 500, default 100."""
    values: list[int] = []
    for name, default, low, high in (("offset", 0, 0, 2**31 - 1), ("limit", 100, 1, 500)):
        given = call.query.getlist(name) or [str(default)]
        try:
            value = int(given[0])
        except ValueError:
            value = -1
        if len(given) > 1 or not re.fullmatch(r"-?[0-9]+", given[0]) or not low <= value <= high:
            detail = f"{name} muss eine ganze Zahl von {low} bis {high} sein."
            prefix = ROUTING_PROBLEMS if routing else SUBMISSION_PROBLEMS
            return problem(
                400, "invalid-parameter", "Ungültige Anfrage", detail, call=call, prefix=prefix
            )
        values.append(value)
    return values[0], values[1]


def nested(data: Any, *keys: str) -> Any:
    """Return ``data[k1][k2]...``, or None where a level is missing or not an object."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def body_json(call: Call) -> dict[str, Any] | Response:
    try:
        data = json.loads(call.body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        detail = "Der Inhalt muss ein JSON-Objekt sein."
        return problem(400, "invalid-request", "Ungültige Anfrage", detail, call=call)
    return data
