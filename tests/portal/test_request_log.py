"""One log line per request with method, path, status, time, user and request id."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portal.requestlog import REDACTED, redact_path, request_id
from tests.conftest import World

LINE = re.compile(
    r"method=(?P<method>\S+) path=(?P<path>\S+) status=(?P<status>\d+) ms=(?P<ms>[\d.]+) "
    r"user=(?P<user>\S+) request_id=(?P<request_id>\S+)"
)


def logged(caplog: pytest.LogCaptureFixture) -> list[dict[str, str]]:
    lines = [r.getMessage() for r in caplog.records if r.name == "portal.requests"]
    matches = [LINE.fullmatch(line) for line in lines]
    assert all(matches), lines
    return [m.groupdict() for m in matches if m]


@pytest.fixture
def requests_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="portal.requests")
    return caplog


def test_one_line_per_request_and_the_id_in_the_response(
    world: World, requests_log: pytest.LogCaptureFixture
) -> None:
    response = Client().get("/anmelden/?next=/vorhaben/&token=geheim")
    [line] = logged(requests_log)
    assert line["method"] == "GET"
    assert line["path"] == "/anmelden/"  # never the query string
    assert line["status"] == "200"
    assert float(line["ms"]) > 0
    assert line["user"] == "-"
    assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])
    assert response["X-Request-ID"] == line["request_id"]
    record = next(r for r in requests_log.records if r.name == "portal.requests")
    assert record.status == 200  # type: ignore[attr-defined]
    assert record.request_id == line["request_id"]  # type: ignore[attr-defined]


def test_the_signed_in_users_id_is_logged(
    world: World, requests_log: pytest.LogCaptureFixture
) -> None:
    client = Client()
    client.force_login(world.authority_admin)
    client.get(reverse("overview"))
    assert logged(requests_log)[-1]["user"] == str(world.authority_admin.pk)


def test_a_sane_incoming_request_id_is_kept_and_others_are_replaced(
    db: None, requests_log: pytest.LogCaptureFixture
) -> None:
    kept = Client().get("/anmelden/", HTTP_X_REQUEST_ID="lb-4f2a.9c:17")
    assert kept["X-Request-ID"] == "lb-4f2a.9c:17"
    for bad in ("with space", "x" * 129, "<script>", "zeile\nzwei"):
        replaced = Client().get("/anmelden/", HTTP_X_REQUEST_ID=bad)
        assert re.fullmatch(r"[0-9a-f]{32}", replaced["X-Request-ID"])
    assert request_id(None) != request_id(None)


def test_tokens_in_paths_are_not_logged(db: None, requests_log: pytest.LogCaptureFixture) -> None:
    Client().get("/einladung/GeheimesToken123/")
    [line] = logged(requests_log)
    assert line["path"] == f"/einladung/{REDACTED}/"
    assert redact_path("/passwort-neu/MQ/abc-123def/") == f"/passwort-neu/MQ/{REDACTED}/"
    assert redact_path("/a b\nc/") == "/a%20b%0Ac/"


def patterns_with_tokens() -> Iterator[tuple[str, URLPattern]]:
    def walk(
        patterns: list[URLPattern | URLResolver], namespace: str
    ) -> Iterator[tuple[str, URLPattern]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif "token" in pattern.pattern.regex.groupindex and pattern.name:
                yield f"{namespace}{pattern.name}", pattern

    yield from walk(get_resolver().url_patterns, "")


def test_every_url_with_a_token_is_redacted() -> None:
    found = dict(patterns_with_tokens())
    assert {"accept_invitation", "password_reset_confirm"} <= set(found)
    for name, pattern in found.items():
        kwargs = {key: "MQ" for key in pattern.pattern.regex.groupindex} | {
            "token": "GeheimesToken123"
        }
        path = reverse(name, kwargs=kwargs)
        assert "GeheimesToken123" not in redact_path(path), path


def test_djangos_own_not_found_lines_have_no_token(
    db: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="django.request")
    Client().get("/einladung/GeheimesToken123/")
    lines = [r.getMessage() for r in caplog.records if r.name == "django.request"]
    assert lines == [f"Not Found: /einladung/{REDACTED}/"]
