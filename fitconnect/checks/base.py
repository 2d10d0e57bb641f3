"""What every check shares: its inputs, its result and the per-run context.

``RunContext`` opens the HTTP client of each check and caches what several checks need
(tokens, the destination, its keys, JWKS), so one run asks FIT-Connect for each only once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from fitconnect.checks.fixes import Fix, missing_client, missing_destination, wrong_client
from fitconnect.constants import REGION_URN_PREFIX
from fitconnect.http import Client, FitConnectError
from fitconnect.i18n import gettext_noop
from fitconnect.messages import Text, define, encode, encode_tree

if TYPE_CHECKING:
    from fitconnect.i18n import LazyText

CheckStatus = Literal["ok", "warning", "failed", "skipped"]
ApiVersion = Literal["v1", "v2"]
STAGES = ("test", "reference", "production")
API_VERSIONS = ("v1", "v2")

SUBSCRIBER_CLIENT = define("who.subscriber", gettext_noop("Subscriber client"))
SENDER_CLIENT = define("who.sender", gettext_noop("Sender client (online service)"))
MISSING_CREDENTIALS = define(
    "run.missing_credentials",
    gettext_noop("The client ID or client secret of the %(who)s is missing."),
)
TOKEN_RESPONSE = define("what.token_response", gettext_noop("The token response"))
NO_ACCESS_TOKEN = define(
    "run.no_access_token",
    gettext_noop(
        "The response does not have the expected structure: the token response contains no "
        "access_token."
    ),
)
NO_DESTINATION_ID = define(
    "run.no_destination_id",
    gettext_noop("No destination ID is recorded for this environment."),
)
THE_DESTINATION = define("what.destination", gettext_noop("The destination"))
THE_KEY = define("what.key", gettext_noop("The key"))
NO_KEY_LIST = define(
    "run.no_key_list",
    gettext_noop(
        "The response does not have the expected structure: %(what)s contains no list of keys "
        "(keys)."
    ),
)
DELIVERY_SERVICE_JWKS = define(
    "what.delivery_service_jwks", gettext_noop("The JWKS of the delivery service")
)


@dataclass(frozen=True)
class Target:
    """Where an environment's FIT-Connect services are (configured by site operators)."""

    environment: str
    label: str
    token_url: str
    submission_base: str
    # Submission API v1 or v2: paths and bodies differ (docs/fitko-facts.md §2).
    api_version: ApiVersion = "v1"
    routing_base: str = ""
    routing_prefix: str = "/v1"
    ssp_jwks_url: str = ""
    # Issuers (``iss``) besides FITKO's own Self-Service-Portals whose signed addressing
    # information names its JWKS (``<iss>/.well-known/jwks.json``): the sandbox's, in tests.
    ssp_issuers: tuple[str, ...] = ()
    self_signed_allowed: bool = False
    test_submission_allowed: bool = True
    allow_private_addresses: bool = False
    # The FITKO stage this target stands for (one of STAGES); ``environment`` is the key of
    # the portal's environment, e.g. "sandbox", which stands for the test stage.
    stage: str = "test"
    # V-PKI trust anchors and intermediate certificates (PEM) that site operators uploaded;
    # the key certificates of the reference and production stages must chain to an anchor.
    trust_anchors: tuple[str, ...] = ()
    intermediates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"Unknown FIT-Connect stage {self.stage!r}; expected one of {STAGES}.")
        if self.api_version not in API_VERSIONS:
            raise ValueError(f"Unknown Submission API version {self.api_version!r}.")

    def api(self, path: str) -> str:
        return f"{self.submission_base.rstrip('/')}/{self.api_version}{path}"

    @property
    def services_field(self) -> str:
        """The destination's list of services: ``services`` (v1), ``publicServices`` (v2)."""
        return "services" if self.api_version == "v1" else "publicServices"

    @property
    def service_field(self) -> str:
        """A submission's service: ``serviceType`` (v1), ``publicService`` (v2)."""
        return "serviceType" if self.api_version == "v1" else "publicService"

    @property
    def needs_vpki(self) -> bool:
        """Whether keys must chain to the V-PKI (reference and production; not test)."""
        return self.stage != "test"


@dataclass(frozen=True)
class ExpectedService:
    key: str
    name: str
    schema_uri: str
    mime_type: str
    regions: tuple[str, ...]
    reply_channels: dict[str, Any]
    schema_kind: str = ""  # "fim" or "xoev" as recorded; names the schema in words


@dataclass(frozen=True)
class Expected:
    """What the authority and the provider recorded in the portal."""

    destination_id: str
    encryption_kid: str
    signature_kid: str
    callback_url: str
    services: tuple[ExpectedService, ...]
    metadata_versions: tuple[str, ...]


@dataclass(frozen=True)
class Credentials:
    subscriber_id: str
    subscriber_secret: str = field(repr=False)
    sender_id: str = ""
    sender_secret: str = field(default="", repr=False)
    callback_secret: str = field(default="", repr=False)


Message = Text | str  # a str only for text from elsewhere, shown as it is


@dataclass
class CheckResult:
    check: str
    title: str
    status: CheckStatus
    message: Message
    evidence: dict[str, Any] = field(default_factory=dict)
    details: list[Message] = field(default_factory=list)
    # What to do about a failure or warning: [{"text": ..., "url": ...}] (see fixes.py).
    fixes: list[Fix] = field(default_factory=list)
    # For a failure: whether FIT-Connect answered and the answer contradicts what the check's
    # checklist item claims. A timeout, a DNS or TLS fault, a 5xx, a proxy's page or a bug
    # prove nothing about the connection, so they never reopen a ticked item.
    conclusive: bool = True

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form stored with the run: messages as codes with parameters."""
        return {
            "check": self.check,
            "title": self.title,
            "status": self.status,
            "message": encode(self.message),
            "evidence": encode_tree(self.evidence),
            "details": [encode(line) for line in self.details],
            "fixes": [{"text": encode(f["text"]), "url": f["url"]} for f in self.fixes],
            "conclusive": self.conclusive,
        }


@dataclass
class Outcome:
    """What a check found: a status, a message, evidence, details and fixes."""

    status: CheckStatus
    message: Message
    evidence: dict[str, Any] = field(default_factory=dict)
    details: list[Message] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    conclusive: bool = True


class Failed(Exception):
    """Ends a check with status failed (or warning) and a message.

    ``conclusive=False`` marks a failure that proves nothing about the item (e.g. an answer
    of a shape FIT-Connect never gives); see ``CheckResult.conclusive``.
    """

    def __init__(
        self,
        message: Message,
        status: CheckStatus = "failed",
        evidence: dict[str, Any] | None = None,
        fixes: list[Fix] | None = None,
        *,
        conclusive: bool = True,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status
        self.evidence = dict(evidence or {})
        self.fixes = list(fixes or [])
        self.conclusive = conclusive

    def outcome(self) -> Outcome:
        return Outcome(
            self.status, self.message, self.evidence, fixes=self.fixes, conclusive=self.conclusive
        )


@dataclass(frozen=True)
class Check:
    """One connection check: its name, its title (translated where shown) and its steps."""

    name: str
    title: LazyText
    run: Callable[[RunContext], Outcome]
    # The fixes of a failure or warning whose outcome names none (e.g. an HTTP error).
    fixes: Callable[[RunContext, Outcome], list[Fix]] | None = None
    # The test submission waits for the Fachverfahren on top of the usual check time.
    waits_for_submission: bool = False


def region_matches(configured: str, ars: str) -> bool:
    """Whether a configured region (URN or ARS) covers the ARS, or the other way round."""
    value = configured.removeprefix(REGION_URN_PREFIX).removeprefix("DE")
    return value.startswith(ars) or ars.startswith(value)


@dataclass
class RunContext:
    """The inputs of one run, the HTTP client factory and what the checks fetched so far."""

    target: Target
    expected: Expected
    credentials: Credentials
    client_factory: Callable[[float | None], Client]
    clock: Callable[[], datetime]
    submission_timeout: float = 60.0
    poll_interval: float = 1.0
    cache: dict[str, Any] = field(default_factory=dict)
    _client: Client | None = field(default=None, repr=False)

    @contextmanager
    def session(self, total: float | None = None) -> Iterator[Client]:
        """Open the HTTP client of one check (one overall deadline of ``total`` seconds)."""
        with self.client_factory(total) as client:
            self._client = client
            try:
                yield client
            finally:
                self._client = None

    @property
    def http(self) -> Client:
        if self._client is None:
            raise RuntimeError("The HTTP client is open only while a check runs.")
        return self._client

    def token(self, client_id: str, secret: str, who: Text) -> tuple[str, dict[str, Any]]:
        """Return an access token of the client and the evidence of fetching it."""
        key = f"token:{client_id}"
        if key in self.cache:
            return self.cache[key]  # type: ignore[no-any-return]
        if not client_id or not secret:
            raise Failed(
                MISSING_CREDENTIALS(who=who),
                status="skipped",
                fixes=[missing_client(who)],
            )
        try:
            response = self.http.request(
                "POST",
                self.target.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": secret,
                },
            )
        except FitConnectError as error:
            if error.evidence.get("status") not in (400, 401):
                raise
            raise Failed(error.text, evidence=error.evidence, fixes=[wrong_client(who)]) from error
        body = response.json_object(TOKEN_RESPONSE())
        token = body.get("access_token")
        if not isinstance(token, str):
            raise Failed(NO_ACCESS_TOKEN(), evidence=response.evidence(), conclusive=False)
        self.cache[key] = (token, response.evidence() | {"expires_in": body.get("expires_in")})
        return self.cache[key]  # type: ignore[no-any-return]

    def subscriber_token(self) -> tuple[str, dict[str, Any]]:
        own = self.credentials
        return self.token(own.subscriber_id, own.subscriber_secret, SUBSCRIBER_CLIENT())

    def _bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.subscriber_token()[0]}"}

    def destination(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return the destination as the Submission API shows it, and the evidence."""
        if "destination" not in self.cache:
            if not self.expected.destination_id:
                raise Failed(
                    NO_DESTINATION_ID(),
                    status="skipped",
                    fixes=[missing_destination()],
                )
            response = self.http.request(
                "GET",
                self.target.api(f"/destinations/{self.expected.destination_id}"),
                headers=self._bearer(),
            )
            self.cache["destination"] = (
                response.json_object(THE_DESTINATION()),
                response.evidence(),
            )
        return self.cache["destination"]  # type: ignore[no-any-return]

    def key(self, kid: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return one public key (JWK) of the destination, and the evidence."""
        cache_key = f"key:{kid}"
        if cache_key not in self.cache:
            # The spec needs no token here; sending it costs nothing should a host want one.
            response = self.http.request(
                "GET",
                self.target.api(f"/destinations/{self.expected.destination_id}/keys/{kid}"),
                headers=self._bearer(),
            )
            self.cache[cache_key] = (response.json_object(THE_KEY()), response.evidence())
        return self.cache[cache_key]  # type: ignore[no-any-return]

    def jwks(self, url: str, what: Text) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Return the keys of a JSON Web Key Set, and the evidence."""
        cache_key = f"jwks:{url}"
        if cache_key not in self.cache:
            response = self.http.request("GET", url)
            body = response.json_object(what)
            keys = body.get("keys")
            if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
                raise Failed(NO_KEY_LIST(what=what), evidence=response.evidence(), conclusive=False)
            self.cache[cache_key] = (keys, response.evidence())
        return self.cache[cache_key]  # type: ignore[no-any-return]

    def delivery_service_jwks(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        url = f"{self.target.submission_base.rstrip('/')}/.well-known/jwks.json"
        return self.jwks(url, DELIVERY_SERVICE_JWKS())
