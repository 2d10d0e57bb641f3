"""The local FIT-Connect sandbox over real HTTP: API shapes, round trips, routing, faults."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from django.core.management import call_command
from openapi_core import Config, OpenAPI
from openapi_core.deserializing.media_types.util import json_loads
from openapi_core.exceptions import OpenAPIError
from openapi_core.testing import MockRequest, MockResponse

from fitconnect import crypto, demo
from fitconnect.sandbox import GEBIET_PREFIX, Sandbox, urls

# FITKO's Routing API spec (routing-api.yaml, as published at schema.fitko.de), kept in the
# repository beside the sandbox.
SPEC_FILE = Path(__file__).resolve().parents[2] / "fitconnect" / "sandbox" / "routing-api.yaml"
SPEC_HOST = "https://routing-api-testing.fit-connect.fitko.dev"  # a server of the spec
GEWERBE = demo.SERVICES[0]
LEIKA_KEY = GEWERBE["key"]
LEIKA = "urn:de:fim:leika:leistung:" + LEIKA_KEY
ARS = demo.REGIONS[0]
PROBLEM_JSON = "application/problem+json"
EVENTS = "https://schema.fitko.de/fit-connect/events/"


@pytest.fixture(scope="session")
def env(sandbox: Sandbox) -> dict[str, str]:
    return urls(sandbox.base)


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def fetch_token(http: httpx.Client, env: dict[str, str], client_id: str, secret: str) -> str:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    response = http.post(env["token_url"], data=form)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture(scope="session")
def sender(http: httpx.Client, env: dict[str, str]) -> dict[str, str]:
    token = fetch_token(http, env, demo.SENDER_CLIENT_ID, demo.SENDER_CLIENT_SECRET)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def subscriber(http: httpx.Client, env: dict[str, str]) -> dict[str, str]:
    token = fetch_token(http, env, demo.SUBSCRIBER_CLIENT_ID, demo.SUBSCRIBER_CLIENT_SECRET)
    return {"Authorization": f"Bearer {token}"}


def v1(env: dict[str, str], path: str) -> str:
    return env["submission_base"] + "/v1" + path


def routing(env: dict[str, str], path: str) -> str:
    return env["routing_base"] + "/v1" + path


def fault(env: dict[str, str], mode: str, url: str) -> str:
    """Return ``url`` with the fault prefix put in front of its path."""
    base = env["token_url"].removesuffix("/token")
    return f"{base}/fault/{mode}{url.removeprefix(base)}"


def destination_key(
    http: httpx.Client, env: dict[str, str], destination_id: str, headers: dict[str, str]
) -> dict[str, Any]:
    destination = http.get(v1(env, f"/destinations/{destination_id}"), headers=headers).json()
    kid = destination["encryptionKid"]
    key: dict[str, Any] = http.get(v1(env, f"/destinations/{destination_id}/keys/{kid}")).json()
    return key


def metadata_for(
    data: bytes,
    schema_uri: str = GEWERBE["schema_uri"],
    attachments: dict[str, bytes] | None = None,
) -> dict[str, Any]:
    return {
        "$schema": "https://schema.fitko.de/fit-connect/metadata/1.2.0/metadata.schema.json",
        "contentStructure": {
            "data": {
                "hash": {"type": "sha512", "content": crypto.sha512_hex(data)},
                "submissionSchema": {"schemaUri": schema_uri, "mimeType": "application/json"},
            },
            "attachments": [
                {
                    "attachmentId": attachment_id,
                    "hash": {"type": "sha512", "content": crypto.sha512_hex(content)},
                    "mimeType": "application/pdf",
                    "purpose": "attachment",
                }
                for attachment_id, content in (attachments or {}).items()
            ],
        },
    }


def send(
    http: httpx.Client,
    env: dict[str, str],
    sender: dict[str, str],
    *,
    data: bytes = b'{"betrieb": "Musterbaeckerei"}',
    metadata: dict[str, Any] | None = None,
    attachments: dict[str, bytes] | None = None,
    destination_id: str = demo.DESTINATION_ID,
    submission_base: str | None = None,
) -> dict[str, Any]:
    """Create and submit one submission as the sender; return its ids and ciphertexts."""
    base = (submission_base or env["submission_base"]) + "/v1"
    attachments = attachments or {}
    body = {
        "destinationId": destination_id,
        "announcedAttachments": list(attachments),
        "serviceType": {"name": GEWERBE["name"], "identifier": LEIKA},
    }
    created = http.post(f"{base}/submissions", json=body, headers=sender)
    assert created.status_code == 201, created.text
    ids: dict[str, Any] = created.json()
    key = destination_key(http, env, destination_id, sender)
    uploaded = {}
    for attachment_id, content in attachments.items():
        token = crypto.encrypt_jwe(content, key)
        url = f"{base}/submissions/{ids['submissionId']}/attachments/{attachment_id}"
        jose = {**sender, "Content-Type": "application/jose"}
        assert http.put(url, content=token, headers=jose).status_code == 204
        uploaded[attachment_id] = token
    metadata = metadata or metadata_for(data, attachments=attachments)
    encrypted = {
        "encryptedMetadata": crypto.encrypt_jwe(json.dumps(metadata).encode(), key),
        "encryptedData": crypto.encrypt_jwe(data, key, content_type="application/json"),
    }
    submitted = http.put(
        f"{base}/submissions/{ids['submissionId']}", json=encrypted, headers=sender
    )
    assert submitted.status_code == 202, submitted.text
    return {**ids, **encrypted, "attachments": uploaded}


def jws_header(token: str) -> dict[str, Any]:
    encoded = token.split(".")[0]
    header: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    )
    return header


def wait_for_events(
    http: httpx.Client, env: dict[str, str], headers: dict[str, str], case_id: str, count: int
) -> list[str]:
    deadline = time.monotonic() + 10
    while True:
        response = http.get(v1(env, f"/cases/{case_id}/events"), headers=headers)
        assert response.status_code == 200, response.text
        log: list[str] = response.json()["eventLog"]
        if len(log) >= count or time.monotonic() > deadline:
            return log
        time.sleep(0.02)


def verified_log(
    http: httpx.Client, env: dict[str, str], sent: dict[str, Any], log: list[str]
) -> list[dict[str, Any]]:
    """Verify every SET: submit-submission against the Zustelldienst's JWKS, the subscriber's
    events (accept/reject) against the destination's signature key."""
    service_keys = http.get(env["jwks_url"]).json()["keys"]
    signature_key = http.get(
        v1(env, f"/destinations/{sent['destinationId']}/keys/{demo.SIGNATURE_KID}")
    ).json()
    payloads = []
    for token in log:
        from_service = any(k["kid"] == jws_header(token)["kid"] for k in service_keys)
        payload = crypto.verify_set(
            token,
            service_keys if from_service else [signature_key],
            submission_id=sent["submissionId"],
            case_id=sent["caseId"],
        )
        service_events = ("create-submission", "submit-submission")
        assert (crypto.event_name(payload) in service_events) == from_service
        payloads.append(payload)
    return payloads


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"]
    assert body["title"]
    return body


# --- token ---------------------------------------------------------------------------------


def test_token_for_the_demo_subscriber(
    http: httpx.Client, env: dict[str, str], sandbox: Sandbox
) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": demo.SUBSCRIBER_CLIENT_ID,
        "client_secret": demo.SUBSCRIBER_CLIENT_SECRET,
    }
    response = http.post(env["token_url"], data=form)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1800
    claims = crypto.verify_jws(body["access_token"], [sandbox.keys["auth"].public], typ="JWT")
    assert claims["sub"] == claims["client_id"] == demo.SUBSCRIBER_CLIENT_ID
    assert claims["exp"] - claims["iat"] == 1800
    assert claims["scope"] == body["scope"]
    assert "subscribe-destinations" in body["scope"]


def test_token_errors(http: httpx.Client, env: dict[str, str]) -> None:
    wrong = {
        "grant_type": "client_credentials",
        "client_id": demo.SENDER_CLIENT_ID,
        "client_secret": "wrong",
    }
    response = http.post(env["token_url"], data=wrong)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    as_json = http.post(
        env["token_url"], json={**wrong, "client_secret": demo.SENDER_CLIENT_SECRET}
    )
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"
    no_grant = http.post(env["token_url"], data={"client_id": demo.SENDER_CLIENT_ID})
    assert no_grant.status_code == 400
    assert no_grant.json()["error"] == "invalid_request"


# --- destination and keys --------------------------------------------------------------------


def test_destination_shape(
    http: httpx.Client, env: dict[str, str], subscriber: dict[str, str]
) -> None:
    url = v1(env, f"/destinations/{demo.DESTINATION_ID}")
    assert problem_of(http.get(url), 401)  # the spec asks for a token (OAuth2)
    response = http.get(url, headers=subscriber)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"  # keys must not be cached
    destination = response.json()
    assert destination["destinationId"] == demo.DESTINATION_ID
    assert destination["status"] == "active"
    assert destination["encryptionKid"] == demo.ENCRYPTION_KID
    assert destination["metadataVersions"] == demo.METADATA_VERSIONS
    assert destination["services"][0] == {
        "identifier": LEIKA,
        "submissionSchemas": [{"schemaUri": GEWERBE["schema_uri"], "mimeType": "application/json"}],
        "regions": ["DE" + ARS],
        "replyChannels": GEWERBE["reply_channels"],
    }
    assert [s["identifier"] for s in destination["services"]] == [
        "urn:de:fim:leika:leistung:" + s["key"] for s in demo.SERVICES
    ]
    # The deprecated top level holds the intersection over all services (here only one).
    assert destination["replyChannels"] == GEWERBE["reply_channels"]
    missing = http.get(v1(env, f"/destinations/{uuid.uuid4()}"), headers=subscriber)
    assert problem_of(missing, 404)["type"].endswith("/destination-not-found")


@pytest.mark.parametrize(
    ("kid", "purpose"),
    [(demo.ENCRYPTION_KID, "encryption"), (demo.SIGNATURE_KID, "signature")],
)
def test_destination_keys_pass_the_jwk_rules(
    http: httpx.Client, env: dict[str, str], kid: str, purpose: crypto.Purpose
) -> None:
    response = http.get(v1(env, f"/destinations/{demo.DESTINATION_ID}/keys/{kid}"))
    assert response.headers["Cache-Control"] == "no-cache"  # public: the spec asks no token
    key = response.json()
    assert "d" not in key
    # Issued by the sandbox CA (leaf plus CA in x5c), so even "no self-signed" passes.
    findings = crypto.check_jwk(key, purpose, self_signed_allowed=False)
    assert [f for f in findings if f.status != "ok"] == []
    assert len(key["x5c"]) == 2


def test_unknown_key_and_service_jwks(http: httpx.Client, env: dict[str, str]) -> None:
    missing = http.get(v1(env, f"/destinations/{demo.DESTINATION_ID}/keys/nonexistent-kid"))
    assert problem_of(missing, 404)["type"].endswith("/key-not-found")
    for url in (env["jwks_url"], env["ssp_jwks_url"]):
        (key,) = http.get(url).json()["keys"]
        assert key["alg"] == "PS512"
        assert key["key_ops"] == ["verify"]
        findings = crypto.check_jwk(key, "signature", self_signed_allowed=True)
        assert [f for f in findings if f.status == "failed"] == []


# --- submissions -------------------------------------------------------------------------


def test_sender_round_trip_is_accepted(
    http: httpx.Client, env: dict[str, str], sender: dict[str, str]
) -> None:
    attachment_id = str(uuid.uuid4())
    sent = send(http, env, sender, attachments={attachment_id: b"%PDF-1.7 Gewerbeschein"})
    log = wait_for_events(http, env, sender, sent["caseId"], 3)
    created, submitted, accepted = verified_log(http, env, sent, log)
    assert crypto.event_name(created) == "create-submission"
    assert crypto.event_name(submitted) == "submit-submission"
    assert submitted["iss"] == env["submission_base"]
    tags = submitted["events"][EVENTS + "submit-submission"]["authenticationTags"]
    assert tags == {
        "metadata": sent["encryptedMetadata"].rsplit(".", 1)[1],
        "data": sent["encryptedData"].rsplit(".", 1)[1],
        "attachments": {attachment_id: sent["attachments"][attachment_id].rsplit(".", 1)[1]},
    }
    assert crypto.event_name(accepted) == "accept-submission"
    assert accepted["iss"] == demo.DESTINATION_ID
    assert accepted["events"][EVENTS + "accept-submission"]["authenticationTags"] == tags
    assert jws_header(log[2])["kid"] == demo.SIGNATURE_KID
    # The submit-submission SET must not verify with the destination's key, nor vice versa.
    signature_key = http.get(
        v1(env, f"/destinations/{demo.DESTINATION_ID}/keys/{demo.SIGNATURE_KID}")
    ).json()
    with pytest.raises(crypto.CryptoError):
        crypto.verify_set(
            log[1], [signature_key], submission_id=sent["submissionId"], case_id=sent["caseId"]
        )


def _wrong_hash(data: bytes) -> dict[str, Any]:
    metadata = metadata_for(data)
    metadata["contentStructure"]["data"]["hash"]["content"] = crypto.sha512_hex(b"other")
    return metadata


@pytest.mark.parametrize(
    ("variant", "problem"),
    [
        ("sandbox-flag", "technical-error"),
        ("hash", "hash-mismatch"),
        ("schema", "unsupported-schema"),
    ],
)
def test_fachverfahren_rejects(
    http: httpx.Client, env: dict[str, str], sender: dict[str, str], variant: str, problem: str
) -> None:
    data = b'{"sandbox": "reject"}' if variant == "sandbox-flag" else b'{"betrieb": "X"}'
    metadata = {
        "sandbox-flag": None,
        "hash": _wrong_hash(data),
        "schema": metadata_for(
            data, schema_uri="https://schema.fitko.de/fim/s99999999_1.0.schema.json"
        ),
    }[variant]
    sent = send(http, env, sender, data=data, metadata=metadata)
    log = wait_for_events(http, env, sender, sent["caseId"], 3)
    rejected = verified_log(http, env, sent, log)[2]
    assert crypto.event_name(rejected) == "reject-submission"
    problems = rejected["events"][EVENTS + "reject-submission"]["problems"]
    assert [p["type"].rsplit("/", 1)[1] for p in problems] == [problem]
    assert all(p["title"] and p["detail"] for p in problems)


def test_subscriber_lists_fetches_and_accepts(
    http: httpx.Client, env: dict[str, str], sandbox: Sandbox, sender: dict[str, str]
) -> None:
    # A destination without private keys in the sandbox: the test plays its Fachverfahren.
    destination_id = str(uuid.uuid4())
    keys = sandbox.keys
    sandbox.add_destination(
        destination_id=destination_id,
        services=[GEWERBE],
        regions=["150020000000"],
        encryption_key=keys["encryption"].public,
        signature_key=keys["signature"].public,
    )
    sandbox.add_client(
        "test-subscriber-1", "s3cret", role="subscriber", destinations=[destination_id]
    )
    headers = {"Authorization": "Bearer " + fetch_token(http, env, "test-subscriber-1", "s3cret")}
    data, attachment_id, pdf = b'{"betrieb": "Saline"}', str(uuid.uuid4()), b"%PDF-1.7 Plan"
    attachments = {attachment_id: pdf}
    sent = send(
        http, env, sender, data=data, attachments=attachments, destination_id=destination_id
    )

    listed = http.get(v1(env, "/submissions"), headers=headers).json()
    assert listed["submissions"] == [
        {k: sent[k] for k in ("destinationId", "submissionId", "caseId")}
    ]
    assert listed["count"] == listed["totalCount"] == 1
    assert listed["offset"] == 0
    submission = http.get(v1(env, f"/submissions/{sent['submissionId']}"), headers=headers).json()
    assert submission["serviceType"] == {"name": GEWERBE["name"], "identifier": LEIKA}
    assert submission["attachments"] == [attachment_id]
    attachment_url = v1(env, f"/submissions/{sent['submissionId']}/attachments/{attachment_id}")
    attachment = http.get(attachment_url, headers=headers)
    assert attachment.headers["content-type"] == "application/jose"
    assert attachment.text == sent["attachments"][attachment_id]
    private = keys["encryption"].private
    assert crypto.decrypt_jwe(submission["encryptedData"], private) == data
    metadata = json.loads(crypto.decrypt_jwe(submission["encryptedMetadata"], private))
    assert metadata["contentStructure"]["data"]["hash"]["content"] == crypto.sha512_hex(data)
    # The demo subscriber is not linked to this destination.
    other = http.get(
        v1(env, f"/submissions/{sent['submissionId']}"), headers=subscriber_of(http, env)
    )
    assert other.status_code == 403

    events_url = v1(env, f"/cases/{sent['caseId']}/events")
    jose = {**headers, "Content-Type": "application/jose"}
    payload = crypto.make_set(
        issuer=destination_id,
        submission_id=sent["submissionId"],
        case_id=sent["caseId"],
        event="accept-submission",
    )
    forged = crypto.sign_jws(payload, keys["ssp"].private, typ=crypto.SET_TYPE)
    assert problem_of(http.post(events_url, content=forged, headers=jose), 422)
    token = crypto.sign_jws(payload, keys["signature"].private, typ=crypto.SET_TYPE)
    assert http.post(events_url, content=token, headers=jose).status_code == 204
    # A second accept is an invalid state transition: 409, as the spec says.
    assert problem_of(http.post(events_url, content=token, headers=jose), 409)
    assert http.get(v1(env, "/submissions"), headers=headers).json()["submissions"] == []
    # Accepted: no longer "submitted or forwarded", so GET answers 404 (spec 1.1.3).
    gone = http.get(v1(env, f"/submissions/{sent['submissionId']}"), headers=headers)
    assert problem_of(gone, 404)
    assert problem_of(http.get(attachment_url, headers=headers), 404)
    events = http.get(events_url, headers=headers).json()
    assert events["count"] == events["totalCount"] == 3
    assert [crypto.event_name(p) for p in verified_log(http, env, sent, events["eventLog"])] == [
        "create-submission",
        "submit-submission",
        "accept-submission",
    ]


def subscriber_of(http: httpx.Client, env: dict[str, str]) -> dict[str, str]:
    token = fetch_token(http, env, demo.SUBSCRIBER_CLIENT_ID, demo.SUBSCRIBER_CLIENT_SECRET)
    return {"Authorization": f"Bearer {token}"}


def test_tokens_and_roles(
    http: httpx.Client, env: dict[str, str], sender: dict[str, str], subscriber: dict[str, str]
) -> None:
    assert problem_of(http.get(v1(env, "/submissions")), 401)
    garbage = {"Authorization": "Bearer abc.def.ghi"}
    assert problem_of(http.get(v1(env, "/submissions"), headers=garbage), 401)
    assert problem_of(http.get(v1(env, "/submissions"), headers=sender), 403)
    body = {"destinationId": demo.DESTINATION_ID, "announcedAttachments": []}
    assert problem_of(http.post(v1(env, "/submissions"), json=body, headers=subscriber), 403)
    listed = http.get(v1(env, "/submissions?offset=0&limit=10"), headers=subscriber)
    assert listed.status_code == 200
    assert set(listed.json()) == {"count", "offset", "totalCount", "submissions"}


def test_create_submission_errors(
    http: httpx.Client, env: dict[str, str], sender: dict[str, str]
) -> None:
    body = {
        "destinationId": str(uuid.uuid4()),
        "announcedAttachments": [],
        "serviceType": {"name": GEWERBE["name"], "identifier": LEIKA},
    }
    unknown = http.post(v1(env, "/submissions"), json=body, headers=sender)
    assert problem_of(unknown, 404)["type"].endswith("/destination-not-found")
    other_service = {
        "name": "Hundesteuer",
        "identifier": "urn:de:fim:leika:leistung:99123456760610",
    }
    body = {**body, "destinationId": demo.DESTINATION_ID, "serviceType": other_service}
    assert problem_of(http.post(v1(env, "/submissions"), json=body, headers=sender), 422)


# --- routing -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def spec() -> OpenAPI:
    assert SPEC_FILE.exists(), f"routing-api.yaml not found at {SPEC_FILE}"
    # The spec declares problem+json bodies (and even /areas' 200 body) as problem+json.
    config = Config(extra_media_type_deserializers={PROBLEM_JSON: json_loads})
    return OpenAPI.from_dict(yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8")), config=config)


def validate(spec: OpenAPI, path: str, params: dict[str, str], response: httpx.Response) -> None:
    """Validate a Routing API response against routing-api.yaml (raises on any mismatch)."""
    request = MockRequest(SPEC_HOST, "GET", "/v1" + path, args=params)
    mock = MockResponse(
        response.content,
        status_code=response.status_code,
        headers=dict(response.headers),
        content_type=response.headers["content-type"],
    )
    spec.validate_response(request, mock)


def ssp_keys(http: httpx.Client, env: dict[str, str]) -> list[dict[str, Any]]:
    keys: list[dict[str, Any]] = http.get(env["ssp_jwks_url"]).json()["keys"]
    return keys


@pytest.mark.parametrize(
    "area",
    [{"ars": ARS}, {"ars": "06"}, {"ars": "06435"}, {"ags": "06435014"}, {"areaId": "6435014"}],
)
def test_routes_find_the_destination(
    http: httpx.Client, env: dict[str, str], spec: OpenAPI, area: dict[str, str]
) -> None:
    params = {"leikaKey": LEIKA_KEY, **area}
    response = http.get(routing(env, "/routes"), params=params)
    assert response.status_code == 200
    validate(spec, "/routes", params, response)
    result = response.json()
    (route,) = [r for r in result["routes"] if r["destinationId"] == demo.DESTINATION_ID]
    payload = crypto.verify_jws(route["destinationSignature"], ssp_keys(http, env), typ="jwt")
    assert payload["destinationId"] == demo.DESTINATION_ID
    assert payload["iss"] == env["ssp_jwks_url"].removesuffix("/.well-known/jwks.json")
    assert payload["submissionHost"] == httpx.URL(env["submission_base"]).netloc.decode()
    assert any(
        LEIKA in service["leistungIDs"] and GEBIET_PREFIX + ARS in service["gebietIDs"]
        for service in payload["services"]
    )
    assert route["destinationName"]


@pytest.mark.parametrize(
    "params",
    [
        {"leikaKey": "99123456760610", "ars": ARS},  # a Leistung nobody offers
        {"leikaKey": LEIKA_KEY, "ars": "150030000000"},  # Magdeburg
        {"leikaKey": LEIKA_KEY, "areaId": "999999"},
    ],
)
def test_routes_empty(
    http: httpx.Client, env: dict[str, str], spec: OpenAPI, params: dict[str, str]
) -> None:
    response = http.get(routing(env, "/routes"), params=params)
    validate(spec, "/routes", params, response)
    result = response.json()
    assert [r["destinationId"] for r in result["routes"]].count(demo.DESTINATION_ID) == 0


@pytest.mark.parametrize(
    "params",
    [
        {"leikaKey": "12345678901234", "ars": ARS},
        {"leikaKey": "9905003500100", "ars": ARS},
        {"leikaKey": LEIKA_KEY, "ars": ARS, "ags": "06435014"},
        {"leikaKey": LEIKA_KEY},
        {"ars": ARS},
        {"leikaKey": LEIKA_KEY, "ars": "0643"},
        {"leikaKey": LEIKA_KEY, "ars": ARS, "limit": "0"},
        {"leikaKey": LEIKA_KEY, "ars": ARS, "limit": "501"},
        {"leikaKey": LEIKA_KEY, "ars": ARS, "offset": "-1"},
    ],
)
def test_routes_bad_request(
    http: httpx.Client, env: dict[str, str], spec: OpenAPI, params: dict[str, str]
) -> None:
    response = http.get(routing(env, "/routes"), params=params)
    body = problem_of(response, 400)
    assert body["detail"]
    assert set(body) <= {"type", "title", "status", "detail", "instance"}
    validate(spec, "/routes", params, response)


def test_routing_pagination_and_rate_limit_headers(http: httpx.Client, env: dict[str, str]) -> None:
    params = {"leikaKey": LEIKA_KEY, "ars": "06", "offset": "1", "limit": "1"}
    page = http.get(routing(env, "/routes"), params=params)
    assert page.json()["offset"] == 1
    assert page.json()["count"] == len(page.json()["routes"]) <= 1
    for response in (
        page,
        http.get(routing(env, "/routes"), params={"leikaKey": "1"}),
        http.get(routing(env, "/areas"), params={"areaSearchexpression": "Hanau"}),
        http.get(routing(env, "/info")),
    ):
        limit = int(response.headers["RateLimit-Limit"])
        remaining = int(response.headers["RateLimit-Remaining"])
        assert 0 <= remaining < limit
        assert int(response.headers["RateLimit-Reset"]) >= 1
    first = int(http.get(routing(env, "/info")).headers["RateLimit-Remaining"])
    assert int(http.get(routing(env, "/info")).headers["RateLimit-Remaining"]) == first - 1


@pytest.mark.parametrize(
    ("terms", "names"),
    [
        (["Hanau"], ["Hanau"]),
        (["Han*"], ["Hanau"]),
        (["*kreis"], ["Main-Kinzig-Kreis"]),
        (["63450"], ["Hanau"]),
        (["Mag*", "39104"], ["Magdeburg"]),
        (["Atlantis"], []),
    ],
)
def test_areas(
    http: httpx.Client, env: dict[str, str], spec: OpenAPI, terms: list[str], names: list[str]
) -> None:
    response = http.get(routing(env, "/areas"), params={"areaSearchexpression": terms})
    assert response.status_code == 200
    validate(spec, "/areas", {"areaSearchexpression": terms[0]}, response)
    result = response.json()
    assert [a["name"] for a in result["areas"]] == names
    assert result["totalCount"] == result["count"] == len(names)


@pytest.mark.parametrize(
    "terms",
    [[], ["a"], ["*"], ["ab"] * 11, ["a" * 40 + "**b"]],
    ids=["none", "short", "star", "11", "redos"],
)
def test_areas_bad_request(
    http: httpx.Client, env: dict[str, str], spec: OpenAPI, terms: list[str]
) -> None:
    started = time.monotonic()
    response = http.get(routing(env, "/areas"), params={"areaSearchexpression": terms})
    assert time.monotonic() - started < 2
    problem_of(response, 400)
    validate(spec, "/areas", {}, response)


def test_info(http: httpx.Client, env: dict[str, str], spec: OpenAPI) -> None:
    response = http.get(routing(env, "/info"))
    validate(spec, "/info", {}, response)
    assert set(response.json()["version"]) == {"major", "minor", "patch"}


@pytest.mark.parametrize("mode", ["500", "429"])
def test_routing_faults_match_the_spec(
    http: httpx.Client, env: dict[str, str], spec: OpenAPI, mode: str
) -> None:
    params = {"leikaKey": LEIKA_KEY, "ars": ARS}
    response = http.get(fault(env, mode, routing(env, "/routes")), params=params)
    assert response.status_code == int(mode)
    validate(spec, "/routes", params, response)


WRONG_ROUTE = {"destinationId": demo.DESTINATION_ID}  # no destinationSignature
WRONG_AREA = {"id": "x1", "name": "A", "type": "B"}  # id must start with digits


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        ("/info", {"version": {"major": "2", "minor": 0, "patch": 0}}, "application/json"),
        ("/routes", {"count": 1, "offset": 0, "totalCount": 1, "routes": [WRONG_ROUTE]}, None),
        ("/areas", {"count": 0, "offset": 0, "totalCount": 0, "areas": [WRONG_AREA]}, None),
        ("/areas", {"count": 0, "offset": 0, "totalCount": 0, "areas": []}, "application/json"),
    ],
)
def test_spec_validation_rejects_wrong_shapes(
    spec: OpenAPI, path: str, body: dict[str, Any], content_type: str | None
) -> None:
    """The validation is real: it fails on the shapes the sandbox must not produce."""
    content_type = content_type or ("application/json" if path == "/routes" else PROBLEM_JSON)
    wrong = httpx.Response(200, json=body, headers={"content-type": content_type})
    params = {"leikaKey": LEIKA_KEY, "ars": ARS, "areaSearchexpression": "ab"}
    with pytest.raises(OpenAPIError):
        validate(spec, path, params, wrong)


# --- callback --------------------------------------------------------------------------------


def callback_body() -> bytes:
    submission = {"destinationId": demo.DESTINATION_ID, "submissionId": str(uuid.uuid4())}
    return json.dumps(
        {
            "type": "https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions",
            "submissionIds": [submission["submissionId"]],
            "submissions": [{**submission, "caseId": str(uuid.uuid4())}],
        }
    ).encode()


def post_callback(
    http: httpx.Client, env: dict[str, str], body: bytes, timestamp: int, signed: bytes
) -> httpx.Response:
    headers = {
        "callback-authentication": crypto.callback_signature(
            demo.CALLBACK_SECRET, timestamp, signed
        ),
        "callback-timestamp": str(timestamp),
        "Content-Type": "application/json",
    }
    return http.post(env["callback_url"], content=body, headers=headers)


def test_callback(http: httpx.Client, env: dict[str, str], sandbox: Sandbox) -> None:
    body, now = callback_body(), int(time.time())
    valid = post_callback(http, env, body, now, body)
    assert valid.status_code == 200
    assert valid.json() == {"ok": True}
    assert json.loads(body) in sandbox.callbacks
    tampered = body.replace(b"new-submissions", b"new-submissionz")
    assert post_callback(http, env, tampered, now, body).status_code == 401
    assert post_callback(http, env, body, now - 301, body).status_code == 401
    wrong_type = json.dumps({"type": "https://example.org/other", "submissions": []}).encode()
    assert post_callback(http, env, wrong_type, now, wrong_type).status_code == 400


# --- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["500", "401", "403", "404"])
def test_status_faults(http: httpx.Client, env: dict[str, str], mode: str) -> None:
    response = http.get(fault(env, mode, v1(env, f"/destinations/{demo.DESTINATION_ID}")))
    problem_of(response, int(mode))


def test_429_fault(http: httpx.Client, env: dict[str, str]) -> None:
    response = http.post(fault(env, "429", env["token_url"]), data={"grant_type": "x"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.headers["RateLimit-Reset"] == "1"
    assert response.headers["RateLimit-Remaining"] == "0"
    assert int(response.headers["RateLimit-Limit"]) > 0


@pytest.mark.parametrize(("mode", "status"), [("html", 502), ("html-200", 200)])
def test_html_fault(http: httpx.Client, env: dict[str, str], mode: str, status: int) -> None:
    response = http.get(fault(env, mode, env["jwks_url"]))
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "<html>" in response.text


def test_body_faults(http: httpx.Client, env: dict[str, str]) -> None:
    url = v1(env, f"/destinations/{demo.DESTINATION_ID}")
    malformed = http.get(fault(env, "malformed", url))
    assert malformed.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        malformed.json()
    shape = http.get(fault(env, "wrong-shape", url))
    assert shape.status_code == 200
    assert "destinationId" not in shape.json()
    huge = http.get(fault(env, "huge", url))
    assert huge.status_code == 200
    assert len(huge.content) > 1_500_000
    assert huge.json()["padding"]


def test_close_and_slow_faults(env: dict[str, str]) -> None:
    with httpx.Client(timeout=5) as fresh, pytest.raises(httpx.TransportError):
        fresh.get(fault(env, "close", env["ssp_jwks_url"]))
    started = time.monotonic()
    with httpx.Client(timeout=5) as fresh:
        response = fresh.get(fault(env, "slow-1", env["ssp_jwks_url"]))
    assert response.status_code == 200
    assert time.monotonic() - started >= 1
    with httpx.Client(timeout=0.3) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.get(fault(env, "slow-1", env["ssp_jwks_url"]))


def test_unknown_fault(http: httpx.Client, env: dict[str, str]) -> None:
    problem_of(http.get(fault(env, "explode", env["jwks_url"])), 400)


@pytest.mark.parametrize(("mode", "rule"), [("wrong-key", "n"), ("wrong-key-x5c", "x5c_key")])
def test_wrong_key_faults(http: httpx.Client, env: dict[str, str], mode: str, rule: str) -> None:
    url = v1(env, f"/destinations/{demo.DESTINATION_ID}/keys/{demo.ENCRYPTION_KID}")
    key = http.get(fault(env, mode, url)).json()
    failed = {
        f.rule
        for f in crypto.check_jwk(key, "encryption", self_signed_allowed=True)
        if f.status == "failed"
    }
    assert rule in failed
    (service_key,) = http.get(fault(env, mode, env["jwks_url"])).json()["keys"]
    assert crypto.check_jwk(service_key, "signature", self_signed_allowed=True) != crypto.check_jwk(
        http.get(env["jwks_url"]).json()["keys"][0], "signature", self_signed_allowed=True
    )


def test_bad_set_and_reject_faults(
    http: httpx.Client, env: dict[str, str], sender: dict[str, str]
) -> None:
    faulty_base = fault(env, "reject", env["submission_base"])
    sent = send(http, env, sender, submission_base=faulty_base)
    log = wait_for_events(http, env, sender, sent["caseId"], 3)
    rejected = verified_log(http, env, sent, log)[2]
    assert crypto.event_name(rejected) == "reject-submission"
    bad = http.get(
        fault(env, "bad-set", v1(env, f"/cases/{sent['caseId']}/events")), headers=sender
    )
    service_keys = http.get(env["jwks_url"]).json()["keys"]
    with pytest.raises(crypto.CryptoError):
        crypto.verify_set(
            bad.json()["eventLog"][0],
            service_keys,
            submission_id=sent["submissionId"],
            case_id=sent["caseId"],
        )


def test_inactive_and_no_route_faults(
    http: httpx.Client, env: dict[str, str], sender: dict[str, str]
) -> None:
    url = v1(env, f"/destinations/{demo.DESTINATION_ID}")
    assert http.get(fault(env, "inactive", url), headers=sender).json()["status"] == "inactive"
    assert http.get(url, headers=sender).json()["status"] == "active"
    body = {
        "destinationId": demo.DESTINATION_ID,
        "announcedAttachments": [],
        "serviceType": {"name": GEWERBE["name"], "identifier": LEIKA},
    }
    create = fault(env, "inactive", v1(env, "/submissions"))
    assert problem_of(http.post(create, json=body, headers=sender), 422)
    params = {"leikaKey": LEIKA_KEY, "ars": ARS}
    empty = http.get(fault(env, "no-route", routing(env, "/routes")), params=params).json()
    assert empty == {"count": 0, "offset": 0, "totalCount": 0, "routes": []}


def test_global_fault(sandbox: Sandbox) -> None:
    box = Sandbox(state_file=sandbox.state_file, fault="no-route")
    base = box.start(port=0)
    try:
        params = {"leikaKey": LEIKA_KEY, "ars": ARS}
        result = httpx.get(urls(base)["routing_base"] + "/v1/routes", params=params).json()
        assert result["routes"] == []
        status = httpx.get(base + "/fault/500/routing-api/v1/info")
        assert status.status_code == 500  # a prefix overrides the global fault
    finally:
        box.stop()
    assert box.keys["ssp"].public == sandbox.keys["ssp"].public  # the state file's keys


# --- management command ------------------------------------------------------------------------


def test_command_prints_urls_and_ids_but_no_secrets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def serve(self: Sandbox, host: str, port: int, *, ready: Any = None) -> None:
        ready(f"http://{host}:{port}")
        raise KeyboardInterrupt

    monkeypatch.setattr(Sandbox, "serve_forever", serve)
    out = StringIO()
    call_command(
        "fitconnect_sandbox", "--port", "9999", "--state-file", str(tmp_path / "s.json"), stdout=out
    )
    text = out.getvalue()
    assert "http://127.0.0.1:9999" in text
    assert "http://127.0.0.1:9999/routing-api" in text
    assert demo.SUBSCRIBER_CLIENT_ID in text
    assert demo.SENDER_CLIENT_ID in text
    for secret in (demo.SUBSCRIBER_CLIENT_SECRET, demo.SENDER_CLIENT_SECRET, demo.CALLBACK_SECRET):
        assert secret not in text


def test_a_destination_without_common_reply_channels_leaves_the_deprecated_field_out(
    http: httpx.Client, env: dict[str, str], sandbox: Sandbox, subscriber: dict[str, str]
) -> None:
    # Spec 1.1.3: the deprecated top-level replyChannels has minProperties 1, so no "{}".
    destination_id = str(uuid.uuid4())
    sandbox.add_destination(
        destination_id=destination_id,
        services=[{**GEWERBE, "reply_channels": {}}],
        regions=list(demo.REGIONS),
        encryption_key=sandbox.keys["encryption"].public,
        signature_key=sandbox.keys["signature"].public,
    )
    shown = http.get(v1(env, f"/destinations/{destination_id}"), headers=subscriber).json()
    assert "replyChannels" not in shown
    v2 = http.get(
        env["submission_base"] + f"/v2/destinations/{destination_id}", headers=subscriber
    ).json()
    assert "services" not in v2
    assert [s["identifier"] for s in v2["publicServices"]] == [LEIKA]
