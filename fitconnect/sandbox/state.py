"""What the sandbox knows: destinations, clients, submissions, areas, keys; under one lock.

Requests are answered in worker threads and the simulated Fachverfahren runs in a thread
of its own, so every read or write of the registries below happens under ``State.lock``.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fitconnect import demo
from fitconnect.constants import LEIKA_URN_PREFIX, RECEIVE_SCOPE, SEND_SCOPE_GERMANY

from .keys import KeyPair, load_keys, weak_key

Role = Literal["sender", "subscriber"]
SUBMITTED = "submitted"


@dataclass(frozen=True)
class Service:
    key: str
    name: str
    schemas: list[dict[str, str]]
    regions: list[str]  # ARS
    reply_channels: dict[str, Any]

    @property
    def identifier(self) -> str:
        return LEIKA_URN_PREFIX + self.key

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
    # Where the Zustelldienst sends NEW_SUBMISSIONS ({"url", "secret"}), if anywhere.
    callback: dict[str, str] | None = None

    @property
    def simulated(self) -> bool:
        """Whether the simulated Fachverfahren processes this destination's submissions."""
        return self.encryption_private is not None and self.signature_private is not None

    def service(self, identifier: str) -> Service | None:
        return next((s for s in self.services if s.identifier == identifier), None)

    def key(self, kid: str) -> dict[str, Any] | None:
        return next((k for k in (self.encryption_key, self.signature_key) if k["kid"] == kid), None)

    def to_json(self, status: str, version: str = "v1") -> dict[str, Any]:
        """Return the destination as the Submission API of ``version`` shows it.

        v1 lists ``services`` (spec 1.1.3), v2 ``publicServices`` (docs/fitko-facts.md §2).
        The deprecated top-level ``replyChannels`` has minProperties 1: left out when empty.
        """
        data: dict[str, Any] = {
            "destinationId": self.destination_id,
            "status": status,
            ("services" if version == "v1" else "publicServices"): [
                s.to_json() for s in self.services
            ],
            "encryptionKid": self.encryption_key["kid"],
            "metadataVersions": self.metadata_versions,
        }
        common = _common_reply_channels(self.services)
        if common:
            data["replyChannels"] = common
        return data


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
class Case:
    """A Vorgang: its submissions (a reply joins the case it names) and its event log."""

    case_id: str
    destination_id: str
    submissions: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


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
    fault: str | None = None  # a fault mode of the simulated Fachverfahren
    # The Sender's callback for NEW_EVENTS ({"url", "secret"}), given at creation.
    callback: dict[str, str] | None = None

    def ids(self) -> dict[str, str]:
        return {
            "destinationId": self.destination_id,
            "submissionId": self.submission_id,
            "caseId": self.case_id,
        }

    def reduced(self, version: str) -> dict[str, Any]:
        """Return the spec's ``SubmissionReduced``: ids, uploaded attachments, the service."""
        return {
            **self.ids(),
            "attachments": [a for a in self.announced if a in self.attachments],
            ("serviceType" if version == "v1" else "publicService"): self.service_type,
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


class State:
    """The sandbox's registries, its keys and the Fachverfahren's queue."""

    def __init__(self, *, state_file: Path | None, fault: str | None, process_delay: float) -> None:
        self.state_file = state_file
        self.fault = fault  # the global fault mode; a /fault/<mode>/ prefix overrides it
        self.process_delay = process_delay
        self.base = ""  # set once the server is bound
        self.lock = threading.RLock()
        self.wakeup = threading.Condition(self.lock)  # new work for the Fachverfahren
        self.callbacks: list[dict[str, Any]] = []  # bodies of valid callbacks received
        self.destinations: dict[str, Destination] = {}
        self.clients: dict[str, Client] = {}
        self.submissions: dict[str, Submission] = {}
        self.cases: dict[str, Case] = {}
        self.queue: list[tuple[float, int, str]] = []  # (due, sequence, submission id)
        self.areas: list[Area] = list(DEFAULT_AREAS)
        self.signatures: dict[tuple[str, str], str] = {}  # destinationSignature cache
        self._sequence = itertools.count()
        self._keys: dict[str, KeyPair] | None = None
        self._weak: KeyPair | None = None

    # --- keys ---

    @property
    def keys(self) -> dict[str, KeyPair]:
        """The key pairs by role: auth, zustelldienst, ssp, encryption, signature."""
        return self.ensure_keys()

    def ensure_keys(self) -> dict[str, KeyPair]:
        """Load the keys from (or generate them into) the state file, once.

        The demo destination comes with them.
        """
        with self.lock:
            if self._keys is None:
                self._keys = load_keys(self.state_file)
                if demo.DESTINATION_ID not in self.destinations:
                    self._add_demo_destination(self._keys)
                    from .watch import add_watch_demo  # it builds on this module

                    add_watch_demo(self)
            return self._keys

    @property
    def weak(self) -> KeyPair:
        """A 2048-bit key without certificate: the material of the key faults."""
        with self.lock:
            if self._weak is None:
                self._weak = weak_key()
            return self._weak

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

    # --- registries ---

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
        callback: dict[str, str] | None = None,
    ) -> Destination:
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
            callback=callback,
        )
        with self.lock:
            self.destinations[destination_id] = destination
            self.signatures = {k: v for k, v in self.signatures.items() if k[0] != destination_id}
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
        default = RECEIVE_SCOPE if role == "subscriber" else SEND_SCOPE_GERMANY
        with self.lock:
            self.clients[client_id] = Client(
                client_id, secret, role, scope or default, set(destinations)
            )

    def add_area(self, area: Area) -> None:
        with self.lock:
            self.areas.append(area)

    def destination(self, destination_id: str) -> Destination | None:
        self.ensure_keys()  # the demo destination comes with the keys
        with self.lock:
            return self.destinations.get(destination_id)

    def client(self, client_id: str) -> Client | None:
        with self.lock:
            return self.clients.get(client_id)

    def schedule(self, submission_id: str) -> None:
        """Have the simulated Fachverfahren process a submission after ``process_delay``."""
        with self.lock:
            due = time.monotonic() + self.process_delay
            heapq.heappush(self.queue, (due, next(self._sequence), submission_id))
            self.wakeup.notify_all()
