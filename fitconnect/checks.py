"""The seven verification checks of a FIT-Connect connection.

Each check takes plain inputs (where FIT-Connect is, what the authority recorded, the
credentials) and returns a ``CheckResult``: a status, a translated message and evidence. No
views, no requests, no templates: the portal's panel, ``manage.py verify_onboarding`` and
tests all call ``Verification.run``.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from fitconnect import crypto
from fitconnect.http import Client, FitConnectError, refuse_private_address
from fitconnect.i18n import gettext as _
from fitconnect.i18n import gettext_lazy

Status = Literal["ok", "warning", "failed", "skipped"]
RECEIVE_SCOPE = "https://schema.fitko.de/fit-connect/oauth/scopes/subscribe-destinations"
LEGACY_RECEIVE_SCOPE = "subscribe:destination:"
MAX_TOKEN_LIFETIME = 1800
LEIKA_URN = "urn:de:fim:leika:leistung:"
GEBIET_URN = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:"
CALLBACK_TYPE = "https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions"
METADATA_SCHEMA = "https://schema.fitko.de/fit-connect/metadata/{version}/metadata.schema.json"


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
    status: Status
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Lazy: translated where a title is shown (``str(...)``), not at import time.
CHECK_TITLES = {
    "token": gettext_lazy("Access token (OAuth)"),
    "destination": gettext_lazy("Destination"),
    "keys": gettext_lazy("Keys of the destination"),
    "jwks": gettext_lazy("Keys of the delivery service"),
    "routing": gettext_lazy("Routing"),
    "submission": gettext_lazy("Test submission"),
    "callback": gettext_lazy("Callback"),
}
CHECK_ORDER = tuple(CHECK_TITLES)


class Failed(Exception):
    """Ends a check with status failed (or warning) and a translated message."""

    def __init__(
        self, message: str, status: Status = "failed", evidence: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.evidence = dict(evidence or {})


def decode_jwt_claims(token: str) -> dict[str, Any]:
    """Return the claims of a JWT without verifying it (the portal only inspects them)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise Failed(_("The access_token is not a JWT (expected three parts separated by dots)."))
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        raise Failed(_("The claims in the access_token cannot be read.")) from None
    if not isinstance(claims, dict):
        raise Failed(_("The claims in the access_token are not a JSON object."))
    return claims


def _region_matches(configured: str, ars: str) -> bool:
    value = configured.removeprefix(GEBIET_URN).removeprefix("DE")
    return value.startswith(ars) or ars.startswith(value)


@dataclass
class Verification:
    """Runs the checks for one environment, sharing what earlier checks fetched."""

    target: Target
    expected: Expected
    credentials: Credentials
    connect_timeout: float = 5.0
    check_timeout: float = 15.0
    submission_timeout: float = 60.0
    poll_interval: float = 1.0
    transport: httpx.BaseTransport | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _cache: dict[str, Any] = field(default_factory=dict)

    def client(self, total: float | None = None) -> Client:
        return Client(
            connect_timeout=self.connect_timeout,
            total_timeout=total or self.check_timeout,
            transport=self.transport,
        )

    def run(self, only: tuple[str, ...] = CHECK_ORDER) -> Iterator[CheckResult]:
        for name in only:
            yield self.run_check(name)

    def run_check(self, name: str) -> CheckResult:
        title = str(CHECK_TITLES[name])
        started = time.monotonic()
        method: Callable[[Client], tuple[Status, str, dict[str, Any], list[str]]] = getattr(
            self, f"_check_{name}"
        )
        total = self.submission_timeout + self.check_timeout if name == "submission" else None
        try:
            with self.client(total) as client:
                status, message, evidence, details = method(client)
        except Failed as failure:
            status, message, evidence, details = (
                failure.status,
                failure.message,
                failure.evidence,
                [],
            )
        except FitConnectError as error:
            status, message, evidence, details = "failed", error.message, dict(error.evidence), []
        except crypto.CryptoError as error:
            status, message, evidence, details = "failed", str(error), {}, []
        evidence.pop("retryable", None)
        evidence["check_duration_ms"] = round((time.monotonic() - started) * 1000)
        return CheckResult(name, title, status, message, evidence, details)

    # Shared steps ----------------------------------------------------------------------

    def _token(
        self, client: Client, client_id: str, secret: str, who: str
    ) -> tuple[str, dict[str, Any]]:
        key = f"token:{client_id}"
        if key in self._cache:
            return self._cache[key]  # type: ignore[no-any-return]
        if not client_id or not secret:
            raise Failed(
                _("The client ID or client secret of the %(who)s is missing.") % {"who": who},
                status="skipped",
            )
        response = client.request(
            "POST",
            self.target.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
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
        self._cache[key] = (token, response.evidence() | {"expires_in": body.get("expires_in")})
        return self._cache[key]  # type: ignore[no-any-return]

    def _subscriber_token(self, client: Client) -> str:
        return self._token(
            client,
            self.credentials.subscriber_id,
            self.credentials.subscriber_secret,
            _("Subscriber client"),
        )[0]

    def _destination(self, client: Client) -> tuple[dict[str, Any], dict[str, Any]]:
        if "destination" not in self._cache:
            if not self.expected.destination_id:
                raise Failed(
                    _("No destination ID is recorded for this environment."), status="skipped"
                )
            token = self._subscriber_token(client)
            response = client.request(
                "GET",
                self.target.api(f"/destinations/{self.expected.destination_id}"),
                headers={"Authorization": f"Bearer {token}"},
            )
            self._cache["destination"] = (
                response.json_object(_("The destination")),
                response.evidence(),
            )
        return self._cache["destination"]  # type: ignore[no-any-return]

    def _key(self, client: Client, kid: str) -> tuple[dict[str, Any], dict[str, Any]]:
        cache_key = f"key:{kid}"
        if cache_key not in self._cache:
            token = self._subscriber_token(client)
            response = client.request(
                "GET",
                self.target.api(f"/destinations/{self.expected.destination_id}/keys/{kid}"),
                headers={"Authorization": f"Bearer {token}"},
            )
            self._cache[cache_key] = (
                response.json_object(_("The key")),
                response.evidence(),
            )
        return self._cache[cache_key]  # type: ignore[no-any-return]

    def _jwks(
        self, client: Client, url: str, what: str
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        cache_key = f"jwks:{url}"
        if cache_key not in self._cache:
            response = client.request("GET", url)
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
            self._cache[cache_key] = (keys, response.evidence())
        return self._cache[cache_key]  # type: ignore[no-any-return]

    def _zustelldienst_jwks(self, client: Client) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        url = f"{self.target.submission_base.rstrip('/')}/.well-known/jwks.json"
        return self._jwks(client, url, _("The JWKS of the delivery service"))

    # 1. Token ------------------------------------------------------------------------------

    def _check_token(self, client: Client) -> tuple[Status, str, dict[str, Any], list[str]]:
        token, evidence = self._token(
            client,
            self.credentials.subscriber_id,
            self.credentials.subscriber_secret,
            _("Subscriber client"),
        )
        claims = decode_jwt_claims(token)
        if isinstance(claims.get("exp"), int) and isinstance(claims.get("iat"), int):
            lifetime = claims["exp"] - claims["iat"]
        else:
            lifetime = int(evidence.get("expires_in") or 0)
        scopes = str(claims.get("scope", "")).split()
        evidence = evidence | {"lifetime_s": lifetime, "scopes": scopes}
        receiving = [s for s in scopes if s == RECEIVE_SCOPE or s.startswith(LEGACY_RECEIVE_SCOPE)]
        if not receiving:
            raise Failed(
                _(
                    "The token contains no scope for receiving submissions (%(scope)s or "
                    "subscribe:destination:…). Is the client of type Subscriber and assigned "
                    "to a destination?"
                )
                % {"scope": RECEIVE_SCOPE},
                evidence=evidence,
            )
        if lifetime <= 0 or lifetime > MAX_TOKEN_LIFETIME:
            return (
                "warning",
                _(
                    "Token received, but its validity of %(lifetime)s s is not between 1 and "
                    "%(maximum)s s."
                )
                % {"lifetime": lifetime, "maximum": MAX_TOKEN_LIFETIME},
                evidence,
                [],
            )
        return (
            "ok",
            _("Token received (JWT, valid for %(lifetime)s s, receiving scope present).")
            % {"lifetime": lifetime},
            evidence,
            [],
        )

    # 2. Destination ------------------------------------------------------------------------

    def _check_destination(self, client: Client) -> tuple[Status, str, dict[str, Any], list[str]]:
        destination, evidence = self._destination(client)
        diff: list[dict[str, Any]] = []

        def compare(field_name: str, recorded: Any, configured: Any, ok: bool) -> None:
            diff.append(
                {"field": field_name, "recorded": recorded, "configured": configured, "match": ok}
            )

        status = destination.get("status")
        compare("status", "active", status, status == "active")
        compare(
            "encryptionKid",
            self.expected.encryption_kid,
            destination.get("encryptionKid"),
            not self.expected.encryption_kid
            or destination.get("encryptionKid") == self.expected.encryption_kid,
        )
        services = destination.get("services", destination.get("publicServices"))
        if not isinstance(services, list):
            raise Failed(
                _(
                    "The response does not have the expected structure: the destination "
                    "contains no list of services (services)."
                ),
                evidence=evidence,
            )
        by_identifier = {str(s.get("identifier")): s for s in services if isinstance(s, dict)}
        for service in self.expected.services:
            configured = by_identifier.get(f"{LEIKA_URN}{service.key}")
            label = _("Service %(key)s") % {"key": service.key}
            if configured is None:
                compare(label, service.name, None, False)
                continue
            schemas = [
                (s.get("schemaUri"), s.get("mimeType"))
                for s in configured.get("submissionSchemas", [])
                if isinstance(s, dict)
            ]
            compare(
                _("Service %(key)s: schema") % {"key": service.key},
                f"{service.schema_uri} ({service.mime_type})",
                "; ".join(f"{uri} ({mime})" for uri, mime in schemas) or None,
                (service.schema_uri, service.mime_type) in schemas,
            )
            regions = [str(r) for r in configured.get("regions", [])]
            compare(
                _("Service %(key)s: regions") % {"key": service.key},
                ", ".join(service.regions),
                ", ".join(regions) or None,
                all(any(_region_matches(r, ars) for r in regions) for ars in service.regions),
            )
            channels = configured.get("replyChannels") or {}
            compare(
                _("Service %(key)s: reply channels") % {"key": service.key},
                json.dumps(service.reply_channels, sort_keys=True)
                if service.reply_channels
                else _("Letter"),
                json.dumps(channels, sort_keys=True) if channels else _("Letter"),
                channels == service.reply_channels,
            )
        extra = sorted(set(by_identifier) - {f"{LEIKA_URN}{s.key}" for s in self.expected.services})
        versions = [str(v) for v in destination.get("metadataVersions", [])]
        compare(
            "metadataVersions",
            ", ".join(self.expected.metadata_versions),
            ", ".join(versions) or None,
            bool(versions) and set(self.expected.metadata_versions) <= set(versions),
        )
        evidence = evidence | {"diff": diff, "destination_status": status}
        mismatches = [d for d in diff if not d["match"]]
        details = [
            _("%(field)s: recorded %(recorded)s – in the destination %(configured)s")
            % {"field": d["field"], "recorded": d["recorded"], "configured": d["configured"]}
            for d in mismatches
        ]
        if mismatches:
            return (
                "failed",
                _("The destination differs from the recorded data in %(count)d point(s).")
                % {"count": len(mismatches)},
                evidence,
                details,
            )
        if extra:
            return (
                "warning",
                _(
                    "The destination is active and matches, but offers further services that "
                    "are not recorded here: %(services)s."
                )
                % {"services": ", ".join(extra)},
                evidence,
                [],
            )
        return (
            "ok",
            _("The destination is active and matches all recorded data."),
            evidence,
            [],
        )

    # 3. Keys -------------------------------------------------------------------------------

    def _check_keys(self, client: Client) -> tuple[Status, str, dict[str, Any], list[str]]:
        destination, _evidence = self._destination(client)
        encryption_kid = str(destination.get("encryptionKid") or self.expected.encryption_kid)
        keys: list[tuple[crypto.Purpose, str]] = [("encryption", encryption_kid)]
        if self.expected.signature_kid:
            keys.append(("signature", self.expected.signature_kid))
        details: list[str] = []
        evidence: dict[str, Any] = {"keys": []}
        worst: Status = "ok"
        now = self.clock()
        for purpose, kid in keys:
            data, key_evidence = self._key(client, kid)
            findings = crypto.check_jwk(
                data, purpose, self_signed_allowed=self.target.self_signed_allowed, now=now
            )
            expiry = crypto.certificate_expiry(data)
            evidence["keys"].append(
                key_evidence
                | {
                    "kid": kid,
                    "purpose": purpose,
                    "expires": expiry.date().isoformat() if expiry else None,
                    "findings": [asdict(f) for f in findings],
                }
            )
            label = _("Encryption") if purpose == "encryption" else _("Signature")
            for finding in findings:
                if finding.status != "ok":
                    details.append(f"{label} ({kid}): {finding.message}")
                if finding.status == "failed":
                    worst = "failed"
                elif finding.status == "warning" and worst == "ok":
                    worst = "warning"
        messages = {
            "ok": _("Both keys meet all requirements."),
            "warning": _("The keys are valid, but there are notes."),
            "failed": _("At least one key does not meet the requirements."),
        }
        return worst, messages[worst], evidence, details

    # 4. Zustelldienst JWKS -------------------------------------------------------------------

    def _check_jwks(self, client: Client) -> tuple[Status, str, dict[str, Any], list[str]]:
        keys, evidence = self._zustelldienst_jwks(client)
        algs = [str(k.get("alg")) for k in keys]
        evidence = evidence | {"kids": [k.get("kid") for k in keys], "algs": algs}
        if not keys:
            raise Failed(_("The JWKS of the delivery service contains no keys."), evidence=evidence)
        if any(alg != "PS512" for alg in algs):
            raise Failed(
                _("The JWKS of the delivery service contains keys with %(algs)s; expected PS512.")
                % {"algs": ", ".join(algs)},
                evidence=evidence,
            )
        return (
            "ok",
            _("The JWKS of the delivery service is reachable (%(count)d PS512 keys).")
            % {"count": len(keys)},
            evidence,
            [],
        )

    # 5. Routing ------------------------------------------------------------------------------

    def _check_routing(self, client: Client) -> tuple[Status, str, dict[str, Any], list[str]]:
        if not self.target.routing_base:
            raise Failed(_("No Routing API is set up for this environment."), status="skipped")
        ssp_keys: list[dict[str, Any]] = []
        if self.target.ssp_jwks_url:
            ssp_keys, _evidence = self._jwks(
                client, self.target.ssp_jwks_url, _("The JWKS of the Self-Service-Portal")
            )
        results: list[dict[str, Any]] = []
        details: list[str] = []
        worst: Status = "ok"
        for service in self.expected.services:
            if not service.regions:
                continue
            ars = service.regions[0]
            url = (
                f"{self.target.routing_base.rstrip('/')}{self.target.routing_prefix}/routes"
                f"?leikaKey={service.key}&ars={ars}"
            )
            response = client.request("GET", url)
            body = response.json_object(_("The response of the Routing API"))
            routes = body.get("routes")
            if not isinstance(routes, list):
                raise Failed(
                    _(
                        "The response does not have the expected structure: the response of "
                        "the Routing API contains no list routes."
                    ),
                    evidence=response.evidence(),
                )
            ours = [
                r
                for r in routes
                if isinstance(r, dict) and r.get("destinationId") == self.expected.destination_id
            ]
            entry = response.evidence() | {"leistung": service.key, "ars": ars, "found": bool(ours)}
            results.append(entry)
            if not ours:
                status: Status = (
                    "warning" if self.target.environment in ("test", "sandbox") else "failed"
                )
                worst = "failed" if status == "failed" or worst == "failed" else "warning"
                not_found = _("Service %(key)s, ARS %(ars)s: the destination is not found.") % {
                    "key": service.key,
                    "ars": ars,
                }
                if status == "warning":
                    not_found += " " + _(
                        "In the test environment the FITKO support enters routing entries by "
                        "hand: send the destination ID, addressing information, ARS and service "
                        "key to fit-connect-support@fjd.de."
                    )
                details.append(not_found)
                continue
            signature = ours[0].get("destinationSignature")
            if not isinstance(signature, str):
                raise Failed(
                    _("The routing entry contains no destinationSignature."), evidence=entry
                )
            if not ssp_keys:
                worst = "failed" if worst == "failed" else "warning"
                details.append(
                    _(
                        "Service %(key)s: found, but the signature cannot be checked without "
                        "an SSP JWKS address."
                    )
                    % {"key": service.key}
                )
                continue
            payload = crypto.verify_jws(signature, ssp_keys)
            problems = []
            if payload.get("destinationId") != self.expected.destination_id:
                problems.append(_("names a different destination"))
            raw_services = payload.get("services")
            services = raw_services if isinstance(raw_services, list) else []
            leistungen = {
                i for s in services if isinstance(s, dict) for i in s.get("leistungIDs", [])
            }
            gebiete = [g for s in services if isinstance(s, dict) for g in s.get("gebietIDs", [])]
            if f"{LEIKA_URN}{service.key}" not in leistungen:
                problems.append(_("does not name the service %(key)s") % {"key": service.key})
            if not any(_region_matches(str(g), ars) for g in gebiete):
                problems.append(_("does not name the region %(ars)s") % {"ars": ars})
            entry["signature_valid"] = True
            if problems:
                worst = "failed"
                details.append(
                    _("Service %(key)s: the signed addressing information %(problems)s.")
                    % {"key": service.key, "problems": ", ".join(problems)}
                )
        evidence: dict[str, Any] = {"routes": results}
        messages = {
            "ok": _("The destination is found for all services; the signatures are valid."),
            "warning": _("The routing is not complete yet."),
            "failed": _(
                "The routing does not find the destination or the signature does not match."
            ),
        }
        return worst, messages[worst], evidence, details

    # 6. Test submission ----------------------------------------------------------------------

    def _check_submission(self, client: Client) -> tuple[Status, str, dict[str, Any], list[str]]:
        if not self.target.test_submission_allowed:
            raise Failed(
                _("In the production environment the portal sends no test submissions."),
                status="skipped",
            )
        if not self.expected.services:
            raise Failed(
                _("No service is recorded for which a submission could be made."),
                status="skipped",
            )
        started = time.monotonic()
        sender_token = self._token(
            client,
            self.credentials.sender_id,
            self.credentials.sender_secret,
            _("Sender client (online service)"),
        )[0]
        destination, _evidence = self._destination(client)
        encryption_kid = str(destination.get("encryptionKid") or self.expected.encryption_kid)
        encryption_key, _evidence = self._key(client, encryption_kid)
        service = self.expected.services[0]
        auth = {"Authorization": f"Bearer {sender_token}"}
        created = client.request(
            "POST",
            self.target.api("/submissions"),
            headers=auth,
            json_body={
                "destinationId": self.expected.destination_id,
                "announcedAttachments": [],
                "serviceType": {"name": service.name, "identifier": f"{LEIKA_URN}{service.key}"},
            },
            expect=(200, 201),
        ).json_object(_("The response to creating the submission"))
        submission_id, case_id = (
            str(created.get("submissionId", "")),
            str(created.get("caseId", "")),
        )
        if not submission_id or not case_id:
            raise Failed(
                _("The response to creating the submission contains no submissionId or caseId.")
            )
        data = json.dumps(
            {
                "testeinreichung": True,
                "hinweis": "Testeinreichung des FIT-Connect Anbindungsportals",
                "leistung": service.key,
                "erstellt": self.clock().isoformat(),
                "id": str(uuid.uuid4()),
            },
            ensure_ascii=False,
        ).encode()
        version = max(
            self.expected.metadata_versions,
            default="1.2.0",
            key=lambda v: tuple(int(p) for p in v.split(".")),
        )
        metadata = {
            "$schema": METADATA_SCHEMA.format(version=version),
            "contentStructure": {
                "data": {
                    "hash": {"type": "sha512", "content": crypto.sha512_hex(data)},
                    "submissionSchema": {
                        "schemaUri": service.schema_uri,
                        "mimeType": service.mime_type,
                    },
                },
                "attachments": [],
            },
        }
        client.request(
            "PUT",
            self.target.api(f"/submissions/{submission_id}"),
            headers=auth,
            json_body={
                "encryptedMetadata": crypto.encrypt_jwe(
                    json.dumps(metadata).encode(), encryption_key
                ),
                "encryptedData": crypto.encrypt_jwe(
                    data, encryption_key, content_type=service.mime_type
                ),
            },
            expect=(200, 202, 204),
        )
        evidence: dict[str, Any] = {
            "submission_id": submission_id,
            "case_id": case_id,
            "leistung": service.key,
        }
        signature_key, _evidence = (
            self._key(client, self.expected.signature_kid)
            if self.expected.signature_kid
            else ({}, {})
        )
        zustelldienst_keys, _evidence = self._zustelldienst_jwks(client)
        deadline = started + self.submission_timeout
        events: list[dict[str, Any]] = []
        while True:
            log = client.request(
                "GET", self.target.api(f"/cases/{case_id}/events"), headers=auth
            ).json_object(_("The event log"))
            entries = log.get("eventLog")
            if not isinstance(entries, list):
                raise Failed(
                    _(
                        "The response does not have the expected structure: the event log "
                        "contains no list eventLog."
                    ),
                    evidence=evidence,
                )
            events = []
            for token in entries:
                if not isinstance(token, str):
                    raise Failed(_("An entry in the event log is not a SET."), evidence=evidence)
                issuer_is_destination = self._set_issuer(token) == self.expected.destination_id
                keys = (
                    [signature_key]
                    if issuer_is_destination and signature_key
                    else zustelldienst_keys
                )
                payload = crypto.verify_set(
                    token, keys, submission_id=submission_id, case_id=case_id
                )
                events.append(
                    {
                        "event": crypto.event_name(payload),
                        "issued_at": datetime.fromtimestamp(
                            int(payload.get("iat", 0)), UTC
                        ).isoformat(),
                        "issuer": payload.get("iss"),
                    }
                )
            names = [e["event"] for e in events]
            if "accept-submission" in names or "reject-submission" in names:
                break
            if time.monotonic() + self.poll_interval > deadline:
                raise Failed(
                    _(
                        "The Fachverfahren did not accept or reject the test submission within "
                        "%(seconds)g s. Does it fetch submissions?"
                    )
                    % {"seconds": self.submission_timeout},
                    evidence=(evidence | {"events": events}),
                )
            time.sleep(self.poll_interval)
        evidence |= {"events": events, "duration_s": round(time.monotonic() - started, 1)}
        if "reject-submission" in names:
            return (
                "failed",
                _("The Fachverfahren rejected the test submission (reject-submission)."),
                evidence,
                [],
            )
        return (
            "ok",
            _("Test submission received, decrypted and accepted (%(seconds)s s).")
            % {"seconds": evidence["duration_s"]},
            evidence,
            [],
        )

    @staticmethod
    def _set_issuer(token: str) -> str:
        try:
            part = token.split(".")[1]
            return str(
                json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))).get("iss", "")
            )
        except (ValueError, IndexError, AttributeError):
            return ""

    # 7. Callback -------------------------------------------------------------------------------

    def _check_callback(self, client: Client) -> tuple[Status, str, dict[str, Any], list[str]]:
        url = self.expected.callback_url
        if not url:
            raise Failed(
                _("No callback URL is recorded; the callback is optional."), status="skipped"
            )
        if not self.credentials.callback_secret:
            raise Failed(
                _("Without a callback secret the callback cannot be checked."), status="skipped"
            )
        refuse_private_address(url, allow_private=self.target.allow_private_addresses)
        body = json.dumps(
            {
                "type": CALLBACK_TYPE,
                "submissionIds": ["00000000-0000-4000-8000-000000000000"],
                "submissions": [
                    {
                        "destinationId": self.expected.destination_id,
                        "submissionId": "00000000-0000-4000-8000-000000000000",
                        "caseId": "00000000-0000-4000-8000-000000000001",
                    }
                ],
            }
        ).encode()
        secret = self.credentials.callback_secret
        now = int(self.clock().timestamp())
        cases = [
            (_("validly signed"), now, crypto.callback_signature(secret, now, body), (200,)),
            (
                _("tampered with"),
                now,
                crypto.callback_signature(secret, now, body + b" "),
                tuple(range(400, 500)),
            ),
            (
                _("stale (older than 5 minutes)"),
                now - 600,
                crypto.callback_signature(secret, now - 600, body),
                tuple(range(400, 500)),
            ),
        ]
        results = []
        details = []
        for label, timestamp, signature, expected in cases:
            response = client.request(
                "POST",
                url,
                headers={
                    "content-type": "application/json",
                    "callback-authentication": signature,
                    "callback-timestamp": str(timestamp),
                },
                content=body,
                expect=tuple(range(100, 600)),
            )
            ok = response.status in expected
            results.append(response.evidence() | {"case": label, "as_expected": ok})
            if not ok:
                wanted = "200" if expected == (200,) else "4xx"
                details.append(
                    _("Callback %(case)s: HTTP %(status)s, expected %(wanted)s.")
                    % {"case": label, "status": response.status, "wanted": wanted}
                )
        evidence = {"callbacks": results}
        if details:
            return (
                "failed",
                _("The callback check of the Fachverfahren does not behave as required."),
                evidence,
                details,
            )
        return (
            "ok",
            _(
                "The callback is accepted when validly signed; tampered and stale calls are "
                "rejected."
            ),
            evidence,
            [],
        )
