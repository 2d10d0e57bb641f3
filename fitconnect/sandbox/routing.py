"""The Routing API as in ``routing-api.yaml``: routes, areas, info, and its rate limit.

Region matching: a destination region (an ARS) matches a query when one key is a prefix of
the other, i.e. when one area contains the other. ``ars=06`` (Hessen) finds destinations
for Hanau (``064350014014``), and ``ars=064350014014`` finds a destination responsible for
the whole Main-Kinzig-Kreis (``06435``). An AGS is compared the same way with the AGS
derived from the region's ARS (first 5 digits + last 3 digits).
"""

from __future__ import annotations

import math
import re
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import Response
from starlette.routing import Route

from fitconnect.constants import LEIKA_URN_PREFIX, REGION_URN_PREFIX, ROUTING_PROBLEMS

from .faults import RATE_LIMIT
from .keys import sign
from .state import Area, Destination, State
from .web import Call, json_response, paging, problem, route

RATE_WINDOW = 60
VERSION = {"major": 2, "minor": 0, "patch": 0}  # info.version of routing-api.yaml

# Patterns of routing-api.yaml, used with search() like JSON Schema; ECMA's "$" is "\Z" here
# (Python's "$" would also match before a trailing newline).
_LEIKA = re.compile(r"^99\d{12}\Z", re.ASCII)
_AGS = re.compile(r"^(\d{2}|\d{3}|\d{5}|\d{8})\Z", re.ASCII)
_ARS = re.compile(r"^(\d{2}|\d{3}|\d{5}|\d{9}|\d{12})\Z", re.ASCII)
_AREA_ID = re.compile(r"^\d{1,}", re.ASCII)
# The same language as the spec's ``^(\*?([^\*]{2,})\*?)*$`` without its nested quantifier,
# which backtracks exponentially on a long term that fails to match.
_SEARCH_TERM = re.compile(r"(?:\*?[^*]{2,}(?:\*{1,2}[^*]{2,})*\*?)?")


class RateWindow:
    """One fixed window of ``RATE_LIMIT`` requests per ``RATE_WINDOW`` seconds, for all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._start = 0.0
        self._count = 0

    def headers(self, *, count: bool) -> dict[str, str]:
        """Return the RateLimit headers; with ``count``, after counting one more request."""
        with self._lock:
            now = time.monotonic()
            if now - self._start >= RATE_WINDOW:
                self._start, self._count = now, 0
            if count:
                self._count += 1
            reset = max(1, math.ceil(self._start + RATE_WINDOW - now))
            return {
                "RateLimit-Limit": str(RATE_LIMIT),
                "RateLimit-Remaining": str(max(0, RATE_LIMIT - self._count)),
                "RateLimit-Reset": str(reset),
            }


def too_many_requests(headers: dict[str, str]) -> Response:
    """Return the Routing API's 429 answer once the window is used up."""
    title = "Zu viele Anfragen"
    body = {"type": ROUTING_PROBLEMS + "too-many-requests", "title": title, "status": 429}
    return json_response(429, body, headers={"Retry-After": headers["RateLimit-Reset"], **headers})


class RoutingApi:
    """The Routing API under ``/routing-api/<version>``.

    v1 is routing-api.yaml. No FITKO source names a ``/v2`` of the Routing API; v2 serves the
    same routes and bodies under ``/v2``, for environments set to it (served-apis.json).
    """

    def __init__(self, state: State, version: str = "v1") -> None:
        self.state = state
        self.version = version

    def routes(self) -> list[Route]:
        base = f"/routing-api/{self.version}"
        return [
            route("GET", base + "/routes", self.find_routes),
            route("GET", base + "/areas", self.search_areas),
            route("GET", base + "/info", self.info),
        ]

    @staticmethod
    def info(call: Call) -> Response:
        return json_response(200, {"version": VERSION})

    def find_routes(self, call: Call) -> Response:
        values: dict[str, str] = {}
        for name in ("leikaKey", "ags", "ars", "areaId"):
            given = call.query.getlist(name)
            if len(given) > 1:
                return _bad_request(call, f"Der Parameter {name} darf nur einmal vorkommen.")
            if given:
                values[name] = given[0]
        if "leikaKey" not in values:
            return _bad_request(call, "Der Parameter leikaKey fehlt.")
        if not _LEIKA.search(values["leikaKey"]):
            return _bad_request(call, "leikaKey muss ^99\\d{12}$ entsprechen.")
        areas = [name for name in ("ags", "ars", "areaId") if name in values]
        if len(areas) != 1:
            return _bad_request(call, "Genau einer der Parameter ags, ars, areaId ist nötig.")
        area_name = areas[0]
        pattern = {"ags": _AGS, "ars": _ARS, "areaId": _AREA_ID}[area_name]
        if not pattern.search(values[area_name]):
            return _bad_request(call, f"{area_name} hat kein gültiges Format.")
        page_of = paging(call, routing=True)
        if isinstance(page_of, Response):
            return page_of
        offset, limit = page_of
        found: list[dict[str, Any]] = []
        if call.fault != "no-route":
            identifier = LEIKA_URN_PREFIX + values["leikaKey"]
            found = self._find(identifier, area_name, values[area_name])
        page = found[offset : offset + limit]
        return json_response(
            200, {"count": len(page), "offset": offset, "totalCount": len(found), "routes": page}
        )

    def _find(self, identifier: str, area_name: str, value: str) -> list[dict[str, Any]]:
        state = self.state
        if area_name == "areaId":
            with state.lock:
                area = next((a for a in state.areas if a.id == value), None)
            if area is None:
                return []
            area_name, value = "ars", area.ars

        def covers(region: str) -> bool:
            key = _ags_of(region) if area_name == "ags" else region
            return key.startswith(value) or value.startswith(key)

        state.ensure_keys()  # the demo destination comes with the keys
        with state.lock:
            destinations = sorted(state.destinations.values(), key=lambda d: d.destination_id)
        return [
            self._route_of(destination)
            for destination in destinations
            if any(
                service.identifier == identifier and any(covers(r) for r in service.regions)
                for service in destination.services
            )
        ]

    def _route_of(self, destination: Destination) -> dict[str, Any]:
        return {
            "destinationId": destination.destination_id,
            "destinationSignature": self._destination_signature(destination),
            "destinationName": destination.name,
            "destinationShortName": destination.name.split(" - ")[0],
            "contactPersons": [
                {"name": "Sandbox-Support", "tel": "+4969000000", "email": "sandbox@example.org"}
            ],
            "address": {
                "street": "Am Markt",
                "houseNumber": "1",
                "zip": "63450",
                "city": "Musterstadt",
            },
            "origin": "Sandbox",
        }

    def _destination_signature(self, destination: Destination) -> str:
        """Return the SSP-signed Adressierungsinformationen of a destination (cached)."""
        state = self.state
        cache_key = (destination.destination_id, state.base)
        with state.lock:
            cached = state.signatures.get(cache_key)
        if cached is not None:
            return cached
        payload = {
            "submissionHost": urlsplit(state.base).netloc,
            "iss": state.base + "/ssp",
            "services": [
                {
                    "gebietIDs": [REGION_URN_PREFIX + ars for ars in service.regions],
                    "leistungIDs": [service.identifier],
                }
                for service in destination.services
            ],
            "destinationId": destination.destination_id,
            "iat": int(time.time()),
            "jti": str(uuid.uuid4()),
        }
        signature = sign(payload, state.keys["ssp"].private, typ="jwt")
        with state.lock:
            state.signatures[cache_key] = signature
        return signature

    def search_areas(self, call: Call) -> Response:
        terms = call.query.getlist("areaSearchexpression")
        if not 1 <= len(terms) <= 10:
            return _bad_request(call, "areaSearchexpression: 1 bis 10 Suchbegriffe nötig.")
        if not all(term and _SEARCH_TERM.fullmatch(term) for term in terms):
            detail = "Jeder Suchbegriff braucht mindestens 2 Zeichen (außer dem Platzhalter *)."
            return _bad_request(call, detail)
        page_of = paging(call, routing=True)
        if isinstance(page_of, Response):
            return page_of
        offset, limit = page_of
        matchers = [
            re.compile(".*".join(re.escape(part) for part in term.split("*")), re.IGNORECASE)
            for term in terms
        ]
        with self.state.lock:
            areas = list(self.state.areas)
        found = [
            {"id": area.id, "name": area.name, "type": area.type}
            for area in sorted(areas, key=lambda a: a.name)
            if all(_area_matches(area, matcher) for matcher in matchers)
        ]
        page = found[offset : offset + limit]
        # routing-api.yaml declares this 200 body as application/problem+json.
        return json_response(
            200,
            {"count": len(page), "offset": offset, "totalCount": len(found), "areas": page},
            "application/problem+json",
        )


def _bad_request(call: Call, detail: str) -> Response:
    return problem(
        400, "invalid-parameter", "Ungültige Anfrage", detail, call=call, prefix=ROUTING_PROBLEMS
    )


def _area_matches(area: Area, matcher: re.Pattern[str]) -> bool:
    words = [area.name, *re.split(r"[\s,()/-]+", area.name), *area.zips]
    return any(word and matcher.fullmatch(word) for word in words)


def _ags_of(ars: str) -> str:
    """Return the AGS of an area given by its ARS (a Gemeindeverband maps to its Kreis)."""
    if len(ars) == 12:
        return ars[:5] + ars[9:]
    return ars[:5] if len(ars) == 9 else ars
