"""Every network fault becomes a clear German message (never an exception a view would 500 on)."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable

import httpx
import pytest

from fitconnect.http import Client, FitConnectError, refuse_private_address

URL = "https://fit-connect.example/submission-api/v1/destinations/x"


def client(handler: Callable[[httpx.Request], httpx.Response], **options: float) -> Client:
    options.setdefault("backoff", 0)
    return Client(transport=httpx.MockTransport(handler), **options)  # type: ignore[arg-type]


def message(handler: Callable[[httpx.Request], httpx.Response], method: str = "GET") -> str:
    with pytest.raises(FitConnectError) as error, client(handler) as c:
        c.request(method, URL)
    return error.value.message


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (401, "Anmeldung abgelehnt (HTTP 401)"),
        (403, "Zugriff verweigert (HTTP 403)"),
        (404, "Nicht gefunden (HTTP 404)"),
        (500, "internen Fehler gemeldet (HTTP 500)"),
        (418, "Unerwartete Antwort: HTTP 418"),
    ],
)
def test_http_errors_have_german_messages(status: int, text: str) -> None:
    assert text in message(lambda request: httpx.Response(status))


def test_problem_json_detail_is_quoted() -> None:
    problem = {
        "type": "https://schema.fitko.de/fit-connect/submission-api/problems/destination-not-found",
        "title": "Destination not found",
        "status": 404,
    }
    text = message(
        lambda r: httpx.Response(
            404, json=problem, headers={"content-type": "application/problem+json"}
        )
    )
    assert "Meldung des Dienstes: Destination not found" in text


def test_server_errors_on_get_are_retried_then_reported() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500) if len(calls) < 3 else httpx.Response(200, json={"ok": True})

    with client(handler) as c:
        assert c.request("GET", URL).json() == {"ok": True}
    assert len(calls) == 3


def test_posts_are_never_retried() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503)

    assert "HTTP 503" in message(handler, method="POST")
    assert len(calls) == 1


def test_429_waits_for_the_rate_limit_reset_and_retries_a_get() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return httpx.Response(429, headers={"RateLimit-Reset": "1", "RateLimit-Remaining": "0"})
        return httpx.Response(200, json={})

    with client(handler) as c:
        c.request("GET", URL)
    assert calls[1] - calls[0] >= 0.9


def test_429_with_a_long_reset_is_reported_not_waited_for() -> None:
    text = message(lambda r: httpx.Response(429, headers={"Retry-After": "120"}))
    assert "Zu viele Anfragen (HTTP 429)" in text
    assert "120 Sekunden" in text


def test_an_html_error_page_instead_of_json_is_named() -> None:
    with client(
        lambda r: httpx.Response(
            200, text="<!DOCTYPE html><h1>Bad Gateway</h1>", headers={"content-type": "text/html"}
        )
    ) as c:
        response = c.request("GET", URL)
    with pytest.raises(FitConnectError, match="HTML-Seite"):
        response.json()


def test_malformed_json_and_wrong_shape_are_named() -> None:
    with (
        client(
            lambda r: httpx.Response(
                200, content=b'{"status": "act', headers={"content-type": "application/json"}
            )
        ) as c,
        pytest.raises(FitConnectError, match="kein gültiges JSON"),
    ):
        c.request("GET", URL).json()
    wrong_shape = client(lambda r: httpx.Response(200, json=[1, 2]))
    with wrong_shape as c, pytest.raises(FitConnectError, match="nicht den erwarteten Aufbau"):
        c.request("GET", URL).json_object("Der Zustellpunkt")


def test_responses_over_one_megabyte_are_discarded() -> None:
    huge = b'{"x": "' + b"a" * (1024 * 1024 + 10) + b'"}'
    assert "größer als 1 MB" in message(lambda r: httpx.Response(200, content=huge))


def test_timeouts_connection_refused_tls_and_dns_faults() -> None:
    def raiser(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
        def handler(request: httpx.Request) -> httpx.Response:
            raise exc

        return handler

    assert "Zeitüberschreitung" in message(raiser(httpx.ReadTimeout("slow")))
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    refused.__cause__ = ConnectionRefusedError(111, "Connection refused")
    assert "Verbindung abgelehnt" in message(raiser(refused))
    tls = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    tls.__cause__ = ssl.SSLCertVerificationError("certificate verify failed")
    assert "TLS-Verbindung" in message(raiser(tls))
    dns = httpx.ConnectError("Name or service not known")
    dns.__cause__ = socket.gaierror(-2, "Name or service not known")
    assert "lässt sich nicht auflösen" in message(raiser(dns))


def test_a_real_refused_connection_on_loopback() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        pytest.raises(FitConnectError, match="Verbindung abgelehnt"),
        Client(retries=0, allow_private=True) as c,
    ):
        c.request("GET", f"http://127.0.0.1:{port}/token")


def test_the_whole_check_has_one_deadline() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.3)
        return httpx.Response(500)

    started = time.monotonic()
    with pytest.raises(FitConnectError), client(slow, total_timeout=0.5) as c:
        c.request("GET", URL)
    assert time.monotonic() - started < 1.5


def test_callback_urls_must_be_https_and_public() -> None:
    with pytest.raises(FitConnectError, match="interne Adresse"):
        refuse_private_address("https://127.0.0.1/callback", allow_private=False)
    with pytest.raises(FitConnectError, match="interne Adresse"):
        refuse_private_address("https://10.1.2.3/callback", allow_private=False)
    with pytest.raises(FitConnectError, match="https://"):
        refuse_private_address("http://93.184.215.14/callback", allow_private=False)
    refuse_private_address("http://127.0.0.1:8765/fachverfahren/callback", allow_private=True)
    refuse_private_address("https://93.184.215.14/callback", allow_private=False)
