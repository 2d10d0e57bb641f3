"""The Zustelldienst: Submission API v1 and v2 (destinations, submissions, attachments, events).

v1 follows FITKO's OpenAPI file 1.1.3 (``fitko-submission-api-1.1.3.yaml`` beside this
module). FITKO publishes no v2 spec; v2 differs as docs/fitko-facts.md §2 describes (3rd-party
only): paths under ``/v2``, ``publicServices`` in the destination, ``publicService`` in a
submission, and a JWE without ``cty`` is refused with 422. ``served-apis.json`` lists both.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Literal

from starlette.responses import Response
from starlette.routing import Route

from fitconnect.constants import SEND_SCOPE_GERMANY

from . import callbacks
from .events import (
    jwe_header,
    jws_payload,
    last_segment,
    record_service_event,
    record_subscriber_event,
    resign_weakly,
)
from .faults import FACHVERFAHREN_FAULTS
from .keys import public_key
from .oauth import ClientHandler, authorized
from .state import SUBMITTED, Case, Client, Destination, Role, State, Submission
from .web import Call, Handler, body_json, json_response, nested, paging, problem, route

VERSIONS = {"v1": (1, 1, 3), "v2": (2, 0, 0)}  # info.version: spec 1.1.3; v2 has none
NO_CACHE = {"Cache-Control": "no-cache"}  # the spec's Cache-Control-No-Cache header
_JWE = re.compile(r"[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){4}")
_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# The spec's pattern of a service identifier (serviceType.identifier); "$" as "\Z" here.
_SERVICE_URN = re.compile(r"urn:[a-z0-9][a-z0-9-]{0,31}:[a-z0-9()+,.:=@;$_!*'%/?#-]+\Z")


class SubmissionApi:
    """The Submission API's handlers of one version; senders create, subscribers fetch."""

    def __init__(self, state: State, version: str = "v1") -> None:
        if version not in VERSIONS:
            raise ValueError(f"Unknown Submission API version {version!r}")
        self.state = state
        self.version = version
        self.service_field = "serviceType" if version == "v1" else "publicService"

    def routes(self) -> list[Route]:
        def only(role: Role | Literal["any"], handler: ClientHandler) -> Handler:
            return authorized(self.state, role, handler)

        base = f"/submission-api/{self.version}"
        destination = base + "/destinations/{d}"
        submissions = base + "/submissions"
        one = submissions + "/{s}"
        attachment = one + "/attachments/{a}"
        events = base + "/cases/{c}/events"
        return [
            route("GET", base + "/info", self.info),
            route("GET", destination, only("any", self.get_destination)),
            route("GET", destination + "/keys/{kid}", self.get_key),
            route("POST", submissions, only("sender", self.create_submission)),
            route("GET", submissions, only("subscriber", self.list_submissions)),
            route("PUT", one, only("sender", self.submit)),
            route("GET", one, only("subscriber", self.get_submission)),
            route("PUT", attachment, only("sender", self.put_attachment)),
            route("GET", attachment, only("subscriber", self.get_attachment)),
            route("GET", events, only("any", self.get_events)),
            route("POST", events, only("subscriber", self.post_event)),
        ]

    def info(self, call: Call) -> Response:
        major, minor, patch = VERSIONS[self.version]
        return json_response(200, {"version": {"major": major, "minor": minor, "patch": patch}})

    # --- destinations ---

    @staticmethod
    def _status(destination: Destination, fault: str | None) -> str:
        return "inactive" if fault == "inactive" else destination.status

    def get_destination(self, call: Call, client: Client) -> Response:
        destination = self.state.destination(call.params["d"])
        if destination is None:
            return _destination_not_found(call, call.params["d"])
        status = self._status(destination, call.fault)
        return json_response(200, destination.to_json(status, self.version), headers=NO_CACHE)

    def get_key(self, call: Call) -> Response:
        destination = self.state.destination(call.params["d"])
        if destination is None:
            return _destination_not_found(call, call.params["d"])
        kid = call.params["kid"]
        key = destination.key(kid)
        if key is None:
            detail = f"Der Zustellpunkt hat keinen Schlüssel mit der kid {kid}."
            return problem(404, "key-not-found", "Schlüssel nicht gefunden", detail, call=call)
        return json_response(200, public_key(self.state, key, call.fault), headers=NO_CACHE)

    # --- sending ---

    def _create_request(self, call: Call) -> dict[str, Any] | Response:
        """Return the body of a create-submission request that matches the spec, or a 400."""
        data = body_json(call)
        if isinstance(data, Response):
            return data
        service = data.get(self.service_field)
        announced = data.get("announcedAttachments")
        identifier = nested(service, "identifier")
        case_id = data.get("caseId")
        callback = data.get("callback")
        valid = (
            _is_uuid(data.get("destinationId"))
            and isinstance(identifier, str)
            and 7 <= len(identifier) <= 255
            and _SERVICE_URN.match(identifier) is not None
            and isinstance(nested(service, "name"), str)
            and isinstance(announced, list)
            and all(_is_uuid(a) for a in announced)
            and (case_id is None or _is_uuid(case_id))
            and (
                callback is None
                or (
                    isinstance(nested(callback, "url"), str)
                    and isinstance(nested(callback, "secret"), str)
                )
            )
        )
        if not valid:
            detail = (
                f"Erwartet: destinationId (UUID), {self.service_field} mit name und identifier "
                "(eine URN wie urn:de:fim:leika:leistung:99050012104000), announcedAttachments "
                "als Liste von UUIDs und optional caseId (UUID) und callback mit url und secret."
            )
            return problem(400, "invalid-request", "Ungültige Anfrage", detail, call=call)
        return data

    def create_submission(self, call: Call, client: Client) -> Response:
        data = self._create_request(call)
        if isinstance(data, Response):
            return data
        identifier = data[self.service_field]["identifier"]
        destination = self.state.destination(data["destinationId"])
        if destination is None:
            return _destination_not_found(call, data["destinationId"])
        if self._status(destination, call.fault) != "active":
            detail = "Der Zustellpunkt nimmt keine Einreichungen an (Status nicht active)."
            return problem(
                422, "destination-state-invalid", "Zustellpunkt inaktiv", detail, call=call
            )
        service = destination.service(identifier)
        if service is None:
            detail = f"Der Zustellpunkt bietet die Leistung {identifier} nicht an."
            return problem(
                422, "service-not-offered", "Leistung nicht angeboten", detail, call=call
            )
        if not _may_send(client.scope, service.regions):
            detail = "Der Scope des Clients deckt die Regionen der Leistung nicht ab."
            return problem(403, "forbidden", "Keine Berechtigung", detail, call=call)
        submission = Submission(
            submission_id=str(uuid.uuid4()),
            case_id=str(data.get("caseId") or uuid.uuid4()),
            destination_id=destination.destination_id,
            sender=client.client_id,
            service_type={"name": data[self.service_field]["name"], "identifier": identifier},
            announced=list(data["announcedAttachments"]),
            reject=call.fault == "reject",
            fault=call.fault if call.fault in FACHVERFAHREN_FAULTS else None,
            callback=dict(data["callback"]) if data.get("callback") else None,
        )
        with self.state.lock:
            case = self.state.cases.get(submission.case_id)
            if case is None and data.get("caseId"):
                detail = f"Den Vorgang {submission.case_id} gibt es nicht."
                return problem(404, "case-not-found", "Vorgang nicht gefunden", detail, call=call)
            if case is not None and case.destination_id != destination.destination_id:
                detail = "Der Vorgang gehört zu einem anderen Zustellpunkt."
                return problem(422, "case-invalid", "Falscher Vorgang", detail, call=call)
            if case is None:
                case = Case(submission.case_id, destination.destination_id)
                self.state.cases[case.case_id] = case
            case.submissions.append(submission.submission_id)
            self.state.submissions[submission.submission_id] = submission
            record_service_event(self.state, case, submission, "create-submission", {})
        return json_response(201, submission.ids())

    def put_attachment(self, call: Call, client: Client) -> Response:
        submission = self._visible(call, client, call.params["s"])
        if isinstance(submission, Response):
            return submission
        if not _is_jose(call):
            return _unsupported_media(call, "application/jose")
        token = call.body.decode("ascii", "replace").strip()
        if not _JWE.fullmatch(token):
            detail = "Die Anlage muss ein JWE in kompakter Serialisierung sein."
            return problem(400, "invalid-request", "Ungültige Anlage", detail, call=call)
        with self.state.lock:
            if call.params["a"] not in submission.announced:
                detail = "Diese Anlage wurde nicht angekündigt."
                return problem(
                    422, "attachment-not-announced", "Anlage unbekannt", detail, call=call
                )
            if submission.status != "created":
                return _state_invalid(call, "Die Einreichung ist schon abgeschickt.")
            submission.attachments[call.params["a"]] = token
        return Response(status_code=204)

    def _submit_request(self, call: Call) -> tuple[str, str | None] | Response:
        """Return the JWEs of a submit request, or the answer that refuses it."""
        if not _is_json(call):
            return _unsupported_media(call, "application/json")
        data = body_json(call)
        if isinstance(data, Response):
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
            return problem(400, "invalid-request", "Ungültige Anfrage", detail, call=call)
        if self.version == "v2":
            without = [t for t in (metadata, content) if t and "cty" not in jwe_header(t)]
            if without:
                detail = "Jedes JWE braucht im geschützten Header den Inhaltstyp (cty)."
                return problem(422, "missing-content-type", "cty fehlt", detail, call=call)
        return metadata, content

    def submit(self, call: Call, client: Client) -> Response:
        submission = self._visible(call, client, call.params["s"])
        if isinstance(submission, Response):
            return submission
        parts = self._submit_request(call)
        if isinstance(parts, Response):
            return parts
        metadata, content = parts
        state = self.state
        with state.lock:
            if submission.status != "created":
                return _state_invalid(call, "Die Einreichung ist schon abgeschickt.")
            missing = [a for a in submission.announced if a not in submission.attachments]
            if missing:
                detail = f"Es fehlen angekündigte Anlagen: {', '.join(missing)}."
                return problem(422, "missing-attachments", "Anlagen fehlen", detail, call=call)
            submission.encrypted_metadata, submission.encrypted_data = metadata, content
            submission.status = SUBMITTED
            submission.reject = submission.reject or call.fault == "reject"
            if call.fault in FACHVERFAHREN_FAULTS:
                submission.fault = call.fault
            tags: dict[str, Any] = {"metadata": last_segment(metadata)}
            if content is not None:
                tags["data"] = last_segment(content)
            tags["attachments"] = {a: last_segment(t) for a, t in submission.attachments.items()}
            case = state.cases[submission.case_id]
            details = {"authenticationTags": tags}
            record_service_event(state, case, submission, "submit-submission", details)
            destination = state.destinations.get(submission.destination_id)
            if destination is not None and destination.simulated:
                state.schedule(submission.submission_id)
        if destination is not None:
            callbacks.new_submission(destination.callback, submission)
        return json_response(202, submission.reduced(self.version))

    # --- receiving ---

    def list_submissions(self, call: Call, client: Client) -> Response:
        page_of = paging(call)
        if isinstance(page_of, Response):
            return page_of
        offset, limit = page_of
        wanted = next(iter(call.query.getlist("destinationId")), "") or None
        with self.state.lock:
            open_ones = [
                s.ids()
                for s in self.state.submissions.values()
                if s.status == SUBMITTED
                and s.destination_id in client.destinations
                and wanted in (None, s.destination_id)
            ]
        page = open_ones[offset : offset + limit]
        return json_response(
            200,
            {
                "count": len(page),
                "offset": offset,
                "totalCount": len(open_ones),
                "submissions": page,
            },
        )

    def get_submission(self, call: Call, client: Client) -> Response:
        submission = self._visible(call, client, call.params["s"])
        if isinstance(submission, Response):
            return submission
        if submission.status != SUBMITTED:  # the spec: only "submitted or forwarded"
            detail = "Die Einreichung ist nicht (oder nicht mehr) abholbereit."
            return problem(
                404, "submission-not-found", "Einreichung nicht gefunden", detail, call=call
            )
        data = {
            **submission.reduced(self.version),
            "encryptedMetadata": submission.encrypted_metadata,
        }
        if submission.encrypted_data is not None:
            data["encryptedData"] = submission.encrypted_data
        return json_response(200, data)

    def get_attachment(self, call: Call, client: Client) -> Response:
        submission = self._visible(call, client, call.params["s"])
        if isinstance(submission, Response):
            return submission
        token = submission.attachments.get(call.params["a"])
        if token is None or submission.status != SUBMITTED:
            detail = "Diese Anlage gibt es nicht (oder nicht mehr)."
            return problem(404, "attachment-not-found", "Anlage nicht gefunden", detail, call=call)
        return Response(token.encode(), 200, media_type="application/jose")

    # --- events ---

    def get_events(self, call: Call, client: Client) -> Response:
        case = self._case(call, client, call.params["c"])
        if isinstance(case, Response):
            return case
        page_of = paging(call)
        if isinstance(page_of, Response):
            return page_of
        offset, limit = page_of
        with self.state.lock:
            events = list(case.events)
        if call.fault == "bad-set":
            tokens = resign_weakly(self.state, events)
        else:
            tokens = [e.token for e in events]
        page = tokens[offset : offset + limit]
        body = {"count": len(page), "offset": offset, "totalCount": len(tokens), "eventLog": page}
        return json_response(200, body)

    def post_event(self, call: Call, client: Client) -> Response:
        case = self._case(call, client, call.params["c"])
        if isinstance(case, Response):
            return case
        if not _is_jose(call):
            return _unsupported_media(call, "application/jose")
        token = call.body.decode("ascii", "replace").strip()
        if not _JWS.fullmatch(token):
            detail = "Der Inhalt muss ein SET (JWS in kompakter Serialisierung) sein."
            return problem(400, "invalid-request", "Ungültiges Ereignis", detail, call=call)
        submission = self._submission_of_event(case, token)
        if submission is None:
            detail = "Das Ereignis nennt keine Einreichung dieses Vorgangs."
            return problem(422, "invalid-event", "Ereignis abgelehnt", detail, call=call)
        refusal = record_subscriber_event(self.state, submission, token)
        if refusal is not None:
            name = "invalid-state-transition" if refusal.status == 409 else "invalid-event"
            title = "Falscher Zustand" if refusal.status == 409 else "Ereignis abgelehnt"
            return problem(refusal.status, name, title, refusal.detail, call=call)
        return Response(status_code=204)

    def _submission_of_event(self, case: Case, token: str) -> Submission | None:
        """Return the submission of the case that a SET names in its ``sub`` claim."""
        subject = str(jws_payload(token).get("sub", ""))
        submission_id = subject.removeprefix("submission:")
        with self.state.lock:
            if submission_id not in case.submissions:
                return None
            return self.state.submissions.get(submission_id)

    # --- access ---

    def _visible(self, call: Call, client: Client, submission_id: str) -> Submission | Response:
        """Return a submission its sender, or a subscriber of its destination, may see."""
        with self.state.lock:
            submission = self.state.submissions.get(submission_id)
        if submission is None:
            detail = f"Die Einreichung {submission_id} existiert nicht."
            return problem(
                404, "submission-not-found", "Einreichung nicht gefunden", detail, call=call
            )
        allowed = (
            submission.sender == client.client_id
            if client.role == "sender"
            else submission.destination_id in client.destinations
        )
        if not allowed:
            detail = "Der Client ist nicht mit diesem Zustellpunkt verbunden."
            return problem(403, "forbidden", "Keine Berechtigung", detail, call=call)
        return submission

    def _case(self, call: Call, client: Client, case_id: str) -> Case | Response:
        with self.state.lock:
            case = self.state.cases.get(case_id)
            first = self.state.submissions.get(case.submissions[0]) if case else None
        if case is None or first is None:
            detail = f"Den Vorgang {case_id} gibt es nicht."
            return problem(404, "case-not-found", "Vorgang nicht gefunden", detail, call=call)
        visible = self._visible(call, client, first.submission_id)
        return visible if isinstance(visible, Response) else case


def _destination_not_found(call: Call, destination_id: str) -> Response:
    detail = f"Der Zustellpunkt {destination_id} existiert nicht."
    return problem(404, "destination-not-found", "Zustellpunkt nicht gefunden", detail, call=call)


def _state_invalid(call: Call, detail: str) -> Response:
    return problem(422, "submission-state-invalid", "Falscher Zustand", detail, call=call)


def _unsupported_media(call: Call, wanted: str) -> Response:
    detail = f"Content-Type muss {wanted} sein."
    return problem(415, "unsupported-media-type", "Falscher Inhaltstyp", detail, call=call)


def _may_send(scope: str, regions: list[str]) -> bool:
    """Whether a sender's ``send:region:DE<ARS prefix>`` scopes cover one of the regions."""
    for item in scope.split():
        if item.startswith(SEND_SCOPE_GERMANY):
            prefix = item.removeprefix(SEND_SCOPE_GERMANY)
            if any(r.startswith(prefix) or prefix.startswith(r) for r in regions):
                return True
    return False


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _media_type(call: Call) -> str:
    return call.headers.get("content-type", "").split(";")[0].strip().lower()


def _is_jose(call: Call) -> bool:
    return _media_type(call) == "application/jose"


def _is_json(call: Call) -> bool:
    return _media_type(call) == "application/json"
