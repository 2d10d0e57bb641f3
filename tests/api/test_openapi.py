"""The OpenAPI document is valid OpenAPI 3.1, and the API keeps to it (Schemathesis).

Schemathesis reads the live document from the app (in-process WSGI), generates requests
for every operation (bounded examples, the documented examples first) and follows the
declared links; every answer must be no server error and match the document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis.stateful import run_state_machine_as_test
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection

from tests.api.conftest import make_token
from tests.conftest import World


def test_the_document_is_valid_openapi_3_1() -> None:
    document = Client().get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    validate(document)
    run = document["paths"]["/api/v1/onboardings/{slug}/environments/{environment}/runs"]["post"]
    assert run["security"] == [{"TokenAuth": ["checks:run"]}]
    assert "Location" in run["responses"]["202"]["headers"]
    assert run["responses"]["202"]["links"]["GetRun"]["operationId"] == "getRun"
    assert "application/problem+json" in run["responses"]["409"]["content"]


def test_the_documentation_page_describes_every_operation() -> None:
    document = Client().get("/api/v1/openapi.json").json()
    page = Client().get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    for methods in document["paths"].values():
        for operation in methods.values():
            assert f'id="op-{operation["operationId"]}"' in html
    assert 'id="problem-rate-limited"' in html
    # Served from the portal itself: no scripts or styles from elsewhere.
    assert "cdn" not in html.lower()
    assert "'unsafe-inline'" not in page["Content-Security-Policy"]


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """Keep the test's database connection across in-process WSGI requests.

    A request ends with ``close_old_connections``, which closes a connection in the test's
    transaction on PostgreSQL; Django's test client disconnects it in the same way.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(
    world: World, settings: Any, monkeypatch: pytest.MonkeyPatch, keep_connection: None
) -> str:
    """A provider token with every scope; runs are opened but never call FIT-Connect."""
    settings.API_RATE_LIMIT_PER_MINUTE = 100_000
    # Schemathesis also sends wrong tokens, and expects 401 for each.
    settings.API_AUTH_FAILURE_LIMIT_PER_IP = 100_000

    class Queue:
        @staticmethod
        def enqueue(*args: Any, **kwargs: Any) -> None:
            return None

    monkeypatch.setattr("checklist.tasks.run_checks", Queue)
    _token, plain = make_token(world.provider)
    return plain


BOUNDED = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def _schema() -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_keeps_to_the_document(bearer: str, mode: GenerationMode) -> None:
    headers = {"Authorization": f"Bearer {bearer}"}
    operations = [result.ok() for result in _schema().get_all_operations()]
    assert len(operations) == 13
    for operation in operations:

        @BOUNDED
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case: Any) -> None:
            # Unknown query parameters and headers are ignored, as HTTP APIs commonly do;
            # every other check (server errors, status codes, bodies, headers) applies.
            case.call_and_validate(headers=headers, excluded_checks=[negative_data_rejection])

        check()


# NUL (which PostgreSQL refuses in a string) and other control characters, alone and in
# a real value; generated strings contain them only now and then.
CONTROL = ["\x00", "\x01", "\x7f", "\n", "\r\n", "\x1f", "\x85", "test\x00", "a\x00b"]


def test_control_characters_in_every_path_parameter_answer_not_found(
    bearer: str, world: World
) -> None:
    headers = {"Authorization": f"Bearer {bearer}"}
    valid = {"slug": world.onboarding.slug, "key": "step2.client", "environment": "test"}
    valid["run_id"] = "1"
    tried = 0
    for result in _schema().get_all_operations():
        operation = result.ok()
        names = [parameter.name for parameter in operation.path_parameters]
        for name in names:
            for text in CONTROL:
                parameters = {other: valid[other] for other in names} | {name: text}
                case = operation.Case(path_parameters=parameters)
                response = case.call_and_validate(
                    headers=headers, excluded_checks=[negative_data_rejection]
                )
                assert response.status_code == 404, (operation.label, parameters)
                tried += 1
    assert tried == 18 * len(CONTROL)  # 18 path parameters in 11 operations


def test_the_declared_links_can_be_followed(bearer: str) -> None:
    machine = _schema().as_state_machine()
    headers = {"Authorization": f"Bearer {bearer}"}

    class Links(machine):  # type: ignore[misc, valid-type]
        def before_call(self, case: Any) -> None:
            # As Schemathesis' auth providers do: its auth checks then also try the
            # operation without the token and with a wrong one, and expect 401.
            case.headers = {**(case.headers or {}), **headers}
            case._has_explicit_auth = True

    run_state_machine_as_test(
        Links,
        settings=settings(
            max_examples=10,
            stateful_step_count=4,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        ),
    )
