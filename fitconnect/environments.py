"""FITKO's three FIT-Connect environments: hosts, API versions and where each value comes from.

The one source of the seeded environment rows (migration 0008 copies these values, and a
test keeps the two equal) and of the admin's "sources" column. Every value names its source
as in ``docs/fitko-facts.md`` §1: "official" is FITKO's own documentation or
OpenAPI files; "3rd-party only" means only public SDKs by others attest it, so site operators
keep it configurable and re-check it with FITKO.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

OFFICIAL = "official"
THIRD_PARTY = "3rd-party only"

# Hosts FITKO runs FIT-Connect on (docs/fitko-facts.md §1); any other host is not FITKO's.
FITKO_HOST_SUFFIXES = (
    ".fit-connect.fitko.dev",
    ".fit-connect.fitko.net",
    ".fit-connect.niedersachsen.de",
)


@dataclass(frozen=True)
class Sourced:
    value: str
    status: str  # OFFICIAL or THIRD_PARTY
    source: str


@dataclass(frozen=True)
class FitkoEnvironment:
    key: str  # also the stage
    token_url: Sourced
    submission_base: Sourced
    api_version: Sourced
    routing_base: Sourced
    ssp_jwks_url: Sourced | None
    self_signed_allowed: bool
    test_submission_allowed: bool

    def values(self) -> dict[str, object]:
        """Return the fields of an environment row."""
        return {
            "token_url": self.token_url.value,
            "submission_base": self.submission_base.value,
            "api_version": self.api_version.value,
            "routing_base": self.routing_base.value,
            "ssp_jwks_url": self.ssp_jwks_url.value if self.ssp_jwks_url else "",
            "self_signed_allowed": self.self_signed_allowed,
            "test_submission_allowed": self.test_submission_allowed,
        }

    def sources(self) -> list[tuple[str, Sourced]]:
        rows = [
            ("token_url", self.token_url),
            ("submission_base", self.submission_base),
            ("api_version", self.api_version),
            ("routing_base", self.routing_base),
        ]
        if self.ssp_jwks_url:
            rows.append(("ssp_jwks_url", self.ssp_jwks_url))
        return rows


_OPTIGOV = "optiGov/php-fitconnect src/Config/Endpoints.php, src/Api/ApiClient.php"
_ROUTING_YAML = "routing-api.yaml servers (schema.fitko.de/fit-connect/routing-api/latest)"

FITKO_ENVIRONMENTS = (
    FitkoEnvironment(
        key="test",
        token_url=Sourced(
            "https://auth-testing.fit-connect.fitko.dev/token",
            THIRD_PARTY,
            "codedust/fitconnect-sdk-python, optiGov, zechmeister/fit-connect-adapter (all agree)",
        ),
        submission_base=Sourced(
            "https://submission-api-testing.fit-connect.fitko.dev",
            OFFICIAL,
            "servers of submission-api.yaml 1.0.7 and 1.1.3; docs …/sending/get-destination/",
        ),
        api_version=Sourced(
            "v1", OFFICIAL, "docs …/sending/get-destination/ (GET /v1/destinations/{id})"
        ),
        routing_base=Sourced(
            "https://routing-api-testing.fit-connect.fitko.dev", OFFICIAL, _ROUTING_YAML
        ),
        ssp_jwks_url=Sourced(
            "https://portal.auth-testing.fit-connect.fitko.dev/.well-known/jwks.json",
            OFFICIAL,
            "git.fitko.de/fit-connect/docs account.mdx (host), docs commit 3557b43 (path)",
        ),
        self_signed_allowed=True,
        test_submission_allowed=True,
    ),
    FitkoEnvironment(
        key="reference",
        token_url=Sourced(
            "https://auth-refz.fit-connect.fitko.net/token",
            THIRD_PARTY,
            "optiGov src/Config/Endpoints.php, config/fitconnect.php",
        ),
        submission_base=Sourced(
            "https://stage.fit-connect.fitko.net/submission-api", THIRD_PARTY, _OPTIGOV
        ),
        api_version=Sourced(
            "v2", THIRD_PARTY, "optiGov src/Api/ApiClient.php calls /v2/… on this host"
        ),
        routing_base=Sourced(
            "https://routing-api-testing.fit-connect.fitko.dev",
            THIRD_PARTY,
            "no routing of its own: optiGov config/fitconnect.php (use test or prod routing)",
        ),
        ssp_jwks_url=None,  # open question (docs/fitko-facts.md §1)
        self_signed_allowed=False,
        test_submission_allowed=True,
    ),
    FitkoEnvironment(
        key="production",
        token_url=Sourced(
            "https://auth-prod.fit-connect.fitko.net/token",
            THIRD_PARTY,
            "optiGov src/Config/Endpoints.php; a third-party Python environment file",
        ),
        submission_base=Sourced(
            "https://prod.fit-connect.fitko.net/submission-api", THIRD_PARTY, _OPTIGOV
        ),
        api_version=Sourced(
            "v2", THIRD_PARTY, "optiGov src/Api/ApiClient.php calls /v2/… on this host"
        ),
        routing_base=Sourced(
            "https://routing-api-prod.fit-connect.fitko.net", OFFICIAL, _ROUTING_YAML
        ),
        ssp_jwks_url=None,  # open question (docs/fitko-facts.md §1)
        self_signed_allowed=False,
        test_submission_allowed=False,
    ),
)
BY_KEY = {environment.key: environment for environment in FITKO_ENVIRONMENTS}


def host_of(url: str) -> str:
    """Return the host (and port) of a URL, as evidence names it."""
    parts = urlsplit(url)
    return parts.netloc or url


def is_fitko_host(url: str) -> bool:
    hostname = (urlsplit(url).hostname or "").lower()
    return any(hostname.endswith(suffix) for suffix in FITKO_HOST_SUFFIXES)


# docs/fitko-facts.md §1 "Rule": the new hosts serve /v2, the older ones /v1 (3rd-party evidence).
V2_HOSTS = (
    "test.fit-connect.fitko.dev",
    "stage.fit-connect.fitko.net",
    "prod.fit-connect.fitko.net",
)
V1_HOSTS = (
    "submission-api-testing.fit-connect.fitko.dev",
    "submission-api-refz.fit-connect.niedersachsen.de",
    "submission-api-prod.fit-connect.niedersachsen.de",
)


def known_api_version(submission_base: str) -> str | None:
    """Return the Submission API version a FITKO host is known to serve, or None."""
    hostname = (urlsplit(submission_base).hostname or "").lower()
    if hostname in V2_HOSTS:
        return "v2"
    if hostname in V1_HOSTS:
        return "v1"
    return None
