"""The sandbox's contract: every route, every answer, validated against FITKO's OpenAPI files.

``fitconnect/sandbox/served-apis.json`` names, per API and version, the description the
sandbox is held to: FITKO's Submission API 1.1.3 and routing-api.yaml for v1, and for v2 the
same files with the differences docs/fitko-facts.md §2 names (applied here, in
``described_spec``). Each exchange below is a real HTTP request to the sandbox; openapi-core
validates the request (so the examples are what the spec allows) and the answer (so the
sandbox answers what FITKO's service would). A guard test fails when a route has no exchange.
"""

from __future__ import annotations

import copy
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.deserializing.media_types.util import json_loads
from openapi_core.exceptions import OpenAPIError
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator
from starlette.routing import Route

from fitconnect import crypto, demo
from fitconnect.sandbox import Sandbox, urls

SANDBOX_DIR = Path(__file__).resolve().parents[2] / "fitconnect" / "sandbox"
SERVED = json.loads((SANDBOX_DIR / "served-apis.json").read_text(encoding="utf-8"))
PROBLEM_JSON = "application/problem+json"
# openapi-core cannot check OAuth2 itself; the exchanges test tokens explicitly.
pytestmark = pytest.mark.filterwarnings("ignore:Unsupported scheme type")
GEWERBE = demo.SERVICES[0]
LEIKA = "urn:de:fim:leika:leistung:" + GEWERBE["key"]


def _text(value: bytes, **parameters: str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _rename(schema: dict[str, Any], old: str, new: str) -> None:
    properties = schema.get("properties", {})
    if old in properties:
        properties[new] = properties.pop(old)
    if old in schema.get("required", []):
        schema["required"] = [new if name == old else name for name in schema["required"]]


def described_spec(api: dict[str, Any]) -> dict[str, Any]:
    """Return the OpenAPI document an API of served-apis.json is held to, changes applied."""
    data = yaml.safe_load((SANDBOX_DIR / api["spec"]).read_text(encoding="utf-8"))
    changes = api.get("changes", {})
    for old, new in changes.get("paths", {}).items():
        data["paths"] = {path.replace(old, new, 1): item for path, item in data["paths"].items()}
    for old, new in changes.get("servers", {}).items():
        for server in data["servers"]:
            server["url"] = server["url"].replace(old, new, 1)
    for rename in changes.get("rename_properties", []):
        _rename(data["components"]["schemas"][rename["schema"]], rename["from"], rename["to"])
    return data  # type: ignore[no-any-return]


@cache
def spec(name: str, version: str) -> OpenAPI:
    (api,) = [a for a in SERVED["apis"] if a["name"] == name and a["version"] == version]
    deserializers = {PROBLEM_JSON: json_loads, "application/jose": _text}
    config = Config(extra_media_type_deserializers=deserializers)
    return OpenAPI.from_dict(copy.deepcopy(described_spec(api)), config=config)


def spec_host(name: str) -> str:
    """Return the scheme and host of the API's first server (its path holds the version)."""
    (api,) = [a for a in SERVED["apis"] if a["name"] == name and a["version"] == "v1"]
    return str(httpx.URL(described_spec(api)["servers"][0]["url"]).copy_with(path="/"))[:-1]


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def required_headers(api: str, version: str, method: str, route: str, status: int) -> list[str]:
    """Return the response headers the description marks as required for this answer."""
    (served,) = [a for a in SERVED["apis"] if a["name"] == api and a["version"] == version]
    data = described_spec(served)
    server_path = httpx.URL(data["servers"][0]["url"]).path.rstrip("/")
    found = [
        item
        for path, item in data["paths"].items()
        if _template(server_path + path) == _template(route)
    ]
    if not found:
        return []
    operation = found[0].get(method.lower(), {})
    headers = operation.get("responses", {}).get(str(status), {}).get("headers", {})
    names = []
    for name, header in headers.items():
        if "$ref" in header:
            header = data["components"]["headers"][header["$ref"].rsplit("/", 1)[1]]
        if header.get("required"):
            names.append(name)
    return names


@dataclass
class Exchanges:
    """The requests of the contract tests, each validated and remembered by its route."""

    http: httpx.Client
    base: str
    covered: set[tuple[str, str]] = field(default_factory=set)

    def call(
        self,
        api: str,
        version: str,
        method: str,
        route: str,
        path: str,
        *,
        expect: int,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request to the sandbox; validate request and answer against the spec."""
        prefix = "/submission-api" if api == "Submission API" else "/routing-api"
        body = json.dumps(json_body).encode() if json_body is not None else content
        headers = dict(headers or {})
        if json_body is not None:
            headers.setdefault("Content-Type", "application/json")
        response = self.http.request(
            method, self.base + prefix + path, headers=headers, content=body, params=params
        )
        assert response.status_code == expect, (method, path, response.text)
        openapi = spec(api, version)
        request = MockRequest(
            spec_host(api),
            method.lower(),
            path,
            args=params or {},
            data=body or b"",
            headers=headers,
            content_type=headers.get("Content-Type", "application/json").split(";")[0],
        )
        if response.status_code < 400 or expect in (401, 403, 404, 409):
            # the request itself follows the spec; 400/415/422 probe what it forbids
            openapi.validate_request(request)
        answer = MockResponse(
            response.content,
            status_code=response.status_code,
            headers=dict(response.headers),
            content_type=response.headers.get("content-type", "application/json").split(";")[0],
        )
        openapi.validate_response(request, answer)
        for name in required_headers(api, version, method, route, response.status_code):
            # openapi-core fills a missing header with its default; the spec requires it sent
            assert name in response.headers, (method, path, name)
        self.covered.add((method, prefix + route))
        return response


def token(http: httpx.Client, base: str, client_id: str, secret: str) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    answer = http.post(base + "/token", data=form)
    assert answer.status_code == 200, answer.text
    return {"Authorization": "Bearer " + answer.json()["access_token"]}


@pytest.fixture
def exchanges(sandbox: Sandbox) -> Iterator[Exchanges]:
    with httpx.Client(timeout=15) as http:
        yield Exchanges(http, sandbox.base)


def test_every_sandbox_route_answers_as_the_specs_describe(
    exchanges: Exchanges, sandbox: Sandbox
) -> None:
    """One test, so that the coverage guard at its end sees every exchange (also with xdist)."""
    for version in ("v1", "v2"):
        submission_api(exchanges, sandbox, version)
        routing_api(exchanges, version)
    outside_the_specs(exchanges, sandbox)
    served = {
        (method, route.path)
        for route in sandbox.app.routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    assert served - exchanges.covered == set(), "routes without a validated exchange"


def submission_api(exchanges: Exchanges, sandbox: Sandbox, version: str) -> None:
    api = "Submission API"
    x = exchanges
    base = sandbox.base
    sender = token(x.http, base, demo.SENDER_CLIENT_ID, demo.SENDER_CLIENT_SECRET)
    keys = sandbox.keys
    # A destination whose Fachverfahren this test plays (the sandbox holds no private keys).
    destination_id = str(uuid.uuid4())
    sandbox.add_destination(
        destination_id=destination_id,
        services=[GEWERBE],
        regions=list(demo.REGIONS),
        encryption_key=keys["encryption"].public,
        signature_key=keys["signature"].public,
    )
    subscriber_id = f"contract-subscriber-{version}"
    sandbox.add_client(subscriber_id, "s3cret", role="subscriber", destinations=[destination_id])
    subscriber = token(x.http, base, subscriber_id, "s3cret")
    service_field = "serviceType" if version == "v1" else "publicService"
    v = f"/{version}"

    def call(method: str, route: str, path: str, **kwargs: Any) -> httpx.Response:
        return x.call(api, version, method, v + route, v + path, **kwargs)

    info = call("GET", "/info", "/info", expect=200).json()
    assert info["version"]["major"] == int(version[1])
    one = f"/destinations/{destination_id}"
    assert call("GET", "/destinations/{d}", one, expect=401)
    shown = call("GET", "/destinations/{d}", one, expect=200, headers=sender).json()
    services = shown["services" if version == "v1" else "publicServices"]
    assert [s["identifier"] for s in services] == [LEIKA]
    call("GET", "/destinations/{d}", f"/destinations/{uuid.uuid4()}", expect=404, headers=sender)
    kid = shown["encryptionKid"]
    key = call("GET", "/destinations/{d}/keys/{kid}", f"{one}/keys/{kid}", expect=200).json()
    call("GET", "/destinations/{d}/keys/{kid}", f"{one}/keys/unknown-kid-1", expect=404)

    service = {"name": GEWERBE["name"], "identifier": LEIKA}
    attachment_id = str(uuid.uuid4())
    create = {
        "destinationId": destination_id,
        "announcedAttachments": [attachment_id],
        service_field: service,
    }
    created = call(
        "POST", "/submissions", "/submissions", expect=201, headers=sender, json_body=create
    )
    ids = created.json()
    bad = {**create, service_field: {**service, "identifier": "Leistung 99050012104000"}}
    call("POST", "/submissions", "/submissions", expect=400, headers=sender, json_body=bad)
    unknown = {**create, "destinationId": str(uuid.uuid4())}
    call("POST", "/submissions", "/submissions", expect=404, headers=sender, json_body=unknown)
    other = {**create, service_field: {**service, "identifier": LEIKA[:-1] + "1"}}
    call("POST", "/submissions", "/submissions", expect=422, headers=sender, json_body=other)
    call("POST", "/submissions", "/submissions", expect=401, json_body=create)
    call("POST", "/submissions", "/submissions", expect=403, headers=subscriber, json_body=create)
    # A given caseId is honoured: the new submission joins that case.
    reply = {**create, "announcedAttachments": [], "caseId": ids["caseId"]}
    joined = call(
        "POST", "/submissions", "/submissions", expect=201, headers=sender, json_body=reply
    )
    assert joined.json()["caseId"] == ids["caseId"]
    missing_case = {**reply, "caseId": str(uuid.uuid4())}
    call("POST", "/submissions", "/submissions", expect=404, headers=sender, json_body=missing_case)

    one_submission = f"/submissions/{ids['submissionId']}"
    attachment = f"{one_submission}/attachments/{attachment_id}"
    route_attachment = "/submissions/{s}/attachments/{a}"
    jose = {**sender, "Content-Type": "application/jose"}
    sealed = crypto.encrypt_jwe(b"%PDF-1.7 Plan", key, content_type="application/pdf")
    unannounced = f"{one_submission}/attachments/{uuid.uuid4()}"
    call("PUT", route_attachment, unannounced, expect=422, headers=jose, content=sealed.encode())
    call("PUT", route_attachment, attachment, expect=415, headers=sender, content=sealed.encode())
    call("PUT", route_attachment, attachment, expect=400, headers=jose, content=b"no jwe")
    call("PUT", route_attachment, attachment, expect=204, headers=jose, content=sealed.encode())

    data = b'{"betrieb": "Saline"}'
    metadata = {
        "$schema": "https://schema.fitko.de/fit-connect/metadata/1.2.0/metadata.schema.json"
    }
    submit = {
        "encryptedMetadata": crypto.encrypt_jwe(
            json.dumps(metadata).encode(), key, content_type="application/json"
        ),
        "encryptedData": crypto.encrypt_jwe(data, key, content_type="application/json"),
    }
    route_one = "/submissions/{s}"
    plain = {**sender, "Content-Type": "text/plain"}
    call(
        "PUT",
        route_one,
        one_submission,
        expect=415,
        headers=plain,
        content=json.dumps(submit).encode(),
    )
    call(
        "PUT",
        route_one,
        one_submission,
        expect=400,
        headers=sender,
        json_body={"encryptedMetadata": 1},
    )
    if version == "v2":  # v2 wants cty on every JWE (docs/fitko-facts.md §2)
        bare = {
            **submit,
            "encryptedMetadata": crypto.encrypt_jwe(json.dumps(metadata).encode(), key),
        }
        call("PUT", route_one, one_submission, expect=422, headers=sender, json_body=bare)
    joined_one = f"/submissions/{joined.json()['submissionId']}"
    sent = call(
        "PUT", route_one, one_submission, expect=202, headers=sender, json_body=submit
    ).json()
    assert sent["attachments"] == [attachment_id]
    assert sent[service_field] == service
    call("PUT", route_one, joined_one, expect=202, headers=sender, json_body=submit)

    listed = call("GET", "/submissions", "/submissions", expect=200, headers=subscriber).json()
    assert {s["submissionId"] for s in listed["submissions"]} >= {ids["submissionId"]}
    call("GET", "/submissions", "/submissions", expect=401)
    call("GET", "/submissions", "/submissions", expect=403, headers=sender)
    fetched = call("GET", route_one, one_submission, expect=200, headers=subscriber).json()
    assert fetched[service_field] == service
    call("GET", route_one, f"/submissions/{uuid.uuid4()}", expect=404, headers=subscriber)
    demo_subscriber = token(x.http, base, demo.SUBSCRIBER_CLIENT_ID, demo.SUBSCRIBER_CLIENT_SECRET)
    call("GET", route_one, one_submission, expect=403, headers=demo_subscriber)
    call("GET", route_attachment, attachment, expect=200, headers=subscriber)

    events = f"/cases/{ids['caseId']}/events"
    route_events = "/cases/{c}/events"
    log = call("GET", route_events, events, expect=200, headers=sender).json()
    assert len(log["eventLog"]) == 4  # create and submit of both submissions of the case
    call("GET", route_events, f"/cases/{uuid.uuid4()}/events", expect=404, headers=sender)
    accept = crypto.make_set(
        issuer=destination_id,
        submission_id=ids["submissionId"],
        case_id=ids["caseId"],
        event="accept-submission",
    )
    signed = crypto.sign_jws(accept, keys["signature"].private, typ=crypto.SET_TYPE).encode()
    forged = crypto.sign_jws(accept, keys["ssp"].private, typ=crypto.SET_TYPE).encode()
    set_headers = {**subscriber, "Content-Type": "application/jose"}
    call("POST", route_events, events, expect=400, headers=set_headers, content=b"not a set")
    call("POST", route_events, events, expect=422, headers=set_headers, content=forged)
    call("POST", route_events, events, expect=204, headers=set_headers, content=signed)
    call("POST", route_events, events, expect=409, headers=set_headers, content=signed)
    call("GET", route_one, one_submission, expect=404, headers=subscriber)  # accepted: gone
    call("GET", route_attachment, attachment, expect=404, headers=subscriber)
    jwks = x.call(api, "v1", "GET", "/.well-known/jwks.json", "/.well-known/jwks.json", expect=200)
    assert jwks.json()["keys"]


def routing_api(exchanges: Exchanges, version: str) -> None:
    api = "Routing API"
    v = f"/{version}"
    found = exchanges.call(
        api,
        version,
        "GET",
        v + "/routes",
        v + "/routes",
        expect=200,
        params={"leikaKey": GEWERBE["key"], "ars": demo.REGIONS[0]},
    ).json()
    assert demo.DESTINATION_ID in [r["destinationId"] for r in found["routes"]]
    exchanges.call(
        api, version, "GET", v + "/routes", v + "/routes", expect=400, params={"leikaKey": "1"}
    )
    areas = exchanges.call(
        api,
        version,
        "GET",
        v + "/areas",
        v + "/areas",
        expect=200,
        params={"areaSearchexpression": "Hanau"},
    ).json()
    assert [a["name"] for a in areas["areas"]] == ["Hanau"]
    exchanges.call(
        api,
        version,
        "GET",
        v + "/areas",
        v + "/areas",
        expect=400,
        params={"areaSearchexpression": "a"},
    )
    exchanges.call(api, version, "GET", v + "/info", v + "/info", expect=200)


def outside_the_specs(exchanges: Exchanges, sandbox: Sandbox) -> None:
    """Token (RFC 6749), the SSP's JWKS (routing-api.yaml's jwk schema), the callback (1.1.3)."""
    x = exchanges
    form = {
        "grant_type": "client_credentials",
        "client_id": demo.SUBSCRIBER_CLIENT_ID,
        "client_secret": demo.SUBSCRIBER_CLIENT_SECRET,
    }
    issued = x.http.post(sandbox.base + "/token", data=form)
    assert issued.status_code == 200
    assert issued.headers["Cache-Control"] == "no-store"  # RFC 6749 section 5.1
    assert {"access_token", "token_type", "expires_in", "scope"} <= set(issued.json())
    refused = x.http.post(sandbox.base + "/token", data={**form, "client_secret": "x"})
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")
    x.covered.add(("POST", "/token"))

    routing = yaml.safe_load((SANDBOX_DIR / "routing-api.yaml").read_text(encoding="utf-8"))
    jwks_schema = routing["components"]["schemas"]["jwks"]
    ssp = x.http.get(sandbox.base + "/ssp/.well-known/jwks.json").json()
    OAS30Validator({**jwks_schema, "components": routing["components"]}).validate(ssp)
    x.covered.add(("GET", "/ssp/.well-known/jwks.json"))

    submission = yaml.safe_load((SANDBOX_DIR / SERVED["apis"][0]["spec"]).read_text("utf-8"))
    callback_schema = submission["components"]["schemas"]["CallbackNewSubmissions"]
    body = {
        "type": "https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions",
        "submissions": [
            {
                "destinationId": demo.DESTINATION_ID,
                "submissionId": str(uuid.uuid4()),
                "caseId": str(uuid.uuid4()),
            }
        ],
    }
    OAS30Validator({**callback_schema, "components": submission["components"]}).validate(body)
    raw = json.dumps(body).encode()
    now = int(time.time())
    headers = {
        "callback-authentication": crypto.callback_signature(demo.CALLBACK_SECRET, now, raw),
        "callback-timestamp": str(now),
        "Content-Type": "application/json",
    }
    answer = x.http.post(urls(sandbox.base)["callback_url"], content=raw, headers=headers)
    assert 200 <= answer.status_code < 300  # FITKO: a valid callback gets a 2xx
    x.covered.add(("POST", "/fachverfahren/callback"))

    index = x.http.get(sandbox.base + "/").json()
    assert {(a["name"], a["version"]) for a in index["servedApis"]} == {
        ("Submission API", "v1"),
        ("Submission API", "v2"),
        ("Routing API", "v1"),
        ("Routing API", "v2"),
    }
    x.covered.add(("GET", "/"))


DESTINATION_V1 = {
    "destinationId": demo.DESTINATION_ID,
    "status": "active",
    "services": [
        {
            "identifier": LEIKA,
            "submissionSchemas": [
                {"schemaUri": GEWERBE["schema_uri"], "mimeType": GEWERBE["mime_type"]}
            ],
            "regions": ["DE" + demo.REGIONS[0]],
        }
    ],
    "encryptionKid": demo.ENCRYPTION_KID,
    "metadataVersions": ["1.2.0"],
}


@pytest.mark.parametrize(
    ("version", "body", "headers"),
    [
        ("v1", DESTINATION_V1, {"Cache-Control": "max-age=3600"}),  # must be no-cache
        ("v1", {**DESTINATION_V1, "replyChannels": {}}, {"Cache-Control": "no-cache"}),
        ("v2", DESTINATION_V1, {"Cache-Control": "no-cache"}),  # v2 lists publicServices
    ],
    ids=["cached", "empty-reply-channels", "v1-body-under-v2"],
)
def test_the_validation_is_real(
    version: str, body: dict[str, Any], headers: dict[str, str]
) -> None:
    """The descriptions reject the shapes the sandbox used to produce (issue 13)."""
    path = f"/{version}/destinations/{demo.DESTINATION_ID}"
    request = MockRequest(spec_host("Submission API"), "get", path)
    answer = MockResponse(
        json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers}
    )
    with pytest.raises(OpenAPIError):
        spec("Submission API", version).validate_response(request, answer)


def test_required_headers_are_read_from_the_description() -> None:
    """openapi-core accepts a missing Cache-Control (it has a default); this check does not."""
    route = "/v1/destinations/{d}"
    assert required_headers("Submission API", "v1", "GET", route, 200) == ["Cache-Control"]
    assert required_headers("Submission API", "v2", "GET", "/v2/destinations/{d}", 200) == [
        "Cache-Control"
    ]
    assert required_headers("Submission API", "v1", "POST", "/v1/submissions", 201) == []
