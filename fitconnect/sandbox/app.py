"""The sandbox as one Starlette app: its routes, and what every request passes first.

``RequestMiddleware`` does what no single route can: it refuses bodies that are chunked or
too large, strips a ``/fault/<mode>/`` prefix, delays ``slow`` requests, answers HTTP
faults, applies the Routing API's rate limit and logs one line per request. Problem details
replace Starlette's plain-text 404, 405 and 500 answers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from pathlib import Path
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fitconnect.constants import ROUTING_PROBLEMS

from . import fachverfahren, keys, oauth
from .faults import (
    FAULT_MODES,
    FAULT_PREFIX,
    HTTP_FAULTS,
    http_fault,
    parse_fault,
    slow_seconds,
    unknown_fault,
)
from .routing import RateWindow, RoutingApi, too_many_requests
from .state import State
from .submission import SubmissionApi
from .web import INCOMING, ROUTING_PREFIX, Call, Incoming, json_response, problem, route, urls

logger = logging.getLogger(__name__)

# What the sandbox serves and the description each API is held to (served-apis.json).
SERVED_APIS = json.loads((Path(__file__).parent / "served-apis.json").read_text(encoding="utf-8"))

MAX_BODY = 16 * 1024 * 1024
# Where the server puts a callable that closes the request's connection (the close fault).
HANG_UP = "fitconnect.sandbox.hang_up"
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def build_app(state: State, stopping: threading.Event) -> Starlette:
    """Return the ASGI app of a sandbox; ``stopping`` cuts ``slow`` delays short."""

    def index(_call: Call) -> Response:
        data = {
            "sandbox": "FIT-Connect",
            "urls": urls(state.base),
            "faultModes": FAULT_MODES,
            "servedApis": SERVED_APIS["apis"],
        }
        return json_response(200, data)

    app = Starlette(
        routes=[
            route("GET", "/", index),
            *oauth.routes(state),
            *keys.routes(state),
            *SubmissionApi(state, "v1").routes(),
            *SubmissionApi(state, "v2").routes(),
            *RoutingApi(state, "v1").routes(),
            *RoutingApi(state, "v2").routes(),
            *fachverfahren.routes(state),
        ],
        middleware=[Middleware(RequestMiddleware, state=state, stopping=stopping)],
        exception_handlers={404: _not_found, 405: _method_not_allowed},
    )
    app.router.redirect_slashes = False  # /token/ is not /token
    return app


async def _not_found(request: Request, _exc: Exception) -> Response:
    incoming = Incoming.of(request.scope)
    if incoming.path.startswith(ROUTING_PREFIX):
        return problem(
            404, "not-found", "Pfad nicht gefunden", call=incoming, prefix=ROUTING_PROBLEMS
        )
    return problem(404, "not-found", "Pfad nicht gefunden", incoming.path, call=incoming)


async def _method_not_allowed(request: Request, _exc: Exception) -> Response:
    path = request.scope["path"]
    allowed = [
        method
        for candidate in request.app.routes
        if isinstance(candidate, Route) and candidate.path_regex.match(path)
        for method in _METHODS
        if method in (candidate.methods or ())
    ]
    return problem(
        405,
        "method-not-allowed",
        "Methode nicht erlaubt",
        call=Incoming.of(request.scope),
        headers={"Allow": ", ".join(allowed)},
    )


class RequestMiddleware:
    """Limits, fault prefix, HTTP faults, the Routing API's rate limit, and the log."""

    def __init__(self, app: ASGIApp, *, state: State, stopping: threading.Event) -> None:
        self.app = app
        self.state = state
        self.stopping = stopping
        self.rate = RateWindow()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        target = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        status: int | None = None

        async def logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._dispatch(scope, receive, logged, target)
        except Exception:
            logger.exception("Sandbox error on %s %s", method, target)
            if status is None:
                error = problem(500, "internal-server-error", "Interner Serverfehler")
                await error(scope, receive, logged)
        if status is None:
            logger.info("%s %s closed without answer", method, target)
        else:
            logger.info("%s %s %d", method, target, status)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send, target: str) -> None:
        headers = Headers(scope=scope)
        if "chunked" in headers.get("transfer-encoding", "").lower():
            await Response(status_code=411, headers={"Connection": "close"})(scope, receive, send)
            return
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            await Response(status_code=413, headers={"Connection": "close"})(scope, receive, send)
            return
        path, fault = target, self.state.fault
        prefixed = FAULT_PREFIX.fullmatch(target)
        if prefixed:
            path = prefixed[2] or "/"
            try:
                fault = parse_fault(prefixed[1])
            except ValueError as error:
                await unknown_fault(error)(scope, receive, send)
                return
        incoming = Incoming(fault=fault, path=path, instance=self.state.base + target)
        scope.setdefault("state", {})[INCOMING] = incoming
        scope["path"], scope["raw_path"] = unquote(path), path.encode("latin-1")
        routing = path.startswith(ROUTING_PREFIX)
        if routing:
            send = self._with_rate_headers(send)
        seconds = slow_seconds(fault)
        if seconds is not None:
            await self._sleep(seconds)
        if fault in HTTP_FAULTS:
            response = http_fault(incoming, routing=routing)
            if response is None:
                await _hang_up(scope)
            else:
                await response(scope, receive, send)
            return
        if routing:
            counted = self.rate.headers(count=True)
            if counted["RateLimit-Remaining"] == "0":
                await too_many_requests(counted)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _with_rate_headers(self, send: Send) -> Send:
        """Add the RateLimit headers to every Routing API answer that lacks them."""

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.rate.headers(count=False).items():
                    headers.setdefault(name, value)
            await send(message)

        return sending

    async def _sleep(self, seconds: float) -> None:
        """Wait without blocking other requests; stopping the sandbox ends the wait."""
        deadline = time.monotonic() + seconds
        while not self.stopping.is_set() and (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, 0.1))


async def _hang_up(scope: Scope) -> None:
    """Close the connection without an answer (ASGI itself cannot; the server helps)."""
    scope["state"][HANG_UP]()
    await asyncio.sleep(0)  # let the server notice the closed connection before returning
