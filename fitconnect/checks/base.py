"""What every check shares: its inputs, its result and the per-run context.

``RunContext`` opens the HTTP client of each check and caches what several checks need
(tokens, the destination, its keys, JWKS), so one run asks FIT-Connect for each only once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from fitconnect.checks.fixes import Fix, missing_client, missing_destination, wrong_client
from fitconnect.constants import REGION_URN_PREFIX
from fitconnect.http import Client, FitConnectError
from fitconnect.i18n import gettext as _

if TYPE_CHECKING:
    from fitconnect.i18n import LazyText

CheckStatus = Literal["ok", "warning", "failed", "skipped"]
STAGES = ("test", "reference", "production")


@dataclass(frozen=True)
class Target:
    """Where an environment's FIT-Connect services are (configured by site operators)."""

    environment: str
    label: str
    token_url: str
    submission_base: str
    api_prefix: str = "/v1"
    routing_base: str = ""
    routing_prefix: str = "/v1"
    ssp_jwks_url: str = ""
    self_signed_allowed: bool = False
    test_submission_allowed: bool = True
    allow_private_addresses: bool = False
    # The FITKO stage this target stands for (one of STAGES); ``environment`` is the key of
    # the portal's environment, e.g. "sandbox", which stands for the test stage.
    stage: str = "test"

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"Unknown FIT-Connect stage {self.stage!r}; expected one of {STAGES}.")

    def api(self, path: str) -> str:
        return f"{self.submission_base.rstrip('/')}{self.api_prefix}{path}"


@dataclass(frozen=True)
class ExpectedService:
    key: str
    name: str
    schema_uri: str
    mime_type: str
    regions: tuple[str, ...]
    reply_channels: dict[str, Any]


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


@dataclass
class CheckResult:
    check: str
    title: str
    status: CheckStatus
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)
    # What to do about a failure or warning: [{"text": ..., "url": ...}] (see fixes.py).
    fixes: list[Fix] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Outcome:
    """What a check found: a status, a translated message, evidence, details and fixes."""

    status: CheckStatus
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)


class Failed(Exception):
    """Ends a check with status failed (or warning) and a translated message."""

    def __init__(
        self,
        message: str,
        status: CheckStatus = "failed",
        evidence: dict[str, Any] | None = None,
        fixes: list[Fix] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.evidence = dict(evidence or {})
        self.fixes = list(fixes or [])

    def outcome(self) -> Outcome:
        return Outcome(self.status, self.message, self.evidence, fixes=self.fixes)


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

    def token(self, client_id: str, secret: str, who: str) -> tuple[str, dict[str, Any]]:
        """Return an access token of the client and the evidence of fetching it."""
        key = f"token:{client_id}"
        if key in self.cache:
            return self.cache[key]  # type: ignore[no-any-return]
        if not client_id or not secret:
            raise Failed(
                _("The client ID or client secret of the %(who)s is missing.") % {"who": who},
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
            raise Failed(
                error.message, evidence=error.evidence, fixes=[wrong_client(who)]
            ) from error
        body = response.json_object(_("The token response"))
        token = body.get("access_token")
        if not isinstance(token, str):
            raise Failed(
                _(
                    "The response does not have the expected structure: the token response "
                    "contains no access_token."
                ),
                evidence=response.evidence(),
            )
        self.cache[key] = (token, response.evidence() | {"expires_in": body.get("expires_in")})
        return self.cache[key]  # type: ignore[no-any-return]

    def subscriber_token(self) -> tuple[str, dict[str, Any]]:
        own = self.credentials
        return self.token(own.subscriber_id, own.subscriber_secret, _("Subscriber client"))

    def _bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.subscriber_token()[0]}"}

    def destination(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return the destination as the Submission API shows it, and the evidence."""
        if "destination" not in self.cache:
            if not self.expected.destination_id:
                raise Failed(
                    _("No destination ID is recorded for this environment."),
                    status="skipped",
                    fixes=[missing_destination()],
                )
            response = self.http.request(
                "GET",
                self.target.api(f"/destinations/{self.expected.destination_id}"),
                headers=self._bearer(),
            )
            self.cache["destination"] = (
                response.json_object(_("The destination")),
                response.evidence(),
            )
        return self.cache["destination"]  # type: ignore[no-any-return]

    def key(self, kid: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return one public key (JWK) of the destination, and the evidence."""
        cache_key = f"key:{kid}"
        if cache_key not in self.cache:
            response = self.http.request(
                "GET",
                self.target.api(f"/destinations/{self.expected.destination_id}/keys/{kid}"),
                headers=self._bearer(),
            )
            self.cache[cache_key] = (response.json_object(_("The key")), response.evidence())
        return self.cache[cache_key]  # type: ignore[no-any-return]

    def jwks(self, url: str, what: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Return the keys of a JSON Web Key Set, and the evidence."""
        cache_key = f"jwks:{url}"
        if cache_key not in self.cache:
            response = self.http.request("GET", url)
            body = response.json_object(what)
            keys = body.get("keys")
            if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
                raise Failed(
                    _(
                        "The response does not have the expected structure: %(what)s contains "
                        "no list of keys (keys)."
                    )
                    % {"what": what},
                    evidence=response.evidence(),
                )
            self.cache[cache_key] = (keys, response.evidence())
        return self.cache[cache_key]  # type: ignore[no-any-return]

    def delivery_service_jwks(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        url = f"{self.target.submission_base.rstrip('/')}/.well-known/jwks.json"
        return self.jwks(url, _("The JWKS of the delivery service"))
