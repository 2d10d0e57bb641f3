"""The conformance run over HTTP: the portal as a Sender, case by case, resumable.

``Conformance.send`` creates, uploads and submits one case's submission with the Sender
client and returns its state as JSON (submission and case ID, the tags sent, when). A case
the Zustelldienst must stop is judged at once by the HTTP status it answered.
``Conformance.poll`` looks at the case's event log once (``GET …/cases/{caseId}/events``,
every SET verified) and judges the Fachverfahren's answer, or leaves the case waiting. The
portal's worker stores each state between polls, so a run can be left and resumed;
``Conformance.run`` does both in one loop (the command line and tests).
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import httpx

from fitconnect import crypto
from fitconnect.checks import Credentials, Expected, Failed, RunContext, Target, Verification
from fitconnect.checks.base import SENDER_CLIENT, ExpectedService
from fitconnect.constants import service_identifier
from fitconnect.http import FitConnectError
from fitconnect.i18n import gettext_noop
from fitconnect.messages import Text, define, encode_tree

from . import judge
from .battery import (
    CASE_ORDER,
    CASES,
    DEFECT_CASES,
    VALID_PREFIX,
    Built,
    CannotBuild,
    Declared,
    build,
    kind_of,
    valid_case,
)

CANNOT_BUILD = define(
    "conformance.cannot_build",
    gettext_noop(
        "Not run: the portal cannot generate this case from the recorded JSON Schema: it "
        "uses something the generator does not handle (for example a pattern)."
    ),
)
TEMPLATE_MISSING = define(
    "conformance.template_missing",
    gettext_noop(
        "Not run: template missing. The Leistung %(service)s has an XML schema (XSD), from "
        "which the portal cannot generate a submission. Upload a minimal valid XML document "
        "for it in step 1 under Services (Leistungen) with “Upload an XML template”."
    ),
)
NOT_DECLARED = define(
    "conformance.not_declared",
    gettext_noop(
        "Not run: the destination does not offer the schema %(schema)s for the Leistung "
        "%(service)s (%(key)s), so no valid submission for it can be sent. Either the schema "
        "is recorded wrongly in step 1 or the destination's settings lack it; “Check the "
        "connection” compares the two."
    ),
)
NOT_SENT = define(
    "conformance.not_sent",
    gettext_noop("The submission could not be sent: %(reason)s"),
)
NO_SERVICE = define(
    "conformance.no_service",
    gettext_noop("No Leistung with a schema is recorded for which a submission could be made."),
)
NOT_IN_PRODUCTION = define(
    "conformance.production",
    gettext_noop("In the production environment the portal sends no test submissions."),
)
WHAT_CREATED = define("what.conformance_created", gettext_noop("The created submission"))
WHAT_EVENTS = define("what.conformance_events", gettext_noop("The event log"))
WHAT_KEY = define("what.conformance_key", gettext_noop("The destination's key"))
WHAT_DESTINATION = define("what.conformance_destination", gettext_noop("The destination"))


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Conformance:
    """One conformance run against one environment (see the module docstring)."""

    target: Target
    expected: Expected
    credentials: Credentials
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)  # schema URI -> content
    templates: dict[str, bytes] = field(default_factory=dict)  # schema URI -> document
    transport: httpx.BaseTransport | None = None
    connect_timeout: float = 5.0
    check_timeout: float = 15.0
    clock: Callable[[], datetime] = _now
    # A callback ({"url", "secret"}) the Zustelldienst tells of new events (NEW_EVENTS).
    sender_callback: dict[str, str] | None = None
    _verification: Verification = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._verification = Verification(
            target=self.target,
            expected=self.expected,
            credentials=self.credentials,
            connect_timeout=self.connect_timeout,
            check_timeout=self.check_timeout,
            transport=self.transport,
            clock=self.clock,
        )

    @property
    def ctx(self) -> RunContext:
        return self._verification.context

    # --- what the Zustellpunkt declares ---

    def _auth(self) -> dict[str, str]:
        own = self.credentials
        token, _evidence = self.ctx.token(own.sender_id, own.sender_secret, SENDER_CLIENT())
        return {"Authorization": f"Bearer {token}"}

    def _recorded(self) -> list[ExpectedService]:
        """The recorded Leistungen with a schema: one valid case each."""
        return [s for s in self.expected.services if s.schema_uri]

    def cases(self) -> tuple[str, ...]:
        """The cases of this run: a valid submission per recorded Leistung and its schema,
        then the defect cases (for one Leistung, ``_service``). Without a Leistung with a
        schema, the battery's own order (every case then says why it was not run)."""
        recorded = self._recorded()
        if not recorded:
            return CASE_ORDER
        return (*(valid_case(s.key) for s in recorded), *DEFECT_CASES)

    def _service(self, case: str = "") -> ExpectedService:
        if not self.target.test_submission_allowed:
            raise Failed(NOT_IN_PRODUCTION(), status="skipped")
        services = self._recorded()
        if not services:
            raise Failed(NO_SERVICE(), status="skipped")
        if case.startswith(VALID_PREFIX):
            key = case.removeprefix(VALID_PREFIX)
            return next((s for s in services if s.key == key), services[0])
        # The defect cases: the first Leistung the battery can be built for (JSON, or XML
        # with the provider's template), one the destination offers where there is one.
        buildable = [s for s in services if "json" in s.mime_type or s.schema_uri in self.templates]
        offered = (s for s in buildable if self._offers(s))
        return next(offered, next(iter(buildable), services[0]))

    def _destination(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Fetch the destination and its encryption key with the Sender client (once)."""
        if "conformance-destination" not in self.ctx.cache:
            api, auth = self.target.api, self._auth()
            base = f"/destinations/{self.expected.destination_id}"
            destination = self.ctx.http.request("GET", api(base), headers=auth).json_object(
                WHAT_DESTINATION()
            )
            kid = str(destination.get("encryptionKid") or self.expected.encryption_kid)
            key = self.ctx.http.request("GET", api(f"{base}/keys/{kid}"), headers=auth)
            self.ctx.cache["conformance-destination"] = (destination, key.json_object(WHAT_KEY()))
        return self.ctx.cache["conformance-destination"]  # type: ignore[no-any-return]

    def _offers(self, service: ExpectedService) -> bool:
        """Whether the destination offers the Leistung with its recorded schema."""
        destination, _key = self._destination()
        offered = destination.get(self.target.services_field)
        identifier = service_identifier(service.key)
        for entry in offered if isinstance(offered, list) else []:
            if not isinstance(entry, dict) or entry.get("identifier") != identifier:
                continue
            schemas = entry.get("submissionSchemas")
            for schema in schemas if isinstance(schemas, list) else []:
                if isinstance(schema, dict) and schema.get("schemaUri") == service.schema_uri:
                    return True
        return False

    def service_words(self, service: ExpectedService) -> dict[str, str]:
        """The Leistung and its schema in words (no raw URI where the schema has a name)."""
        return {
            "name": service.name,
            "key": service.key,
            "schema": schema_words(service, self.schemas.get(service.schema_uri)),
        }

    def declared(self, case: str = "") -> Declared:
        """What the destination declares, for the Leistung the case is sent for."""
        service = self._service(case)
        destination, key = self._destination()
        versions = destination.get("metadataVersions")
        return Declared(
            destination_id=self.expected.destination_id,
            encryption_key=key,
            service_name=service.name,
            service_identifier=service_identifier(service.key),
            schema_uri=service.schema_uri,
            mime_type=service.mime_type,
            metadata_versions=tuple(
                str(v) for v in (versions if isinstance(versions, list) else [])
            )
            or self.expected.metadata_versions,
            schema=self.schemas.get(service.schema_uri),
            template=self.templates.get(service.schema_uri),
        )

    # --- sending ---

    def _upload(self, built: Built, declared: Declared, auth: dict[str, str]) -> dict[str, Any]:
        """Create, upload and submit one built case; return its IDs."""
        api = self.target.api
        body = {
            "destinationId": built.destination_id,
            "announcedAttachments": built.announced,
            self.target.service_field: {
                "name": declared.service_name,
                "identifier": declared.service_identifier,
            },
        }
        if self.sender_callback:
            body["callback"] = dict(self.sender_callback)
        created = self.ctx.http.request(
            "POST", api("/submissions"), headers=auth, json_body=body, expect=(200, 201)
        ).json_object(WHAT_CREATED())
        submission_id, case_id = str(created.get("submissionId")), str(created.get("caseId"))
        for attachment_id, token in built.attachments.items():
            self.ctx.http.request(
                "PUT",
                api(f"/submissions/{submission_id}/attachments/{attachment_id}"),
                headers=auth | {"Content-Type": "application/jose"},
                content=token.encode(),
                expect=(200, 204),
            )
        self.ctx.http.request(
            "PUT",
            api(f"/submissions/{submission_id}"),
            headers=auth,
            json_body={
                "encryptedMetadata": built.encrypted_metadata,
                "encryptedData": built.encrypted_data,
            },
            expect=(200, 202, 204),
        )
        return {"submission_id": submission_id, "case_id": case_id}

    def send(self, case: str) -> dict[str, Any]:
        """Send one case; return its state (``status`` "sent", or "done" with a result)."""
        expectation = CASES[kind_of(case)]
        state: dict[str, Any] = {"case": case, "party": expectation.party, "status": "done"}
        try:
            with self.ctx.session():
                service = self._service(case)
                state["service"] = self.service_words(service)
                if case.startswith(VALID_PREFIX) and not self._offers(service):
                    words = state["service"]
                    message = NOT_DECLARED(
                        service=words["name"], key=words["key"], schema=words["schema"]
                    )
                    return finish(state, judge.Judgement("skipped", message, judge.GOT_NOTHING()))
                declared = self.declared(case)
                built = build(case, declared)
                state |= {"sent_at": self.clock().isoformat(), "tags": built.authentication_tags()}
                state["expectation"] = {
                    "outcome": built.expectation.outcome,
                    "instance": built.expectation.instance,
                    "problem": built.expectation.problem,
                    "status": built.expectation.status,
                }
                try:
                    state |= self._upload(built, declared, self._auth())
                except FitConnectError as error:
                    status = error.evidence.get("status")
                    if expectation.outcome != "refused" or not isinstance(status, int):
                        raise
                    return finish(state, judge.judge_refusal(case, expectation, status))
        except CannotBuild as missing:
            message = CANNOT_BUILD()
            if missing.missing == "template":
                message = TEMPLATE_MISSING(service=state["service"]["name"])
            return finish(state, judge.Judgement("skipped", message, judge.GOT_NOTHING()))
        except Failed as failure:
            verdict: judge.Verdict = "skipped" if failure.status == "skipped" else "error"
            return finish(
                state, judge.Judgement(verdict, _text(failure.message), judge.GOT_NOTHING())
            )
        except (FitConnectError, crypto.CryptoError) as error:
            message = NOT_SENT(reason=error.text)
            return finish(state, judge.Judgement("error", message, judge.GOT_NOTHING()))
        if expectation.outcome == "refused":
            return finish(state, judge.judge_refusal(case, expectation, None))
        state["status"] = "sent"
        return state

    # --- reading the answer ---

    def events(self, submission_id: str, case_id: str) -> list[dict[str, Any]]:
        """Return this submission's events from the case's event log, every SET verified."""
        api = self.target.api
        log = self.ctx.http.request(
            "GET", api(f"/cases/{case_id}/events"), headers=self._auth()
        ).json_object(WHAT_EVENTS())
        entries = log.get("eventLog") if isinstance(log.get("eventLog"), list) else []
        service_keys, _evidence = self.ctx.delivery_service_jwks()
        found = []
        for token in entries or []:
            if not isinstance(token, str) or _claim(token, "sub") != f"submission:{submission_id}":
                continue
            keys = service_keys
            if _claim(token, "iss") == self.expected.destination_id:
                keys = [self._destination_key(_header(token).get("kid"))]
            payload = crypto.verify_set(token, keys, submission_id=submission_id, case_id=case_id)
            (details,) = payload["events"].values()
            found.append({"event": crypto.event_name(payload), "details": details})
        return found

    def _destination_key(self, kid: Any) -> dict[str, Any]:
        cache_key = f"conformance-key:{kid}"
        if cache_key not in self.ctx.cache:
            path = f"/destinations/{self.expected.destination_id}/keys/{kid}"
            response = self.ctx.http.request("GET", self.target.api(path), headers=self._auth())
            self.ctx.cache[cache_key] = response.json_object(WHAT_KEY())
        return self.ctx.cache[cache_key]  # type: ignore[no-any-return]

    def poll(self, state: dict[str, Any]) -> dict[str, Any]:
        """Look once for the answer to a sent case; return the state, judged if answered."""
        if state.get("status") != "sent":
            return state
        try:
            with self.ctx.session():
                events = self.events(state["submission_id"], state["case_id"])
        except (FitConnectError, crypto.CryptoError, Failed):
            return state  # no verdict from a fault: look again later
        event = judge.answer(events)
        if event is None:
            return state
        expectation = replace(CASES[kind_of(state["case"])], **_stored_expectation(state))
        judgement = judge.judge_answer(state["case"], expectation, event, state.get("tags", {}))
        return finish(state, judgement, answered_at=self.clock().isoformat())

    def give_up(self, state: dict[str, Any], minutes: float) -> dict[str, Any]:
        """Mark a case that got no answer in time: "no answer", not failed."""
        return finish(state, judge.no_answer(minutes), status="no_answer")

    def run(
        self,
        cases: tuple[str, ...] | None = None,
        answer_timeout: float = 60.0,
        poll_interval: float = 1.0,
    ) -> Iterator[dict[str, Any]]:
        """Send every case, then wait for the answers; yield each case's state when final."""
        started = time.monotonic()
        waiting = []
        for case in cases if cases is not None else self.cases():
            state = self.send(case)
            if state["status"] == "sent":
                waiting.append(state)
            else:
                yield state
        while waiting:
            waiting = [self.poll(s) for s in waiting]
            yield from (s for s in waiting if s["status"] != "sent")
            waiting = [s for s in waiting if s["status"] == "sent"]
            if waiting and time.monotonic() + poll_interval > started + answer_timeout:
                yield from (self.give_up(s, answer_timeout / 60) for s in waiting)
                return
            if waiting:
                time.sleep(poll_interval)


def _stored_expectation(state: dict[str, Any]) -> dict[str, Any]:
    stored = state.get("expectation") or {}
    return {k: stored[k] for k in ("instance", "problem") if k in stored}


def _text(message: Any) -> Text:
    return message if isinstance(message, Text) else judge.GOT_NOTHING()


def _part(token: str, index: int) -> dict[str, Any]:
    try:
        encoded = token.split(".")[index]
        value = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, IndexError):
        return {}
    return value if isinstance(value, dict) else {}


def _header(token: str) -> dict[str, Any]:
    return _part(token, 0)


def _claim(token: str, name: str) -> Any:
    return _part(token, 1).get(name)


def finish(
    state: dict[str, Any], judgement: judge.Judgement, *, status: str = "done", **extra: Any
) -> dict[str, Any]:
    """Return the state with the judgement stored (messages as codes with parameters)."""
    expectation = CASES[kind_of(state["case"])]
    if "expectation" in state:
        expectation = replace(expectation, **_stored_expectation(state))
    return (
        state
        | extra
        | {
            "status": status,
            "verdict": judgement.verdict,
            "sent": encode_tree(judge.sent_text(state["case"], state.get("service"))),
            "expected": encode_tree(judge.expected_text(expectation)),
            "received": encode_tree(judgement.received),
            "message": encode_tree(judgement.message),
            "type_compared": judgement.type_compared,
            "problems": judgement.problems,
        }
    )


# FIM and XÖV as the step page names them (Leistung.SchemaKind); the same in every language.
SCHEMA_KINDS = {"fim": "FIM", "xoev": "XÖV"}
_FIM_ID = re.compile(r"/fim/(s\d+_[\d.]+?)\.schema\.json$", re.IGNORECASE)


def schema_words(service: ExpectedService, content: dict[str, Any] | None) -> str:
    """Name a schema as the step page does (kind, schema, media type), with the schema's
    title where its content is known, the FIM ID of a FIM URI, else the URI as recorded."""
    title = content.get("title") if isinstance(content, dict) else None
    fim = _FIM_ID.search(service.schema_uri)
    name = str(title) if title else fim[1] if fim else service.schema_uri
    media = "JSON" if "json" in service.mime_type else "XML"
    kind = SCHEMA_KINDS.get(service.schema_kind)
    return f"{kind}: {name}, {media}" if kind else f"{name}, {media}"
