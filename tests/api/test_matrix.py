"""Every API operation, called with a token of each organisation and each scope.

The token's organisation decides what it sees (another authority gets 404, as in the
portal) and its side what it may change; a token without the operation's scope gets 403,
a missing, expired or revoked one 401. A guard fails when an operation has no row here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from api.urls import api
from checklist.models import ConformanceRun, EnvironmentRecord, VerificationRun
from portal.models import ApiToken
from tests.api.conftest import ApiClient, make_token
from tests.conftest import World

BASE = "/api/v1/onboardings/musterstadt-gewerbe"
ORGANISATIONS = ("authority", "provider", "outsider")
SCOPES = tuple(ApiToken.Scope.values)


@dataclass
class Operation:
    method: str
    path: Callable[[World], str]
    scope: str
    # Status for a token with the scope: the authority's, the provider's, another authority's.
    expect: tuple[int, int, int]
    body: dict[str, Any] | None = field(default=None)


def _run(world: World) -> int:
    return VerificationRun.objects.create(
        onboarding=world.onboarding, environment="test", finished_at=timezone.now()
    ).pk


def _conformance_run(world: World) -> int:
    return ConformanceRun.objects.create(
        onboarding=world.onboarding, environment="test", finished_at=timezone.now()
    ).pk


def _with_destination(world: World) -> str:
    EnvironmentRecord.objects.get_or_create(
        onboarding=world.onboarding,
        environment="test",
        defaults={"destination_id": "7d5b4a4e-2b8c-4f7e-9d1a-5c3e8f6a1b20"},
    )
    return f"{BASE}/environments/test/conformance-runs"


OPERATIONS: dict[str, Operation] = {
    "listOnboardings": Operation("get", lambda w: "/api/v1/onboardings", "read", (200, 200, 200)),
    "getOnboarding": Operation("get", lambda w: BASE, "read", (200, 200, 404)),
    "listItems": Operation("get", lambda w: f"{BASE}/items", "read", (200, 200, 404)),
    "getItem": Operation("get", lambda w: f"{BASE}/items/step2.client", "read", (200, 200, 404)),
    "setItemDone": Operation(
        "put",
        lambda w: f"{BASE}/items/step2.client/done",
        "items:write",
        (403, 200, 404),
        {"done": True},
    ),
    "setItemNote": Operation(
        "put",
        lambda w: f"{BASE}/items/step5.terms_of_use/note",
        "items:write",
        (200, 403, 404),
        {"note": "Antrag gestellt"},
    ),
    "listComments": Operation(
        "get", lambda w: f"{BASE}/items/step2.client/comments", "read", (200, 200, 404)
    ),
    "addComment": Operation(
        "post",
        lambda w: f"{BASE}/items/step2.client/comments",
        "items:write",
        (201, 201, 404),
        {"text": "Wer übernimmt das?"},
    ),
    "listEnvironments": Operation("get", lambda w: "/api/v1/environments", "read", (200, 200, 200)),
    "startRun": Operation(
        "post",
        lambda w: f"{BASE}/environments/test/runs",
        "checks:run",
        (403, 202, 404),
        {},
    ),
    "listRuns": Operation("get", lambda w: f"{BASE}/runs", "read", (200, 200, 404)),
    "getRun": Operation("get", lambda w: f"{BASE}/runs/{_run(w)}", "read", (200, 200, 404)),
    "startConformanceRun": Operation("post", _with_destination, "checks:run", (403, 202, 404), {}),
    "getConformanceRun": Operation(
        "get",
        lambda w: f"{BASE}/conformance-runs/{_conformance_run(w)}",
        "read",
        (200, 200, 404),
    ),
    "getRecordPdf": Operation("get", lambda w: f"{BASE}/record.pdf", "pdf:read", (200, 200, 404)),
}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """The matrix opens runs but never calls FIT-Connect (the sandbox test does)."""

    class Queue:
        @staticmethod
        def enqueue(*args: Any, **kwargs: Any) -> None:
            return None

    monkeypatch.setattr("checklist.tasks.run_checks", Queue)
    monkeypatch.setattr("checklist.tasks.run_conformance", Queue)


def test_every_operation_is_in_the_matrix() -> None:
    document = api.get_openapi_schema()
    operations = {
        operation["operationId"]
        for methods in document["paths"].values()
        for operation in methods.values()
    }
    assert operations == OPERATIONS.keys()


def _organisation(world: World, name: str) -> Any:
    return {
        "authority": world.authority,
        "provider": world.provider,
        "outsider": world.other_authority,
    }[name]


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("organisation", ORGANISATIONS)
@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_operation_answers_each_organisation_and_scope(
    name: str, organisation: str, scope: str, world: World
) -> None:
    operation = OPERATIONS[name]
    _token, plain = make_token(_organisation(world, organisation), [scope])
    path = operation.path(world)
    response = ApiClient(plain).call(operation.method, path, operation.body)
    expected = (
        operation.expect[ORGANISATIONS.index(organisation)] if scope == operation.scope else 403
    )
    assert response.status_code == expected, (
        f"{organisation} with {scope}: {operation.method.upper()} {path} → "
        f"{response.status_code} {response.content[:200]!r}, expected {expected}"
    )
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_operation_refuses_missing_expired_and_revoked_tokens(name: str, world: World) -> None:
    operation = OPERATIONS[name]
    token, plain = make_token(world.provider)
    path = operation.path(world)
    assert ApiClient(None).call(operation.method, path, operation.body).status_code == 401
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        expired = ApiClient(plain).call(operation.method, path, operation.body)
    assert expired.status_code == 401
    token.revoke(None)
    assert ApiClient(plain).call(operation.method, path, operation.body).status_code == 401
