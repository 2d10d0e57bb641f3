"""The OpenAPI document is valid OpenAPI 3.1, and the API keeps to it (Schemathesis).

Schemathesis reads the live document from the app (in-process WSGI), generates requests
for every operation (bounded examples, the documented examples first) and follows the
declared links; every answer must be no server error and match the document.
"""

from __future__ import annotations

import json
import re
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
    monkeypatch.setattr("checklist.tasks.run_conformance", Queue)
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
    assert len(operations) == 15
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
    assert tried == 22 * len(CONTROL)  # 22 path parameters in 13 operations


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


def _docs(**headers: str) -> str:
    query = headers.pop("query", "")
    page = Client().get("/api/v1/docs" + query, headers=headers)
    assert page.status_code == 200
    return page.content.decode()


def test_the_documentation_is_german_by_default_and_english_on_request() -> None:
    german = _docs()
    assert '<html lang="de"' in german
    assert "Einen Punkt abhaken oder wieder öffnen" in german
    assert "Bestandene Prüfungen haken ihre Punkte ab" in german
    english_texts = ("Tick or untick an item", "Needs the permission", "Page number, from 1.")
    for english in (*english_texts, "Unauthorized", "Not Found"):
        assert english not in german
    operations_and_structures = german[german.index('id="operations"') : german.index("</main>")]
    assert 'lang="en"' not in operations_and_structures  # no English passages left
    for wanted in ({"query": "?lang=en"}, {"Accept-Language": "en-GB,en;q=0.9,de;q=0.5"}):
        english_page = _docs(**wanted)
        assert '<html lang="en"' in english_page
        assert "Tick or untick an item" in english_page
        assert "Einen Punkt abhaken" not in english_page


def test_each_operation_has_whole_sentences_a_human_body_name_an_example_and_curl() -> None:
    document = Client().get("/api/v1/openapi.json").json()
    html = _docs()
    # Request bodies are named for people, not by their class names.
    assert re.search(r'href="#schema-DoneIn">Haken</a>', html)
    for class_name in ("DoneIn", "NoteIn", "CommentIn", "RunIn"):
        assert f">{class_name}<" not in html
    for methods in document["paths"].values():
        for operation in methods.values():
            op_id = operation["operationId"]
            assert "\n" not in operation["description"]  # no docstring broken mid-line
            assert operation["description"].endswith(".")
            section = html[html.index(f'id="op-{op_id}"') :]
            section = section[: section.index("</section>")]
            assert "curl --fail-with-body" in section
            assert "Authorization: Bearer $FCAP_TOKEN" in section
            if "requestBody" in operation:
                body = re.search(r"-d &#x27;(.*?)&#x27;", section, re.S)
                assert body is not None, op_id
                json.loads(body.group(1).replace("&quot;", '"'))
                assert "example" in operation["requestBody"]["content"]["application/json"]


def test_the_documentation_names_each_region_once() -> None:
    html = _docs()
    assert 'aria-label="Tabelle' not in html
    names = re.findall(r'role="region" aria-labelledby="([^"]+)"', html)
    assert names
    assert len(names) == len(set(names))
