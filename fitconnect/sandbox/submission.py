"""The Zustelldienst: Submission API v1 (destinations, submissions, attachments, events)."""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any, Literal

from starlette.responses import Response
from starlette.routing import Route

from fitconnect import crypto
from fitconnect.constants import SEND_SCOPE_GERMANY

from .keys import public_key, sign
from .oauth import ClientHandler, authorized
from .state import SUBMITTED, Client, Destination, Event, Role, State, Submission
from .web import (
    SUBMISSION_V1,
    Call,
    Handler,
    body_json,
    json_response,
    nested,
    paging,
    problem,
    route,
    urls,
)

_JWE = re.compile(r"[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){4}")
_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class SubmissionApi:
    """The Submission API's handlers; senders create and submit, subscribers fetch."""

    def __init__(self, state: State) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        def only(role: Role | Literal["any"], handler: ClientHandler) -> Handler:
            return authorized(self.state, role, handler)

        destination = SUBMISSION_V1 + "/destinations/{d}"
        submissions = SUBMISSION_V1 + "/submissions"
        one = submissions + "/{s}"
        attachment = one + "/attachments/{a}"
        events = SUBMISSION_V1 + "/cases/{c}/events"
        return [
            route("GET", destination, self.get_destination),
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

    # --- destinations ---

    @staticmethod
    def _status(destination: Destination, fault: str | None) -> str:
        return "inactive" if fault == "inactive" else destination.status

    def get_destination(self, call: Call) -> Response:
        destination = self.state.destination(call.params["d"])
        if destination is None:
            return _destination_not_found(call, call.params["d"])
        return json_response(200, destination.to_json(self._status(destination, call.fault)))

    def get_key(self, call: Call) -> Response:
        destination = self.state.destination(call.params["d"])
        if destination is None:
            return _destination_not_found(call, call.params["d"])
        kid = call.params["kid"]
        key = destination.key(kid)
        if key is None:
            detail = f"Der Zustellpunkt hat keinen Schlüssel mit der kid {kid}."
            return problem(404, "key-not-found", "Schlüssel nicht gefunden", detail, call=call)
        return json_response(200, public_key(self.state, key, call.fault))

    # --- sending ---

    def create_submission(self, call: Call, client: Client) -> Response:
        data = body_json(call)
        if isinstance(data, Response):
            return data
        service_type = data.get("serviceType")
        announced = data.get("announcedAttachments", [])
        identifier = nested(service_type, "identifier")
        if (
            not isinstance(data.get("destinationId"), str)
            or not isinstance(identifier, str)
            or not isinstance(nested(service_type, "name"), str)
            or not isinstance(announced, list)
            or not all(isinstance(a, str) and _is_uuid(a) for a in announced)
        ):
            detail = (
                "Erwartet: destinationId, serviceType {name, identifier} und "
                "announcedAttachments als Liste von UUIDs."
            )
            return problem(400, "invalid-request", "Ungültige Anfrage", detail, call=call)
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
            case_id=str(uuid.uuid4()),
            destination_id=destination.destination_id,
            sender=client.client_id,
            service_type={"name": nested(service_type, "name"), "identifier": identifier},
            announced=list(announced),
            reject=call.fault == "reject",
        )
        with self.state.lock:
            self.state.submissions[submission.submission_id] = submission
            self.state.cases[submission.case_id] = submission.submission_id
        return json_response(201, submission.ids())

    def put_attachment(self, call: Call, client: Client) -> Response:
        submission = self._visible(call, client, call.params["s"])
        if isinstance(submission, Response):
            return submission
        if not _is_jose(call):
            return _unsupported_media(call)
        token = call.body.decode("ascii", "replace").strip()
        if not _JWE.fullmatch(token):
            detail = "Die Anlage muss ein JWE in kompakter Serialisierung sein."
            return problem(400, "invalid-request", "Ungültige Anlage", detail, call=call)
        with self.state.lock:
            if call.params["a"] not in submission.announced:
                detail = "Diese Anlage wurde nicht angekündigt."
                return problem(404, "attachment-not-found", "Anlage unbekannt", detail, call=call)
            if submission.status != "created":
                return _state_invalid(call, "Die Einreichung ist schon abgeschickt.")
            submission.attachments[call.params["a"]] = token
        return Response(status_code=204)

    def submit(self, call: Call, client: Client) -> Response:
        submission = self._visible(call, client, call.params["s"])
        if isinstance(submission, Response):
            return submission
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
            tags: dict[str, Any] = {"metadata": last_segment(metadata)}
            if content is not None:
                tags["data"] = last_segment(content)
            tags["attachments"] = {a: last_segment(t) for a, t in submission.attachments.items()}
            payload = crypto.make_set(
                issuer=urls(state.base)["submission_base"],
                submission_id=submission.submission_id,
                case_id=submission.case_id,
                event="submit-submission",
                details={"authenticationTags": tags},
            )
            token = sign(payload, state.keys["zustelldienst"].private, typ=crypto.SET_TYPE)
            submission.events.append(Event(token, payload))
            destination = state.destinations.get(submission.destination_id)
            if destination is not None and destination.simulated:
                state.schedule(submission.submission_id)
        return json_response(202, submission.ids())

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
        if submission.status == "created":
            detail = "Die Einreichung ist noch nicht abgeschickt."
            return problem(
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
        return json_response(200, data)

    def get_attachment(self, call: Call, client: Client) -> Response:
        submission = self._visible(call, client, call.params["s"])
        if isinstance(submission, Response):
            return submission
        token = submission.attachments.get(call.params["a"])
        if token is None or submission.status == "created":
            detail = "Diese Anlage gibt es nicht (oder noch nicht)."
            return problem(404, "attachment-not-found", "Anlage nicht gefunden", detail, call=call)
        return Response(token.encode(), 200, media_type="application/jose")

    # --- events ---

    def get_events(self, call: Call, client: Client) -> Response:
        submission = self._case(call, client, call.params["c"])
        if isinstance(submission, Response):
            return submission
        with self.state.lock:
            events = list(submission.events)
        if call.fault == "bad-set":
            weak = self.state.weak.private
            tokens = [
                sign(e.payload, {**weak, "kid": _header(e.token).get("kid")}, typ=crypto.SET_TYPE)
                for e in events
            ]
        else:
            tokens = [e.token for e in events]
        return json_response(200, {"eventLog": tokens})

    def post_event(self, call: Call, client: Client) -> Response:
        submission = self._case(call, client, call.params["c"])
        if isinstance(submission, Response):
            return submission
        if not _is_jose(call):
            return _unsupported_media(call)
        token = call.body.decode("ascii", "replace").strip()
        if not _JWS.fullmatch(token):
            detail = "Der Inhalt muss ein SET (JWS in kompakter Serialisierung) sein."
            return problem(400, "invalid-request", "Ungültiges Ereignis", detail, call=call)
        error = record_subscriber_event(self.state, submission, token)
        if error is not None:
            return problem(422, "invalid-event", "Ereignis abgelehnt", error, call=call)
        return Response(status_code=204)

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

    def _case(self, call: Call, client: Client, case_id: str) -> Submission | Response:
        with self.state.lock:
            submission_id = self.state.cases.get(case_id)
        if submission_id is None:
            detail = f"Den Vorgang {case_id} gibt es nicht."
            return problem(404, "case-not-found", "Vorgang nicht gefunden", detail, call=call)
        return self._visible(call, client, submission_id)


def record_subscriber_event(state: State, submission: Submission, token: str) -> str | None:
    """Verify a subscriber's SET and add it to the event log; return an error or None."""
    with state.lock:
        destination = state.destinations.get(submission.destination_id)
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
    with state.lock:
        if submission.status != SUBMITTED:
            return f"Die Einreichung ist nicht mehr offen (Status {submission.status})."
        submission.events.append(Event(token, payload))
        submission.status = "accepted" if event == "accept-submission" else "rejected"
    return None


def last_segment(token: str) -> str:
    """Return the last part of a compact JWE: its authentication tag."""
    return token.rsplit(".", 1)[-1]


def _destination_not_found(call: Call, destination_id: str) -> Response:
    detail = f"Der Zustellpunkt {destination_id} existiert nicht."
    return problem(404, "destination-not-found", "Zustellpunkt nicht gefunden", detail, call=call)


def _state_invalid(call: Call, detail: str) -> Response:
    return problem(422, "submission-state-invalid", "Falscher Zustand", detail, call=call)


def _unsupported_media(call: Call) -> Response:
    detail = "Content-Type muss application/jose sein."
    return problem(415, "unsupported-media-type", "Falscher Inhaltstyp", detail, call=call)


def _may_send(scope: str, regions: list[str]) -> bool:
    """Whether a sender's ``send:region:DE<ARS prefix>`` scopes cover one of the regions."""
    for item in scope.split():
        if item.startswith(SEND_SCOPE_GERMANY):
            prefix = item.removeprefix(SEND_SCOPE_GERMANY)
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


def _header(token: str) -> dict[str, Any]:
    encoded = token.split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    return header if isinstance(header, dict) else {}
