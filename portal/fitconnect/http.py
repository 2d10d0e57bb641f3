"""The one httpx client for FIT-Connect: explicit timeouts, a response-size cap, retries for
idempotent GETs only, 429 honoured, and a clear German message for every fault.

Nothing here logs a request body, a header or a token.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

MAX_RESPONSE_BYTES = 1024 * 1024
MAX_RATE_LIMIT_WAIT = 5.0


class FitConnectError(Exception):
    """A fault talking to FIT-Connect; ``message`` is German, for people."""

    def __init__(self, message: str, evidence: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.evidence = evidence or {}


@dataclass
class Response:
    url: str
    method: str
    status: int
    headers: httpx.Headers
    body: bytes
    duration_ms: int

    def evidence(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "duration_ms": self.duration_ms,
        }

    def json(self) -> Any:
        content_type = self.headers.get("content-type", "")
        if "html" in content_type or self.body.lstrip()[:15].lower().startswith(
            (b"<!doctype", b"<html")
        ):
            raise FitConnectError(
                f"Statt JSON kam eine HTML-Seite zurück (HTTP {self.status}) – vermutlich die "
                "Fehlerseite eines Proxys oder eine falsche Adresse.",
                self.evidence(),
            )
        try:
            return json.loads(self.body)
        except ValueError:
            raise FitConnectError(
                f"Die Antwort von {self.url} ist kein gültiges JSON.", self.evidence()
            ) from None

    def json_object(self, what: str) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise FitConnectError(
                f"Die Antwort hat nicht den erwarteten Aufbau: {what} ist kein JSON-Objekt.",
                self.evidence(),
            )
        return data


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


STATUS_MESSAGES = {
    401: "Anmeldung abgelehnt (HTTP 401): Client-ID oder Client-Secret stimmen nicht, oder das "
    "Zugangstoken fehlt.",
    403: "Zugriff verweigert (HTTP 403): Der Client ist dafür nicht berechtigt. Prüfen Sie im "
    "Self-Service-Portal, ob der Subscriber-Client dem Zustellpunkt zugeordnet ist.",
    404: "Nicht gefunden (HTTP 404): {url}",
    500: "Der Dienst hat einen internen Fehler gemeldet (HTTP 500). Bitte versuchen Sie es "
    "später erneut.",
    502: "Der Dienst ist gerade nicht erreichbar (HTTP 502).",
    503: "Der Dienst ist gerade nicht verfügbar (HTTP 503). Bitte versuchen Sie es später erneut.",
}


@dataclass
class Client:
    """A FIT-Connect HTTP client for one verification check (one overall deadline)."""

    connect_timeout: float = 5.0
    total_timeout: float = 15.0
    retries: int = 2
    backoff: float = 0.5
    transport: httpx.BaseTransport | None = None
    _started: float = field(default_factory=time.monotonic)
    _client: httpx.Client | None = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                transport=self.transport, follow_redirects=False, trust_env=False
            )
        return self._client

    def remaining(self) -> float:
        return self.total_timeout - (time.monotonic() - self._started)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> Response:
        """Send a request; raise ``FitConnectError`` unless the status is in ``expect``."""
        attempts = 1 + (self.retries if method == "GET" else 0)
        last_error: FitConnectError | None = None
        for attempt in range(attempts):
            try:
                response = self._send(method, url, headers, data, json_body, content)
            except FitConnectError as error:
                if not error.evidence.get("retryable") or attempt == attempts - 1:
                    raise
                last_error = error
                time.sleep(min(self.backoff * (attempt + 1), max(self.remaining(), 0)))
                continue
            if response.status == 429:
                wait = _rate_limit_wait(response.headers)
                if (
                    method == "GET"
                    and attempt < attempts - 1
                    and wait <= min(MAX_RATE_LIMIT_WAIT, self.remaining() - 1)
                ):
                    time.sleep(wait)
                    continue
                raise FitConnectError(
                    "Zu viele Anfragen (HTTP 429): Der Dienst bittet, "
                    f"{wait:g} Sekunden zu warten. Bitte später erneut prüfen.",
                    response.evidence() | {"retry_after_s": wait},
                )
            if response.status in expect:
                return response
            if response.status >= 500 and method == "GET" and attempt < attempts - 1:
                last_error = _status_error(response)
                time.sleep(min(self.backoff * (attempt + 1), max(self.remaining(), 0)))
                continue
            raise _status_error(response)
        assert last_error is not None  # noqa: S101 - the loop always sets it before exhausting
        raise last_error

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None,
        data: dict[str, str] | None,
        json_body: Any,
        content: bytes | None,
    ) -> Response:
        remaining = self.remaining()
        host = _host(url)
        if remaining <= 0:
            raise FitConnectError(
                f"Zeitüberschreitung: Die Prüfung hat das Zeitlimit von {self.total_timeout:g} "
                "Sekunden überschritten.",
                {"method": method, "url": url},
            )
        timeout = httpx.Timeout(
            min(remaining, self.total_timeout), connect=min(self.connect_timeout, remaining)
        )
        evidence: dict[str, Any] = {"method": method, "url": url}
        started = time.monotonic()
        try:
            with self._http().stream(
                method,
                url,
                headers=headers,
                data=data,
                json=json_body,
                content=content,
                timeout=timeout,
            ) as stream:
                chunks = []
                size = 0
                for chunk in stream.iter_bytes():
                    size += len(chunk)
                    if size > MAX_RESPONSE_BYTES:
                        raise FitConnectError(
                            "Die Antwort ist größer als 1 MB und wurde verworfen.",
                            evidence | {"status": stream.status_code},
                        )
                    chunks.append(chunk)
                    if time.monotonic() - started > remaining:
                        raise httpx.ReadTimeout("total timeout", request=stream.request)
                return Response(
                    url=url,
                    method=method,
                    status=stream.status_code,
                    headers=stream.headers,
                    body=b"".join(chunks),
                    duration_ms=round((time.monotonic() - started) * 1000),
                )
        except httpx.TimeoutException:
            raise FitConnectError(
                f"Zeitüberschreitung: {host} hat nicht rechtzeitig geantwortet "
                f"(Verbindungsaufbau höchstens {self.connect_timeout:g} s, Prüfung höchstens "
                f"{self.total_timeout:g} s).",
                evidence | {"retryable": True},
            ) from None
        except httpx.ConnectError as error:
            raise FitConnectError(
                _connect_message(host, error), evidence | {"retryable": True}
            ) from None
        except (httpx.RemoteProtocolError, httpx.ReadError):
            raise FitConnectError(
                f"{host} hat die Verbindung ohne gültige Antwort beendet.",
                evidence | {"retryable": True},
            ) from None
        except httpx.HTTPError as error:
            raise FitConnectError(
                f"Die Anfrage an {host} ist fehlgeschlagen ({type(error).__name__}).", evidence
            ) from None


def _connect_message(host: str, error: httpx.ConnectError) -> str:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLError | ssl.CertificateError):
            return (
                f"Die TLS-Verbindung zu {host} ist fehlgeschlagen: Das Zertifikat ist ungültig "
                "oder nicht vertrauenswürdig."
            )
        if isinstance(cause, socket.gaierror):
            return f"Der Name {host} lässt sich nicht auflösen. Ist die Adresse richtig?"
        if isinstance(cause, ConnectionRefusedError):
            break
        cause = cause.__cause__ or cause.__context__
    text = str(error).lower()
    if "ssl" in text or "certificate" in text:
        return (
            f"Die TLS-Verbindung zu {host} ist fehlgeschlagen: Das Zertifikat ist ungültig oder "
            "nicht vertrauenswürdig."
        )
    return (
        f"Keine Verbindung zu {host} möglich (Verbindung abgelehnt). Ist die Adresse richtig und "
        "der Dienst erreichbar?"
    )


def _status_error(response: Response) -> FitConnectError:
    template = STATUS_MESSAGES.get(response.status)
    if template is None:
        template = "Unerwartete Antwort: HTTP {status} von {url}."
    message = template.format(status=response.status, url=response.url)
    detail = _problem_detail(response)
    if detail:
        message = f"{message} Meldung des Dienstes: {detail}"
    elif "html" in response.headers.get("content-type", ""):
        message = (
            f"{message} Statt JSON kam eine HTML-Seite zurück – vermutlich die Fehlerseite "
            "eines Proxys."
        )
    return FitConnectError(message, response.evidence())


def _problem_detail(response: Response) -> str:
    if "json" not in response.headers.get("content-type", ""):
        return ""
    try:
        data = json.loads(response.body)
    except ValueError:
        return ""
    if isinstance(data, dict):
        text = (
            data.get("detail")
            or data.get("title")
            or data.get("error_description")
            or data.get("error")
        )
        return str(text)[:300] if text else ""
    return ""


def _rate_limit_wait(headers: httpx.Headers) -> float:
    for name in ("RateLimit-Reset", "Retry-After"):
        value = headers.get(name)
        if value:
            try:
                return max(float(value), 0.0)
            except ValueError:
                continue
    return 1.0


def refuse_private_address(url: str, *, allow_private: bool) -> None:
    """Refuse a user-supplied URL that is not https or resolves to a private or loopback address.

    With ``allow_private`` (sandbox and tests) plain http to loopback is accepted too.
    """
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise FitConnectError(f"Die Adresse {url!r} ist unvollständig.")
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        raise FitConnectError(f"Der Name {host} lässt sich nicht auflösen.") from None
    addresses = {ipaddress.ip_address(info[4][0]) for info in infos}
    private = [
        a for a in addresses if a.is_private or a.is_loopback or a.is_link_local or a.is_reserved
    ]
    if private and not allow_private:
        raise FitConnectError(
            f"Die Callback-URL zeigt auf eine interne Adresse ({private[0]}). Aus "
            "Sicherheitsgründen ruft das Portal nur öffentlich erreichbare Adressen auf."
        )
    if parts.scheme != "https" and not (allow_private and private):
        raise FitConnectError("Die Callback-URL muss mit https:// beginnen.")
