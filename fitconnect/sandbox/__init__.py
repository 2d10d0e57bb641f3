"""A local stand-in ("sandbox") for FIT-Connect's test environment.

One stdlib HTTP server plays every part the portal's verification checks talk to:

- ``POST /token``: the OAuth token service (client credentials, form-encoded);
- ``/submission-api/v1/...``: the Zustelldienst (Submission API v1) and its JWKS at
  ``/submission-api/.well-known/jwks.json``;
- ``/routing-api/v1/...``: the Routing API as in ``routing-api.yaml`` (routes, areas, info);
- ``/ssp/.well-known/jwks.json``: the Self-Service-Portal's key for ``destinationSignature``;
- ``POST /fachverfahren/callback``: the callback receiver of a simulated Fachverfahren;
- a background thread, the simulated Fachverfahren itself: it decrypts each submission to
  a destination whose private keys the sandbox holds and accepts or rejects it with a SET.

Region matching in the Routing API: a destination region (an ARS) matches a query when one
key is a prefix of the other, i.e. when one area contains the other. ``ars=06`` (Hessen)
finds destinations for Hanau (``064350014014``), and ``ars=064350014014`` finds a
destination responsible for the whole Main-Kinzig-Kreis (``06435``). An AGS is compared
the same way with the AGS derived from the region's ARS (first 5 digits + last 3 digits).

Fault modes, global (constructor, ``--fault``) or per request by a path prefix
``/fault/<mode>/`` that is stripped before routing (see ``FAULT_MODES``). HTTP faults
apply to whatever path they prefix; the others alter only their own function.
"""

from __future__ import annotations

import base64
import heapq
import hmac
import itertools
import json
import logging
import math
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwe, jwk, jws

from fitconnect import crypto, demo

logger = logging.getLogger(__name__)

Role = Literal["sender", "subscriber"]

SUBSCRIBE_SCOPE = "https://schema.fitko.de/fit-connect/oauth/scopes/subscribe-destinations"
SEND_SCOPE = "send:region:DE"
LEIKA_PREFIX = "urn:de:fim:leika:leistung:"
GEBIET_PREFIX = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:"
SUBMISSION_PROBLEMS = "https://schema.fitko.de/fit-connect/submission-api/problems/"
# The Routing API's and the events' problem type URIs are not published; these are guesses.
ROUTING_PROBLEMS = "https://schema.fitko.de/fit-connect/routing-api/problems/"
EVENT_PROBLEMS = "https://schema.fitko.de/fit-connect/events/problems/"
CALLBACK_TYPE = "https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions"
ZUSTELLDIENST_KID = "sandbox-zustelldienst-1"
SSP_KID = "sandbox-ssp-1"
AUTH_KID = "sandbox-auth-1"
TOKEN_LIFETIME = 1800
ROUTING_VERSION = {"major": 2, "minor": 0, "patch": 0}  # info.version of routing-api.yaml
RATE_LIMIT = 1000  # routing requests per window, for all clients together
RATE_WINDOW = 60
MAX_BODY = 16 * 1024 * 1024
HUGE_BYTES = 1_600_000
SLOW_SECONDS = 20.0
SUBMITTED = "submitted"

# Faults of the HTTP layer: they replace (or, for slow, delay) the answer of any path.
HTTP_FAULTS = (
    "500",
    "429",
    "401",
    "403",
    "404",
    "html",
    "html-200",
    "malformed",
    "wrong-shape",
    "huge",
    "close",
)
# Faults of one function each; every other answer stays correct.
FUNCTION_FAULTS = ("wrong-key", "wrong-key-x5c", "bad-set", "reject", "inactive", "no-route")
FAULT_MODES = ("slow", "slow-<seconds>", *HTTP_FAULTS, *FUNCTION_FAULTS)
_SLOW = re.compile(r"slow(?:-(\d{1,3}(?:\.\d{1,3})?))?")
_FAULT_PREFIX = re.compile(r"/fault/([^/]+)(/.*)?")

# Patterns of routing-api.yaml, used with search() like JSON Schema; ECMA's "$" is "\Z" here
# (Python's "$" would also match before a trailing newline).
_LEIKA = re.compile(r"^99\d{12}\Z", re.ASCII)
_AGS = re.compile(r"^(\d{2}|\d{3}|\d{5}|\d{8})\Z", re.ASCII)
_ARS = re.compile(r"^(\d{2}|\d{3}|\d{5}|\d{9}|\d{12})\Z", re.ASCII)
_AREA_ID = re.compile(r"^\d{1,}", re.ASCII)
# The same language as the spec's ``^(\*?([^\*]{2,})\*?)*$`` without its nested quantifier,
# which backtracks exponentially on a long term that fails to match.
_SEARCH_TERM = re.compile(r"(?:\*?[^*]{2,}(?:\*{1,2}[^*]{2,})*\*?)?")
_JWE = re.compile(r"[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){4}")
_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def parse_fault(mode: str) -> str:
    """Return a valid fault mode or raise ``ValueError``."""
    if mode in HTTP_FAULTS or mode in FUNCTION_FAULTS or _SLOW.fullmatch(mode):
        return mode
    raise ValueError(f"unknown fault mode {mode!r}; known: {', '.join(FAULT_MODES)}")


def _slow_seconds(mode: str | None) -> float | None:
    match = _SLOW.fullmatch(mode or "")
    if match is None:
        return None
    return float(match[1]) if match[1] else SLOW_SECONDS


urls = demo.sandbox_urls


# --- data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPair:
    public: dict[str, Any]
    private: dict[str, Any]


@dataclass(frozen=True)
class Service:
    key: str
    name: str
    schemas: list[dict[str, str]]
    regions: list[str]  # ARS
    reply_channels: dict[str, Any]

    @property
    def identifier(self) -> str:
        return LEIKA_PREFIX + self.key

    def to_json(self) -> dict[str, Any]:
        return {
            "identifier": self.identifier,
            "submissionSchemas": self.schemas,
            "regions": ["DE" + ars for ars in self.regions],
            "replyChannels": self.reply_channels,
        }


@dataclass
class Destination:
    destination_id: str
    name: str
    services: list[Service]
    encryption_key: dict[str, Any]
    signature_key: dict[str, Any]
    encryption_private: dict[str, Any] | None = None
    signature_private: dict[str, Any] | None = None
    status: str = "active"
    metadata_versions: list[str] = field(default_factory=lambda: list(demo.METADATA_VERSIONS))

    @property
    def simulated(self) -> bool:
        """Whether the simulated Fachverfahren processes this destination's submissions."""
        return self.encryption_private is not None and self.signature_private is not None

    def service(self, identifier: str) -> Service | None:
        return next((s for s in self.services if s.identifier == identifier), None)

    def key(self, kid: str) -> dict[str, Any] | None:
        return next((k for k in (self.encryption_key, self.signature_key) if k["kid"] == kid), None)

    def to_json(self, status: str) -> dict[str, Any]:
        return {
            "destinationId": self.destination_id,
            "status": status,
            "services": [s.to_json() for s in self.services],
            "replyChannels": _common_reply_channels(self.services),
            "encryptionKid": self.encryption_key["kid"],
            "metadataVersions": self.metadata_versions,
        }


@dataclass
class Client:
    client_id: str
    secret: str
    role: Role
    scope: str
    destinations: set[str]


@dataclass
class Event:
    token: str
    payload: dict[str, Any]


@dataclass
class Submission:
    submission_id: str
    case_id: str
    destination_id: str
    sender: str
    service_type: dict[str, Any]
    announced: list[str]
    attachments: dict[str, str] = field(default_factory=dict)
    encrypted_metadata: str | None = None
    encrypted_data: str | None = None
    status: str = "created"
    reject: bool = False
    events: list[Event] = field(default_factory=list)

    def ids(self) -> dict[str, str]:
        return {
            "destinationId": self.destination_id,
            "submissionId": self.submission_id,
            "caseId": self.case_id,
        }


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    type: str
    ars: str
    zips: tuple[str, ...] = ()


DEFAULT_AREAS = (
    Area("6435014", "Hanau", "Sonderstatusstadt", "064350014014", ("63450", "63452", "63454")),
    Area("6435", "Main-Kinzig-Kreis", "Landkreis", "06435"),
    Area("6", "Hessen", "Bundesland", "06"),
    Area("15002", "Halle (Saale)", "Kreisfreie Stadt", "150020000000", ("06108", "06110")),
    Area("15003", "Magdeburg", "Kreisfreie Stadt", "150030000000", ("39104", "39106")),
)


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # without the fault prefix and the query
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    body: bytes
    fault: str | None
    instance: str  # absolute URL of the request, for problem details


def _json(status: int, data: Any, content_type: str = "application/json") -> Reply:
    body = json.dumps(data, ensure_ascii=False).encode()
    return Reply(status, body, content_type)


def _problem(
    status: int,
    name: str,
    title: str,
    detail: str | None = None,
    *,
    call: Call | None = None,
    prefix: str = SUBMISSION_PROBLEMS,
) -> Reply:
    data: dict[str, Any] = {"type": prefix + name, "title": title, "status": status}
    if detail:
        data["detail"] = detail
    if call is not None:
        data["instance"] = call.instance
    return _json(status, data, "application/problem+json")


def _oauth_error(status: int, error: str, description: str) -> Reply:
    reply = _json(status, {"error": error, "error_description": description})
    reply.headers["Cache-Control"] = "no-store"
    return reply


def _common_reply_channels(services: list[Service]) -> dict[str, Any]:
    """Return the deprecated top-level reply channels: those every service offers alike."""
    if not services:
        return {}
    common: dict[str, Any] = {}
    for name, value in services[0].reply_channels.items():
        others = [s.reply_channels[name] for s in services[1:] if name in s.reply_channels]
        if len(others) != len(services) - 1:
            continue
        if name == "fitConnect":
            standards = set(value.get("processStandards", []))
            for other in others:
                standards &= set(other.get("processStandards", []))
            if standards:
                common[name] = {"processStandards": sorted(standards)}
        elif all(other == value for other in others):
            common[name] = value
    return common


def _last_segment(token: str) -> str:
    return token.rsplit(".", 1)[-1]


def _ags_of(ars: str) -> str:
    """Return the AGS of an area given by its ARS (a Gemeindeverband maps to its Kreis)."""
    if len(ars) == 12:
        return ars[:5] + ars[9:]
    return ars[:5] if len(ars) == 9 else ars


def _nested(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


# --- keys -----------------------------------------------------------------------------------

STATE_VERSION = 2
_KEY_SPECS: dict[str, tuple[crypto.Purpose, str, str]] = {
    "auth": ("signature", "FIT-Connect Sandbox Auth", AUTH_KID),
    "zustelldienst": ("signature", "FIT-Connect Sandbox Zustelldienst", ZUSTELLDIENST_KID),
    "ssp": ("signature", "FIT-Connect Sandbox Self-Service-Portal", SSP_KID),
    "encryption": ("encryption", "Stadt Musterstadt Gewerbe (Sandbox)", demo.ENCRYPTION_KID),
    "signature": ("signature", "Stadt Musterstadt Gewerbe (Sandbox)", demo.SIGNATURE_KID),
}


def _read_keys(state_file: Path | None) -> dict[str, KeyPair]:
    if state_file is None or not state_file.exists():
        return {}
    try:
        stored = json.loads(state_file.read_text(encoding="utf-8")).get("keys", {})
    except (OSError, ValueError, AttributeError):
        logger.warning("Ignoring unreadable sandbox state file %s", state_file)
        return {}
    keys: dict[str, KeyPair] = {}
    if json.loads(state_file.read_text(encoding="utf-8")).get("version") != STATE_VERSION:
        return {}  # keys of an older layout are generated anew
    for name, (_, _, kid) in _KEY_SPECS.items():
        pair = stored.get(name)
        if isinstance(pair, dict) and _nested(pair, "public", "kid") == kid:
            keys[name] = KeyPair(pair["public"], pair["private"])
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


def load_keys(state_file: Path | None) -> dict[str, KeyPair]:
    """Load the sandbox's keys from the state file; generate (and store) missing ones."""
    keys = _read_keys(state_file)
    missing = [name for name in _KEY_SPECS if name not in keys]
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
            purpose, common_name, kid = _KEY_SPECS[name]
            issuer = authority if name in ("encryption", "signature") else None
            return KeyPair(*crypto.generate_key_pair(purpose, common_name, kid=kid, issuer=issuer))

        with ThreadPoolExecutor(max_workers=len(missing)) as pool:
            keys.update(zip(missing, pool.map(generate, missing), strict=True))
        logger.info("Generated %d sandbox keys in %.1f s", len(missing), time.monotonic() - started)
        if state_file is not None:
            _write_keys(state_file, keys)
    return keys


def _weak_key() -> KeyPair:
    """Return a 2048-bit key without certificate: the material of the key faults."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key = jwk.JWK.from_pem(pem)
    return KeyPair(json.loads(key.export_public()), json.loads(key.export_private()))


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


def _sign(payload: dict[str, Any], private: dict[str, Any], typ: str) -> str:
    """Sign like ``crypto.sign_jws`` (PS512, header alg/typ/kid) with a cached key."""
    token = jws.JWS(json.dumps(payload, separators=(",", ":")).encode())
    header = {"alg": "PS512", "typ": typ, "kid": private["kid"]}
    token.add_signature(_private_jwk(private), alg="PS512", protected=header)
    return str(token.serialize(compact=True))


def _decrypt(token: str, private: dict[str, Any]) -> bytes:
    """Decrypt like ``crypto.decrypt_jwe`` with a cached key."""
    message = jwe.JWE()
    try:
        message.deserialize(token, key=_private_jwk(private))
    except Exception as error:  # jwcrypto raises several types for bad tokens
        raise crypto.CryptoError(
            "Die verschlüsselten Daten lassen sich nicht entschlüsseln."
        ) from error
    return bytes(message.payload)


_KEY_CACHE: dict[str, jwk.JWK] = {}
_KEY_CACHE_LOCK = threading.Lock()


# --- the server -----------------------------------------------------------------------------

_Handler = Callable[[Call, Client | None, dict[str, str]], Reply]


class Sandbox:
    """FIT-Connect's test environment on one local HTTP server, with fault injection."""

    def __init__(
        self,
        *,
        state_file: Path | None = None,
        fault: str | None = None,
        process_delay: float = 0.2,
    ) -> None:
        self.state_file = state_file
        self.fault = parse_fault(fault) if fault else None
        self.process_delay = process_delay
        self.base = ""
        self.callbacks: list[dict[str, Any]] = []  # bodies of valid callbacks received
        self._lock = threading.RLock()
        self._wakeup = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._keys: dict[str, KeyPair] | None = None
        self._weak: KeyPair | None = None
        self._destinations: dict[str, Destination] = {}
        self._clients: dict[str, Client] = {}
        self._submissions: dict[str, Submission] = {}
        self._cases: dict[str, str] = {}
        self._queue: list[tuple[float, int, str]] = []
        self._sequence = itertools.count()
        self._areas: list[Area] = list(DEFAULT_AREAS)
        self._signatures: dict[tuple[str, str], str] = {}
        self._rate_start = 0.0
        self._rate_count = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self.add_client(
            demo.SUBSCRIBER_CLIENT_ID,
            demo.SUBSCRIBER_CLIENT_SECRET,
            role="subscriber",
            destinations=[demo.DESTINATION_ID],
        )
        self.add_client(demo.SENDER_CLIENT_ID, demo.SENDER_CLIENT_SECRET, role="sender")

    # --- set-up ---

    @property
    def keys(self) -> dict[str, KeyPair]:
        """The sandbox's key pairs by role: auth, zustelldienst, ssp, encryption, signature."""
        return self._ensure_keys()

    def _ensure_keys(self) -> dict[str, KeyPair]:
        with self._lock:
            if self._keys is None:
                self._keys = load_keys(self.state_file)
                if demo.DESTINATION_ID not in self._destinations:
                    self._add_demo_destination(self._keys)
            return self._keys

    def _add_demo_destination(self, keys: dict[str, KeyPair]) -> None:
        self.add_destination(
            destination_id=demo.DESTINATION_ID,
            name="Stadt Musterstadt - Gewerbeamt (Sandbox)",
            services=demo.SERVICES,
            regions=demo.REGIONS,
            encryption_key=keys["encryption"].public,
            signature_key=keys["signature"].public,
            encryption_private_key=keys["encryption"].private,
            signature_private_key=keys["signature"].private,
        )

    def add_destination(
        self,
        *,
        destination_id: str,
        services: list[dict[str, Any]],
        regions: list[str],
        encryption_key: dict[str, Any],
        signature_key: dict[str, Any],
        encryption_private_key: dict[str, Any] | None = None,
        signature_private_key: dict[str, Any] | None = None,
        name: str = "Sandbox-Zustellpunkt",
        status: str = "active",
        metadata_versions: list[str] | None = None,
    ) -> Destination:
        """Register a destination; services as in ``demo.SERVICES``, regions as ARS.

        The simulated Fachverfahren processes its submissions only when both private keys
        are given; without them a test can play the subscriber itself.
        """
        destination = Destination(
            destination_id=destination_id,
            name=name,
            services=[
                Service(
                    key=s["key"],
                    name=s["name"],
                    schemas=[{"schemaUri": s["schema_uri"], "mimeType": s["mime_type"]}],
                    regions=list(s.get("regions", regions)),
                    reply_channels=dict(s.get("reply_channels", {})),
                )
                for s in services
            ],
            encryption_key=encryption_key,
            signature_key=signature_key,
            encryption_private=encryption_private_key,
            signature_private=signature_private_key,
            status=status,
            metadata_versions=list(metadata_versions or demo.METADATA_VERSIONS),
        )
        with self._lock:
            self._destinations[destination_id] = destination
            self._signatures = {k: v for k, v in self._signatures.items() if k[0] != destination_id}
        return destination

    def add_client(
        self,
        client_id: str,
        secret: str,
        *,
        role: Role,
        destinations: list[str] | tuple[str, ...] = (),
        scope: str | None = None,
    ) -> None:
        """Register an API client; a subscriber sees the submissions of its destinations."""
        default = SUBSCRIBE_SCOPE if role == "subscriber" else SEND_SCOPE
        with self._lock:
            self._clients[client_id] = Client(
                client_id, secret, role, scope or default, set(destinations)
            )

    def add_area(self, area: Area) -> None:
        """Make another area findable through ``/areas`` and ``/routes?areaId=``."""
        with self._lock:
            self._areas.append(area)

    # --- life cycle ---

    def start(self, host: str = demo.SANDBOX_HOST, port: int = demo.SANDBOX_PORT) -> str:
        """Serve in a daemon thread (port 0 picks a free port); return the base URL."""
        httpd = self._open(host, port)
        thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="fitconnect-sandbox-http",
            daemon=True,
        )
        thread.start()
        self._threads.append(thread)
        return self.base

    def serve_forever(
        self,
        host: str = demo.SANDBOX_HOST,
        port: int = demo.SANDBOX_PORT,
        *,
        ready: Callable[[str], None] | None = None,
    ) -> None:
        """Serve in this thread until interrupted; ``ready`` gets the base URL first."""
        httpd = self._open(host, port)
        try:
            if ready is not None:
                ready(self.base)
            httpd.serve_forever(poll_interval=0.2)
        finally:
            self._close()

    def stop(self) -> None:
        """Stop serving and the simulated Fachverfahren; the state stays for a restart."""
        httpd = self._httpd
        if httpd is None:
            return
        httpd.shutdown()
        self._close()

    def _open(self, host: str, port: int) -> ThreadingHTTPServer:
        if self._httpd is not None:
            raise RuntimeError("The sandbox is already running.")
        self._ensure_keys()  # generate or load the keys before the first request
        self._stopping.clear()
        server_class = _Server6 if ":" in host else _Server
        httpd = server_class((host, port), _RequestHandler)
        httpd.sandbox = self
        bound_port = httpd.server_address[1]
        self.base = (
            f"http://[{host}]:{bound_port}" if ":" in host else f"http://{host}:{bound_port}"
        )
        self._httpd = httpd
        worker = threading.Thread(
            target=self._fachverfahren, name="fitconnect-sandbox-fachverfahren", daemon=True
        )
        worker.start()
        self._threads = [worker]
        return httpd

    def _close(self) -> None:
        with self._lock:
            httpd, self._httpd = self._httpd, None
            self._stopping.set()
            self._wakeup.notify_all()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5)
        self._threads = []
        if httpd is not None:
            httpd.server_close()

    @property
    def urls(self) -> dict[str, str]:
        return urls(self.base)

    # --- dispatch ---

    def respond(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> Reply | None:
        """Answer one request; ``None`` means: close the connection without an answer."""
        split = urlsplit(target)
        path, fault = split.path, self.fault
        prefixed = _FAULT_PREFIX.fullmatch(path)
        if prefixed:
            path = prefixed[2] or "/"
            try:
                fault = parse_fault(prefixed[1])
            except ValueError as error:
                return _problem(400, "unknown-fault", "Unbekannter Fehlermodus", str(error))
        call = Call(
            method=method,
            path=path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in headers.items()},
            body=body,
            fault=fault,
            instance=self.base + split.path,
        )
        routing = path.startswith("/routing-api/")
        seconds = _slow_seconds(fault)
        if seconds is not None:
            self._stopping.wait(seconds)
        if fault in HTTP_FAULTS:
            reply = self._http_fault(call, routing)
        elif routing:
            reply = self._routing(call)
        else:
            reply = self._route(call)
        if reply is not None and routing:
            for name, value in self._rate_headers(count=False).items():
                reply.headers.setdefault(name, value)
        return reply

    def _http_fault(self, call: Call, routing: bool) -> Reply | None:
        fault = call.fault
        if fault == "close":
            return None
        if fault in ("html", "html-200"):
            page = (
                "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
                "<h1>502 Bad Gateway</h1><p>Sandbox fault: the upstream did not answer.</p>"
                "</body></html>"
            )
            return Reply(502 if fault == "html" else 200, page.encode(), "text/html; charset=utf-8")
        if fault == "malformed":
            return Reply(200, b'{"sandbox": "malformed", "items": [1, 2,', "application/json")
        if fault == "wrong-shape":
            return _json(200, {"sandbox": "wrong-shape", "items": [1, 2, 3]})
        if fault == "huge":
            return _json(200, {"sandbox": "huge", "padding": "x" * HUGE_BYTES})
        if fault == "429":
            # routing-api.yaml declares 429 bodies as application/json.
            reply = _problem(429, "too-many-requests", "Zu viele Anfragen", call=call)
            if routing:
                reply.content_type = "application/json"
            reply.headers.update(
                {
                    "Retry-After": "1",
                    "RateLimit-Limit": str(RATE_LIMIT),
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": "1",
                }
            )
            return reply
        if call.path == "/token" and fault in ("401", "403"):
            return _oauth_error(int(fault), "invalid_client", "Sandbox fault.")
        titles = {
            "500": ("internal-server-error", "Interner Serverfehler"),
            "401": ("unauthorized", "Nicht authentifiziert"),
            "403": ("forbidden", "Keine Berechtigung"),
            "404": ("not-found", "Nicht gefunden"),
        }
        name, title = titles[str(fault)]
        prefix = ROUTING_PROBLEMS if routing else SUBMISSION_PROBLEMS
        reply = _problem(int(str(fault)), name, title, "Sandbox fault.", call=call, prefix=prefix)
        if fault == "401":
            reply.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return reply

    def _route(self, call: Call) -> Reply:
        path = call.path
        if path == "/token":
            return self._only(call, "POST") or self._token(call)
        if path == "/":
            return self._only(call, "GET") or _json(
                200, {"sandbox": "FIT-Connect", "urls": self.urls, "faultModes": FAULT_MODES}
            )
        if path == "/submission-api/.well-known/jwks.json":
            return self._only(call, "GET") or self._jwks("zustelldienst", call.fault)
        if path == "/ssp/.well-known/jwks.json":
            return self._only(call, "GET") or self._jwks("ssp", call.fault)
        if path == "/fachverfahren/callback":
            return self._only(call, "POST") or self._callback(call)
        if path.startswith("/submission-api/v1/"):
            return self._submission_api(call, path.removeprefix("/submission-api/v1"))
        return _problem(404, "not-found", "Pfad nicht gefunden", path, call=call)

    @staticmethod
    def _only(call: Call, method: str) -> Reply | None:
        if call.method == method:
            return None
        reply = _problem(405, "method-not-allowed", "Methode nicht erlaubt", call=call)
        reply.headers["Allow"] = method
        return reply

    # --- OAuth ---

    def _token(self, call: Call) -> Reply:
        content_type = call.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return _oauth_error(400, "invalid_request", "The body must be form-encoded.")
        form = parse_qs(call.body.decode("utf-8", "replace"), keep_blank_values=True)
        grant_type = form.get("grant_type", [""])[0]
        if not grant_type:
            return _oauth_error(400, "invalid_request", "grant_type is missing.")
        if grant_type != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "Only client_credentials.")
        client_id = form.get("client_id", [""])[0]
        secret = form.get("client_secret", [""])[0]
        basic = call.headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            except ValueError:
                return _oauth_error(400, "invalid_request", "Malformed Basic credentials.")
        with self._lock:
            client = self._clients.get(client_id)
        if client is None or not hmac.compare_digest(client.secret.encode(), secret.encode()):
            return _oauth_error(401, "invalid_client", "Unknown client or wrong secret.")
        granted = client.scope
        requested = form.get("scope", [""])[0].split()
        if requested:
            if not set(requested) <= set(client.scope.split()):
                return _oauth_error(400, "invalid_scope", "The client lacks a requested scope.")
            granted = " ".join(requested)
        now = int(time.time())
        claims = {
            "iss": self.base,
            "sub": client.client_id,
            "client_id": client.client_id,
            "scope": granted,
            "iat": now,
            "exp": now + TOKEN_LIFETIME,
            "jti": str(uuid.uuid4()),
        }
        token = _sign(claims, self.keys["auth"].private, typ="JWT")
        reply = _json(
            200,
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME,
                "scope": granted,
            },
        )
        reply.headers["Cache-Control"] = "no-store"
        return reply

    def _authenticate(self, call: Call) -> Client | Reply:
        header = call.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return self._unauthorized(call, "Es fehlt ein Bearer-Token.")
        try:
            claims = crypto.verify_jws(header[7:].strip(), [self.keys["auth"].public], typ="JWT")
        except crypto.CryptoError as error:
            return self._unauthorized(call, str(error))
        expires = claims.get("exp")
        if not isinstance(expires, int) or expires < time.time() or claims.get("iss") != self.base:
            return self._unauthorized(call, "Das Token ist abgelaufen oder nicht von hier.")
        with self._lock:
            client = self._clients.get(str(claims.get("sub")))
        if client is None:
            return self._unauthorized(call, "Der Client ist unbekannt.")
        return client

    @staticmethod
    def _unauthorized(call: Call, detail: str) -> Reply:
        reply = _problem(401, "unauthorized", "Nicht authentifiziert", detail, call=call)
        reply.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return reply

    # --- keys ---

    def _public_key(self, key: dict[str, Any], fault: str | None) -> dict[str, Any]:
        """Return a public JWK, broken as the key faults ask."""
        if fault == "wrong-key":
            with self._lock:
                if self._weak is None:
                    self._weak = _weak_key()
                weak = self._weak
            return {**key, "n": weak.public["n"]}  # 2048 bit, and x5c no longer matches
        if fault == "wrong-key-x5c":
            other = next(p for p in self.keys.values() if p.public["kid"] != key["kid"])
            return {**key, "x5c": other.public["x5c"]}
        return key

    def _jwks(self, name: str, fault: str | None) -> Reply:
        return _json(200, {"keys": [self._public_key(self.keys[name].public, fault)]})

    # --- Submission API ---

    def _submission_api(self, call: Call, path: str) -> Reply:
        one = r"/submissions/(?P<s>[^/]+)"
        attachment = one + r"/attachments/(?P<a>[^/]+)"
        events = r"/cases/(?P<c>[^/]+)/events"
        routes: list[tuple[str, str, _Handler, Role | Literal["any"] | None]] = [
            ("GET", r"/destinations/(?P<d>[^/]+)", self._get_destination, None),
            ("GET", r"/destinations/(?P<d>[^/]+)/keys/(?P<kid>[^/]+)", self._get_key, None),
            ("POST", r"/submissions", self._create_submission, "sender"),
            ("GET", r"/submissions", self._list_submissions, "subscriber"),
            ("PUT", one, self._submit, "sender"),
            ("GET", one, self._get_submission, "subscriber"),
            ("PUT", attachment, self._put_attachment, "sender"),
            ("GET", attachment, self._get_attachment, "subscriber"),
            ("GET", events, self._get_events, "any"),
            ("POST", events, self._post_event, "subscriber"),
        ]
        allowed = []
        for method, pattern, handler, role in routes:
            match = re.fullmatch(pattern, path)
            if match is None:
                continue
            if method != call.method:
                allowed.append(method)
                continue
            client = None
            if role is not None:
                authenticated = self._authenticate(call)
                if isinstance(authenticated, Reply):
                    return authenticated
                client = authenticated
                if role != "any" and client.role != role:
                    return _problem(
                        403,
                        "forbidden",
                        "Keine Berechtigung",
                        f"Dieser Aufruf ist Clients vom Typ {role} vorbehalten.",
                        call=call,
                    )
            return handler(call, client, match.groupdict())
        if allowed:
            reply = _problem(405, "method-not-allowed", "Methode nicht erlaubt", call=call)
            reply.headers["Allow"] = ", ".join(allowed)
            return reply
        return _problem(404, "not-found", "Pfad nicht gefunden", call.path, call=call)

    def _destination(self, destination_id: str) -> Destination | None:
        self._ensure_keys()  # the demo destination comes with the keys
        with self._lock:
            return self._destinations.get(destination_id)

    @staticmethod
    def _status(destination: Destination, fault: str | None) -> str:
        return "inactive" if fault == "inactive" else destination.status

    def _get_destination(self, call: Call, client: Client | None, params: dict[str, str]) -> Reply:
        destination = self._destination(params["d"])
        if destination is None:
            return self._destination_not_found(call, params["d"])
        return _json(200, destination.to_json(self._status(destination, call.fault)))

    @staticmethod
    def _destination_not_found(call: Call, destination_id: str) -> Reply:
        detail = f"Der Zustellpunkt {destination_id} existiert nicht."
        return _problem(
            404, "destination-not-found", "Zustellpunkt nicht gefunden", detail, call=call
        )

    def _get_key(self, call: Call, client: Client | None, params: dict[str, str]) -> Reply:
        destination = self._destination(params["d"])
        if destination is None:
            return self._destination_not_found(call, params["d"])
        key = destination.key(params["kid"])
        if key is None:
            detail = f"Der Zustellpunkt hat keinen Schlüssel mit der kid {params['kid']}."
            return _problem(404, "key-not-found", "Schlüssel nicht gefunden", detail, call=call)
        return _json(200, self._public_key(key, call.fault))

    @staticmethod
    def _body_json(call: Call) -> dict[str, Any] | Reply:
        try:
            data = json.loads(call.body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            detail = "Der Inhalt muss ein JSON-Objekt sein."
            return _problem(400, "invalid-request", "Ungültige Anfrage", detail, call=call)
        return data

    def _create_submission(
        self, call: Call, client: Client | None, params: dict[str, str]
    ) -> Reply:
        assert client is not None  # noqa: S101 - the route requires a token
        data = self._body_json(call)
        if isinstance(data, Reply):
            return data
        service_type = data.get("serviceType")
        announced = data.get("announcedAttachments", [])
        identifier = _nested(service_type, "identifier")
        if (
            not isinstance(data.get("destinationId"), str)
            or not isinstance(identifier, str)
            or not isinstance(_nested(service_type, "name"), str)
            or not isinstance(announced, list)
            or not all(isinstance(a, str) and _is_uuid(a) for a in announced)
        ):
            detail = (
                "Erwartet: destinationId, serviceType {name, identifier} und "
                "announcedAttachments als Liste von UUIDs."
            )
            return _problem(400, "invalid-request", "Ungültige Anfrage", detail, call=call)
        destination = self._destination(data["destinationId"])
        if destination is None:
            return self._destination_not_found(call, data["destinationId"])
        if self._status(destination, call.fault) != "active":
            detail = "Der Zustellpunkt nimmt keine Einreichungen an (Status nicht active)."
            return _problem(
                422, "destination-state-invalid", "Zustellpunkt inaktiv", detail, call=call
            )
        service = destination.service(identifier)
        if service is None:
            detail = f"Der Zustellpunkt bietet die Leistung {identifier} nicht an."
            return _problem(
                422, "service-not-offered", "Leistung nicht angeboten", detail, call=call
            )
        if not _may_send(client.scope, service.regions):
            detail = "Der Scope des Clients deckt die Regionen der Leistung nicht ab."
            return _problem(403, "forbidden", "Keine Berechtigung", detail, call=call)
        submission = Submission(
            submission_id=str(uuid.uuid4()),
            case_id=str(uuid.uuid4()),
            destination_id=destination.destination_id,
            sender=client.client_id,
            service_type={"name": _nested(service_type, "name"), "identifier": identifier},
            announced=list(announced),
            reject=call.fault == "reject",
        )
        with self._lock:
            self._submissions[submission.submission_id] = submission
            self._cases[submission.case_id] = submission.submission_id
        return _json(201, submission.ids())

    def _own_submission(self, call: Call, client: Client, submission_id: str) -> Submission | Reply:
        """Return a submission its sender, or a subscriber of its destination, may see."""
        with self._lock:
            submission = self._submissions.get(submission_id)
        if submission is None:
            detail = f"Die Einreichung {submission_id} existiert nicht."
            return _problem(
                404, "submission-not-found", "Einreichung nicht gefunden", detail, call=call
            )
        allowed = (
            submission.sender == client.client_id
            if client.role == "sender"
            else submission.destination_id in client.destinations
        )
        if not allowed:
            detail = "Der Client ist nicht mit diesem Zustellpunkt verbunden."
            return _problem(403, "forbidden", "Keine Berechtigung", detail, call=call)
        return submission

    @staticmethod
    def _state_invalid(call: Call, detail: str) -> Reply:
        return _problem(422, "submission-state-invalid", "Falscher Zustand", detail, call=call)

    def _put_attachment(self, call: Call, client: Client | None, params: dict[str, str]) -> Reply:
        assert client is not None  # noqa: S101 - the route requires a token
        submission = self._own_submission(call, client, params["s"])
        if isinstance(submission, Reply):
            return submission
        if not _is_jose(call):
            return _unsupported_media(call)
        token = call.body.decode("ascii", "replace").strip()
        if not _JWE.fullmatch(token):
            detail = "Die Anlage muss ein JWE in kompakter Serialisierung sein."
            return _problem(400, "invalid-request", "Ungültige Anlage", detail, call=call)
        with self._lock:
            if params["a"] not in submission.announced:
                detail = "Diese Anlage wurde nicht angekündigt."
                return _problem(404, "attachment-not-found", "Anlage unbekannt", detail, call=call)
            if submission.status != "created":
                return self._state_invalid(call, "Die Einreichung ist schon abgeschickt.")
            submission.attachments[params["a"]] = token
        return Reply(204)

    def _submit(self, call: Call, client: Client | None, params: dict[str, str]) -> Reply:
        assert client is not None  # noqa: S101 - the route requires a token
        submission = self._own_submission(call, client, params["s"])
        if isinstance(submission, Reply):
            return submission
        data = self._body_json(call)
        if isinstance(data, Reply):
            return data
        metadata, content = data.get("encryptedMetadata"), data.get("encryptedData")
        if (
            not isinstance(metadata, str)
            or not _JWE.fullmatch(metadata)
            or (
                content is not None
                and (not isinstance(content, str) or not _JWE.fullmatch(content))
            )
        ):
            detail = "encryptedMetadata (und ggf. encryptedData) müssen JWE-Strings sein."
            return _problem(400, "invalid-request", "Ungültige Anfrage", detail, call=call)
        with self._lock:
            if submission.status != "created":
                return self._state_invalid(call, "Die Einreichung ist schon abgeschickt.")
            missing = [a for a in submission.announced if a not in submission.attachments]
            if missing:
                detail = f"Es fehlen angekündigte Anlagen: {', '.join(missing)}."
                return _problem(422, "missing-attachments", "Anlagen fehlen", detail, call=call)
            submission.encrypted_metadata, submission.encrypted_data = metadata, content
            submission.status = SUBMITTED
            submission.reject = submission.reject or call.fault == "reject"
            tags: dict[str, Any] = {"metadata": _last_segment(metadata)}
            if content is not None:
                tags["data"] = _last_segment(content)
            tags["attachments"] = {a: _last_segment(t) for a, t in submission.attachments.items()}
            payload = crypto.make_set(
                issuer=self.urls["submission_base"],
                submission_id=submission.submission_id,
                case_id=submission.case_id,
                event="submit-submission",
                details={"authenticationTags": tags},
            )
            token = _sign(payload, self.keys["zustelldienst"].private, typ=crypto.SET_TYPE)
            submission.events.append(Event(token, payload))
            destination = self._destinations.get(submission.destination_id)
            if destination is not None and destination.simulated:
                due = time.monotonic() + self.process_delay
                heapq.heappush(self._queue, (due, next(self._sequence), submission.submission_id))
                self._wakeup.notify_all()
        return _json(202, submission.ids())

    def _list_submissions(self, call: Call, client: Client | None, params: dict[str, str]) -> Reply:
        assert client is not None  # noqa: S101 - the route requires a token
        paging = _paging(call)
        if isinstance(paging, Reply):
            return paging
        offset, limit = paging
        wanted = call.query.get("destinationId", [""])[0] or None
        with self._lock:
            open_ones = [
                s.ids()
                for s in self._submissions.values()
                if s.status == SUBMITTED
                and s.destination_id in client.destinations
                and wanted in (None, s.destination_id)
            ]
        page = open_ones[offset : offset + limit]
        return _json(
            200,
            {
                "count": len(page),
                "offset": offset,
                "totalCount": len(open_ones),
                "submissions": page,
            },
        )

    def _get_submission(self, call: Call, client: Client | None, params: dict[str, str]) -> Reply:
        assert client is not None  # noqa: S101 - the route requires a token
        submission = self._own_submission(call, client, params["s"])
        if isinstance(submission, Reply):
            return submission
        if submission.status == "created":
            detail = "Die Einreichung ist noch nicht abgeschickt."
            return _problem(
                404, "submission-not-found", "Einreichung nicht gefunden", detail, call=call
            )
        data = {
            **submission.ids(),
            "serviceType": submission.service_type,
            "encryptedMetadata": submission.encrypted_metadata,
            "attachments": submission.announced,
        }
        if submission.encrypted_data is not None:
            data["encryptedData"] = submission.encrypted_data
        return _json(200, data)

    def _get_attachment(self, call: Call, client: Client | None, params: dict[str, str]) -> Reply:
        assert client is not None  # noqa: S101 - the route requires a token
        submission = self._own_submission(call, client, params["s"])
        if isinstance(submission, Reply):
            return submission
        token = submission.attachments.get(params["a"])
        if token is None or submission.status == "created":
            detail = "Diese Anlage gibt es nicht (oder noch nicht)."
            return _problem(404, "attachment-not-found", "Anlage nicht gefunden", detail, call=call)
        return Reply(200, token.encode(), "application/jose")

    def _case(self, call: Call, client: Client, case_id: str) -> Submission | Reply:
        with self._lock:
            submission_id = self._cases.get(case_id)
        if submission_id is None:
            detail = f"Den Vorgang {case_id} gibt es nicht."
            return _problem(404, "case-not-found", "Vorgang nicht gefunden", detail, call=call)
        return self._own_submission(call, client, submission_id)

    def _get_events(self, call: Call, client: Client | None, params: dict[str, str]) -> Reply:
        assert client is not None  # noqa: S101 - the route requires a token
        submission = self._case(call, client, params["c"])
        if isinstance(submission, Reply):
            return submission
        with self._lock:
            events = list(submission.events)
        if call.fault == "bad-set":
            with self._lock:
                if self._weak is None:
                    self._weak = _weak_key()
                weak = self._weak.private
            tokens = [
                _sign(e.payload, {**weak, "kid": _header(e.token).get("kid")}, typ=crypto.SET_TYPE)
                for e in events
            ]
        else:
            tokens = [e.token for e in events]
        return _json(200, {"eventLog": tokens})

    def _post_event(self, call: Call, client: Client | None, params: dict[str, str]) -> Reply:
        assert client is not None  # noqa: S101 - the route requires a token
        submission = self._case(call, client, params["c"])
        if isinstance(submission, Reply):
            return submission
        if not _is_jose(call):
            return _unsupported_media(call)
        token = call.body.decode("ascii", "replace").strip()
        if not _JWS.fullmatch(token):
            detail = "Der Inhalt muss ein SET (JWS in kompakter Serialisierung) sein."
            return _problem(400, "invalid-request", "Ungültiges Ereignis", detail, call=call)
        error = self._record_subscriber_event(submission, token)
        if error is not None:
            return _problem(422, "invalid-event", "Ereignis abgelehnt", error, call=call)
        return Reply(204)

    def _record_subscriber_event(self, submission: Submission, token: str) -> str | None:
        """Verify a subscriber's SET and add it to the event log; return an error or None."""
        with self._lock:
            destination = self._destinations.get(submission.destination_id)
        if destination is None:
            return "Der Zustellpunkt existiert nicht mehr."
        try:
            payload = crypto.verify_set(
                token,
                [destination.signature_key],
                submission_id=submission.submission_id,
                case_id=submission.case_id,
            )
        except crypto.CryptoError as error:
            return str(error)
        if payload.get("iss") != destination.destination_id:
            return "iss muss die destinationId des Zustellpunkts sein."
        event = crypto.event_name(payload)
        if event not in ("accept-submission", "reject-submission"):
            return f"Das Ereignis {event} darf ein Subscriber nicht schreiben."
        with self._lock:
            if submission.status != SUBMITTED:
                return f"Die Einreichung ist nicht mehr offen (Status {submission.status})."
            submission.events.append(Event(token, payload))
            submission.status = "accepted" if event == "accept-submission" else "rejected"
        return None

    # --- the simulated Fachverfahren ---

    def _fachverfahren(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                if not self._queue:
                    self._wakeup.wait(timeout=0.5)
                    continue
                due, _, submission_id = self._queue[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._wakeup.wait(timeout=min(wait, 0.5))
                    continue
                heapq.heappop(self._queue)
                submission = self._submissions.get(submission_id)
            if submission is not None:
                try:
                    self._process(submission)
                except Exception:  # the simulation must survive any one submission
                    logger.exception("The simulated Fachverfahren failed on a submission")

    def _process(self, submission: Submission) -> None:
        with self._lock:
            destination = self._destinations.get(submission.destination_id)
            if destination is None or not destination.simulated or submission.status != SUBMITTED:
                return
        problems, tags = self._review(submission, destination)
        details: dict[str, Any]
        if problems:
            event, details = "reject-submission", {"problems": problems}
        else:
            event, details = "accept-submission", {"authenticationTags": tags}
        payload = crypto.make_set(
            issuer=destination.destination_id,
            submission_id=submission.submission_id,
            case_id=submission.case_id,
            event=event,
            details=details,
        )
        assert destination.signature_private is not None  # noqa: S101 - simulated
        token = _sign(payload, destination.signature_private, typ=crypto.SET_TYPE)
        error = self._record_subscriber_event(submission, token)
        if error is not None:
            logger.info("The simulated Fachverfahren could not record its event: %s", error)

    def _review(
        self, submission: Submission, destination: Destination
    ) -> tuple[list[dict[str, str]], dict[str, Any]]:
        """Decrypt and check a submission as a Fachverfahren would; return problems and tags."""
        assert destination.encryption_private is not None  # noqa: S101 - simulated
        private = destination.encryption_private
        problems: list[dict[str, str]] = []

        def problem(name: str, title: str, detail: str, instance: str) -> None:
            problems.append(
                {
                    "type": EVENT_PROBLEMS + name,
                    "title": title,
                    "detail": detail,
                    "instance": instance,
                }
            )

        metadata_token = submission.encrypted_metadata or ""
        tags: dict[str, Any] = {"metadata": _last_segment(metadata_token), "attachments": {}}
        try:
            metadata = json.loads(_decrypt(metadata_token, private))
        except (crypto.CryptoError, ValueError):
            problem("encryption-issue", "Entschlüsselungsfehler", "Metadaten unlesbar.", "metadata")
            return problems, tags
        if not isinstance(metadata, dict):
            problem("syntax-violation", "Syntaxfehler", "Metadaten sind kein Objekt.", "metadata")
            return problems, tags
        version = re.search(r"/metadata/(\d+\.\d+\.\d+)/", str(metadata.get("$schema", "")))
        if version and version[1] not in destination.metadata_versions:
            detail = f"Metadatenversion {version[1]} wird nicht unterstützt."
            problem("unsupported-metadata-schema", "Metadatenschema", detail, "metadata")
        data_info = _nested(metadata, "contentStructure", "data")
        if submission.encrypted_data is not None:
            tags["data"] = _last_segment(submission.encrypted_data)
            try:
                data = _decrypt(submission.encrypted_data, private)
            except crypto.CryptoError:
                problem("encryption-issue", "Entschlüsselungsfehler", "Fachdaten unlesbar.", "data")
            else:
                self._review_data(submission, destination, data, data_info, problem)
        elif data_info is not None:
            problem("missing-data", "Fachdaten fehlen", "Metadaten nennen Fachdaten.", "data")
        for attachment_id, uploaded in submission.attachments.items():
            tags["attachments"][attachment_id] = _last_segment(uploaded)
        described = _nested(metadata, "contentStructure", "attachments")
        for item in described if isinstance(described, list) else []:
            attachment_id = str(_nested(item, "attachmentId"))
            token = submission.attachments.get(attachment_id)
            instance = f"attachment:{attachment_id}"
            if token is None:
                problem("missing-attachment", "Anlage fehlt", "Anlage nicht hochgeladen.", instance)
                continue
            try:
                content = _decrypt(token, private)
            except crypto.CryptoError:
                problem("encryption-issue", "Entschlüsselungsfehler", "Anlage unlesbar.", instance)
                continue
            if not _hash_matches(_nested(item, "hash"), content):
                problem("hash-mismatch", "Prüfsumme falsch", "Hash der Anlage falsch.", instance)
        if submission.reject:
            detail = "Fehlermodus reject: der Fachverfahren-Simulator lehnt ab."
            problem("technical-error", "Abgelehnt (Sandbox)", detail, "submission")
        return problems, tags

    @staticmethod
    def _review_data(
        submission: Submission,
        destination: Destination,
        data: bytes,
        data_info: Any,
        problem: Callable[[str, str, str, str], None],
    ) -> None:
        if not _hash_matches(_nested(data_info, "hash"), data):
            detail = "contentStructure.data.hash passt nicht zu den Fachdaten (sha512)."
            problem("hash-mismatch", "Prüfsumme falsch", detail, "data")
        schema_uri = _nested(data_info, "submissionSchema", "schemaUri")
        service = destination.service(str(submission.service_type.get("identifier")))
        offered = [s["schemaUri"] for s in service.schemas] if service else []
        if schema_uri not in offered:
            detail = f"Das Schema {schema_uri!r} bietet der Zustellpunkt für die Leistung nicht an."
            problem("unsupported-schema", "Schema nicht unterstützt", detail, "data")
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and parsed.get("sandbox") == "reject":
            detail = 'Die Fachdaten enthalten {"sandbox": "reject"}.'
            problem("technical-error", "Abgelehnt (Sandbox)", detail, "data")

    # --- callback receiver ---

    def _callback(self, call: Call) -> Reply:
        timestamp = call.headers.get("callback-timestamp", "")
        signature = call.headers.get("callback-authentication", "")
        if not timestamp or not signature:
            detail = "callback-authentication und callback-timestamp sind nötig."
            return _problem(
                401, "callback-unauthenticated", "Callback abgelehnt", detail, call=call
            )
        if not timestamp.isdigit():
            detail = "callback-timestamp muss Unix-Sekunden enthalten."
            return _problem(400, "invalid-request", "Ungültiger Callback", detail, call=call)
        if abs(time.time() - int(timestamp)) > crypto.CALLBACK_MAX_AGE:
            detail = "Der Zeitstempel ist älter als 5 Minuten (oder liegt in der Zukunft)."
            return _problem(401, "callback-stale", "Callback abgelehnt", detail, call=call)
        if not crypto.verify_callback(demo.CALLBACK_SECRET, timestamp, signature, call.body):
            detail = "Die HMAC-SHA-512-Signatur stimmt nicht."
            return _problem(
                401, "callback-unauthenticated", "Callback abgelehnt", detail, call=call
            )
        data = self._body_json(call)
        if isinstance(data, Reply):
            return data
        if data.get("type") != CALLBACK_TYPE or not isinstance(data.get("submissions", []), list):
            detail = f"type muss {CALLBACK_TYPE} sein, submissions eine Liste."
            return _problem(400, "invalid-request", "Ungültiger Callback", detail, call=call)
        with self._lock:
            self.callbacks.append(data)
        return _json(200, {"ok": True})

    # --- Routing API ---

    def _rate_headers(self, *, count: bool) -> dict[str, str]:
        with self._lock:
            now = time.monotonic()
            if now - self._rate_start >= RATE_WINDOW:
                self._rate_start, self._rate_count = now, 0
            if count:
                self._rate_count += 1
            reset = max(1, math.ceil(self._rate_start + RATE_WINDOW - now))
            return {
                "RateLimit-Limit": str(RATE_LIMIT),
                "RateLimit-Remaining": str(max(0, RATE_LIMIT - self._rate_count)),
                "RateLimit-Reset": str(reset),
            }

    def _routing(self, call: Call) -> Reply:
        headers = self._rate_headers(count=True)
        if headers["RateLimit-Remaining"] == "0":
            title = "Zu viele Anfragen"
            problem = {
                "type": ROUTING_PROBLEMS + "too-many-requests",
                "title": title,
                "status": 429,
            }
            reply = _json(429, problem)
            reply.headers.update({"Retry-After": headers["RateLimit-Reset"], **headers})
            return reply
        handlers = {
            "/routing-api/v1/routes": self._routes,
            "/routing-api/v1/areas": self._search_areas,
            "/routing-api/v1/info": self._info,
        }
        handler = handlers.get(call.path)
        if handler is None:
            return _problem(
                404, "not-found", "Pfad nicht gefunden", prefix=ROUTING_PROBLEMS, call=call
            )
        return self._only(call, "GET") or handler(call)

    @staticmethod
    def _bad_request(call: Call, detail: str) -> Reply:
        return _problem(
            400,
            "invalid-parameter",
            "Ungültige Anfrage",
            detail,
            call=call,
            prefix=ROUTING_PROBLEMS,
        )

    def _routes(self, call: Call) -> Reply:
        values: dict[str, str] = {}
        for name in ("leikaKey", "ags", "ars", "areaId"):
            given = call.query.get(name, [])
            if len(given) > 1:
                return self._bad_request(call, f"Der Parameter {name} darf nur einmal vorkommen.")
            if given:
                values[name] = given[0]
        if "leikaKey" not in values:
            return self._bad_request(call, "Der Parameter leikaKey fehlt.")
        if not _LEIKA.search(values["leikaKey"]):
            return self._bad_request(call, "leikaKey muss ^99\\d{12}$ entsprechen.")
        areas = [name for name in ("ags", "ars", "areaId") if name in values]
        if len(areas) != 1:
            return self._bad_request(call, "Genau einer der Parameter ags, ars, areaId ist nötig.")
        area_name = areas[0]
        pattern = {"ags": _AGS, "ars": _ARS, "areaId": _AREA_ID}[area_name]
        if not pattern.search(values[area_name]):
            return self._bad_request(call, f"{area_name} hat kein gültiges Format.")
        paging = _paging(call, routing=True)
        if isinstance(paging, Reply):
            return paging
        offset, limit = paging
        found: list[dict[str, Any]] = []
        if call.fault != "no-route":
            identifier = LEIKA_PREFIX + values["leikaKey"]
            found = self._find_routes(identifier, area_name, values[area_name])
        page = found[offset : offset + limit]
        return _json(
            200, {"count": len(page), "offset": offset, "totalCount": len(found), "routes": page}
        )

    def _find_routes(self, identifier: str, area_name: str, value: str) -> list[dict[str, Any]]:
        if area_name == "areaId":
            with self._lock:
                area = next((a for a in self._areas if a.id == value), None)
            if area is None:
                return []
            area_name, value = "ars", area.ars

        def covers(region: str) -> bool:
            key = _ags_of(region) if area_name == "ags" else region
            return key.startswith(value) or value.startswith(key)

        self._ensure_keys()  # the demo destination comes with the keys
        with self._lock:
            destinations = sorted(self._destinations.values(), key=lambda d: d.destination_id)
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
        cache_key = (destination.destination_id, self.base)
        with self._lock:
            cached = self._signatures.get(cache_key)
        if cached is not None:
            return cached
        payload = {
            "submissionHost": urlsplit(self.base).netloc,
            "iss": self.base + "/ssp",
            "services": [
                {
                    "gebietIDs": [GEBIET_PREFIX + ars for ars in service.regions],
                    "leistungIDs": [service.identifier],
                }
                for service in destination.services
            ],
            "destinationId": destination.destination_id,
            "iat": int(time.time()),
            "jti": str(uuid.uuid4()),
        }
        signature = _sign(payload, self.keys["ssp"].private, typ="jwt")
        with self._lock:
            self._signatures[cache_key] = signature
        return signature

    def _search_areas(self, call: Call) -> Reply:
        terms = call.query.get("areaSearchexpression", [])
        if not 1 <= len(terms) <= 10:
            return self._bad_request(call, "areaSearchexpression: 1 bis 10 Suchbegriffe nötig.")
        if not all(term and _SEARCH_TERM.fullmatch(term) for term in terms):
            detail = "Jeder Suchbegriff braucht mindestens 2 Zeichen (außer dem Platzhalter *)."
            return self._bad_request(call, detail)
        paging = _paging(call, routing=True)
        if isinstance(paging, Reply):
            return paging
        offset, limit = paging
        matchers = [
            re.compile(".*".join(re.escape(part) for part in term.split("*")), re.IGNORECASE)
            for term in terms
        ]
        with self._lock:
            areas = list(self._areas)
        found = [
            {"id": area.id, "name": area.name, "type": area.type}
            for area in sorted(areas, key=lambda a: a.name)
            if all(_area_matches(area, matcher) for matcher in matchers)
        ]
        page = found[offset : offset + limit]
        # routing-api.yaml declares this 200 body as application/problem+json.
        return _json(
            200,
            {"count": len(page), "offset": offset, "totalCount": len(found), "areas": page},
            "application/problem+json",
        )

    @staticmethod
    def _info(call: Call) -> Reply:
        return _json(200, {"version": ROUTING_VERSION})


def _area_matches(area: Area, matcher: re.Pattern[str]) -> bool:
    words = [area.name, *re.split(r"[\s,()/-]+", area.name), *area.zips]
    return any(word and matcher.fullmatch(word) for word in words)


def _paging(call: Call, *, routing: bool = False) -> tuple[int, int] | Reply:
    """Return (offset, limit) from the query: offset >= 0, 1 <= limit <= 500, default 100."""
    values: list[int] = []
    for name, default, low, high in (("offset", 0, 0, 2**31 - 1), ("limit", 100, 1, 500)):
        given = call.query.get(name, [str(default)])
        try:
            value = int(given[0])
        except ValueError:
            value = -1
        if len(given) > 1 or not re.fullmatch(r"-?[0-9]+", given[0]) or not low <= value <= high:
            detail = f"{name} muss eine ganze Zahl von {low} bis {high} sein."
            prefix = ROUTING_PROBLEMS if routing else SUBMISSION_PROBLEMS
            return _problem(
                400, "invalid-parameter", "Ungültige Anfrage", detail, call=call, prefix=prefix
            )
        values.append(value)
    return values[0], values[1]


def _may_send(scope: str, regions: list[str]) -> bool:
    """Whether a sender's ``send:region:DE<ARS prefix>`` scopes cover one of the regions."""
    for item in scope.split():
        if item.startswith(SEND_SCOPE):
            prefix = item.removeprefix(SEND_SCOPE)
            if any(r.startswith(prefix) or prefix.startswith(r) for r in regions):
                return True
    return False


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _is_jose(call: Call) -> bool:
    return call.headers.get("content-type", "").split(";")[0].strip() == "application/jose"


def _unsupported_media(call: Call) -> Reply:
    detail = "Content-Type muss application/jose sein."
    return _problem(415, "unsupported-media-type", "Falscher Inhaltstyp", detail, call=call)


def _hash_matches(declared: Any, content: bytes) -> bool:
    return (
        isinstance(declared, dict)
        and declared.get("type") == "sha512"
        and isinstance(declared.get("content"), str)
        and hmac.compare_digest(declared["content"].lower(), crypto.sha512_hex(content))
    )


def _header(token: str) -> dict[str, Any]:
    encoded = token.split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    return header if isinstance(header, dict) else {}


# --- HTTP plumbing ----------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    sandbox: Sandbox


class _Server6(_Server):
    address_family = socket.AF_INET6


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK add about 40 ms to every answer.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence http.server's own log: it would print query strings."""

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._send(Reply(411, b"", None), path, close=True)
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self._send(Reply(413, b"", None), path, close=True)
            return
        body = self.rfile.read(length) if length else b""
        try:
            reply = self.server.sandbox.respond(self.command, self.path, dict(self.headers), body)
        except Exception:
            logger.exception("Sandbox error on %s %s", self.command, path)
            reply = _problem(500, "internal-server-error", "Interner Serverfehler")
        if reply is None:
            self.close_connection = True
            logger.info("%s %s closed without answer", self.command, path)
            return
        self._send(reply, path)

    def _send(self, reply: Reply, path: str, *, close: bool = False) -> None:
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(reply.body)
        logger.info("%s %s %d", self.command, path, reply.status)
