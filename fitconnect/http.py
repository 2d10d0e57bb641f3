"""The one httpx client for FIT-Connect: explicit timeouts, a response-size cap, retries for
idempotent GETs only, 429 honoured, and a clear, translated message for every fault.

Every connection goes through the outbound guard: the host name is resolved once, every
address is checked (only global unicast addresses, unless the environment is marked local)
and the connection goes to the address that was checked, so a DNS answer that changes
between check and connect (rebinding) cannot reach an internal service. TLS still names
the host (SNI) and the Host header is unchanged.

Nothing here logs a request body, a header or a token.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from fitconnect.i18n import gettext as _
from fitconnect.i18n import gettext_noop
from fitconnect.messages import Text, define

MAX_RESPONSE_BYTES = 1024 * 1024
MAX_RATE_LIMIT_WAIT = 5.0

HTML_INSTEAD_OF_JSON = define(
    "http.html_instead_of_json",
    gettext_noop(
        "An HTML page came back instead of JSON (HTTP %(status)s) – probably the error page of "
        "a proxy or a wrong address."
    ),
)
NOT_JSON = define("http.not_json", gettext_noop("The response from %(url)s is not valid JSON."))
NOT_AN_OBJECT = define(
    "http.not_an_object",
    gettext_noop(
        "The response does not have the expected structure: %(what)s is not a JSON object."
    ),
)
TOO_MANY_REQUESTS = define(
    "http.too_many_requests",
    gettext_noop(
        "Too many requests (HTTP 429): the service asks to wait %(seconds)g seconds. Please "
        "check again later."
    ),
)
TIME_LIMIT = define(
    "http.time_limit",
    gettext_noop("Timeout: the check exceeded the time limit of %(seconds)g seconds."),
)
TOO_LARGE = define(
    "http.too_large", gettext_noop("The response is larger than 1 MB and was discarded.")
)
TIMEOUT = define(
    "http.timeout",
    gettext_noop(
        "Timeout: %(host)s did not answer in time (connection set-up at most %(connect)g s, "
        "check at most %(total)g s)."
    ),
)
CLOSED = define(
    "http.closed",
    gettext_noop("%(host)s closed the connection without a valid response."),
)
FAILED = define("http.failed", gettext_noop("The request to %(host)s failed (%(error)s)."))
UNRESOLVABLE = define(
    "http.unresolvable",
    gettext_noop("The name %(host)s cannot be resolved. Is the address correct?"),
)
REFUSED = define(
    "http.refused",
    gettext_noop(
        "No connection to %(host)s possible (connection refused). Is the address correct and "
        "the service reachable?"
    ),
)
TLS = define(
    "http.tls",
    gettext_noop(
        "The TLS connection to %(host)s failed: the certificate is invalid or not trusted."
    ),
)
UNEXPECTED_STATUS = define(
    "http.unexpected_status",
    gettext_noop("Unexpected response: HTTP %(status)s from %(url)s."),
)
WITH_DETAIL = define(
    "http.with_detail", gettext_noop("%(message)s Message from the service: %(detail)s")
)
WITH_HTML = define(
    "http.with_html",
    gettext_noop(
        "%(message)s An HTML page came back instead of JSON – probably the error page of a proxy."
    ),
)


class FitConnectError(Exception):
    """A fault talking to FIT-Connect; ``text`` is the message for people (see messages.py)."""

    def __init__(self, message: Text | str, evidence: dict[str, Any] | None = None) -> None:
        super().__init__(str(message))
        self.text = message
        self.evidence = evidence or {}

    @property
    def message(self) -> str:
        """The message rendered in the active language."""
        return str(self.text)


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
            raise FitConnectError(HTML_INSTEAD_OF_JSON(status=self.status), self.evidence())
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            raise FitConnectError(NOT_JSON(url=self.url), self.evidence()) from None

    def json_object(self, what: Text | str) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise FitConnectError(NOT_AN_OBJECT(what=what), self.evidence())
        return data


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


STATUS_MESSAGES = {
    401: define(
        "http.401",
        gettext_noop(
            "Login refused (HTTP 401): the client ID or client secret is wrong, or the access "
            "token is missing."
        ),
    ),
    403: define(
        "http.403",
        gettext_noop(
            "Access denied (HTTP 403): the client is not authorised for this. Check in the "
            "Self-Service-Portal whether the Subscriber client is assigned to the destination."
        ),
    ),
    404: define("http.404", gettext_noop("Not found (HTTP 404): %(url)s")),
    500: define(
        "http.500",
        gettext_noop("The service reported an internal error (HTTP 500). Please try again later."),
    ),
    502: define("http.502", gettext_noop("The service cannot be reached right now (HTTP 502).")),
    503: define(
        "http.503",
        gettext_noop("The service is not available right now (HTTP 503). Please try again later."),
    ),
}


@dataclass
class Client:
    """A FIT-Connect HTTP client for one verification check (one overall deadline)."""

    connect_timeout: float = 5.0
    total_timeout: float = 15.0
    retries: int = 2
    backoff: float = 0.5
    transport: httpx.BaseTransport | None = None
    # Only for an environment marked local (the sandbox): loopback, private addresses and
    # plain http are then accepted. Never for production.
    allow_private: bool = False
    resolver: Resolver | None = None
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
            transport = self.transport or GuardedTransport(
                allow_private=self.allow_private, resolver=self.resolver or resolve
            )
            # Redirects stay off: FIT-Connect needs none (the guard would re-check each hop).
            self._client = httpx.Client(
                transport=transport, follow_redirects=False, trust_env=False
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
                    TOO_MANY_REQUESTS(seconds=wait),
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
                TIME_LIMIT(seconds=self.total_timeout),
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
                            TOO_LARGE(),
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
                TIMEOUT(host=host, connect=self.connect_timeout, total=self.total_timeout),
                evidence | {"retryable": True},
            ) from None
        except httpx.ConnectError as error:
            raise FitConnectError(
                _connect_message(host, error), evidence | {"retryable": True}
            ) from None
        except (httpx.RemoteProtocolError, httpx.ReadError):
            raise FitConnectError(CLOSED(host=host), evidence | {"retryable": True}) from None
        except httpx.HTTPError as error:
            raise FitConnectError(FAILED(host=host, error=type(error).__name__), evidence) from None


def _connect_message(host: str, error: httpx.ConnectError) -> Text:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLError | ssl.CertificateError):
            return _tls_message(host)
        if isinstance(cause, socket.gaierror):
            return UNRESOLVABLE(host=host)
        if isinstance(cause, ConnectionRefusedError):
            break
        cause = cause.__cause__ or cause.__context__
    text = str(error).lower()
    if "ssl" in text or "certificate" in text:
        return _tls_message(host)
    return REFUSED(host=host)


def _tls_message(host: str) -> Text:
    return TLS(host=host)


def _status_error(response: Response) -> FitConnectError:
    known = STATUS_MESSAGES.get(response.status)
    message = (
        known(url=response.url)
        if known is not None
        else UNEXPECTED_STATUS(status=response.status, url=response.url)
    )
    detail = _problem_detail(response)
    if detail:  # in the service's own words, shown as it is
        message = WITH_DETAIL(message=message, detail=detail)
    elif "html" in response.headers.get("content-type", ""):
        message = WITH_HTML(message=message)
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


# The outbound guard --------------------------------------------------------------------------

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# Resolve a host name and port to IP addresses (strings), in the order to try them.
Resolver = Callable[[str, int], list[str]]

NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(FitConnectError):
    """A URL whose host is not a public address, for an environment not marked local."""


def resolve(host: str, port: int) -> list[str]:
    """Return the addresses of ``host`` (the system resolver), without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public_address(address: Address) -> bool:
    """Whether the address is a global unicast address (IPv4 inside IPv6 judged as IPv4).

    Refused: private, loopback, link-local, carrier-grade NAT (100.64.0.0/10, with cloud
    metadata services), multicast, reserved, unspecified, documentation ranges.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address in NAT64_PREFIX:
            address = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and not address.is_unspecified
    )


def checked_addresses(
    host: str, port: int, *, allow_private: bool, resolver: Resolver = resolve
) -> list[Address]:
    """Resolve ``host`` once and return its addresses; refuse any that is not public.

    One internal address among public ones refuses the whole name: which one a client
    picks is not under the portal's control.
    """
    try:
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(host, port)]
    except (socket.gaierror, UnicodeError):
        raise FitConnectError(
            _("The name %(host)s cannot be resolved. Is the address correct?") % {"host": host}
        ) from None
    if not addresses:
        raise FitConnectError(
            _("The name %(host)s cannot be resolved. Is the address correct?") % {"host": host}
        )
    internal = [a for a in addresses if not is_public_address(a)]
    if internal and not allow_private:
        raise AddressRefused(
            _(
                "%(host)s points to an internal address (%(address)s). For security reasons "
                "the portal only calls publicly reachable addresses."
            )
            % {"host": host, "address": internal[0]},
            {"address": str(internal[0])},
        )
    return addresses


class PinnedBackend(httpcore.SyncBackend):
    """Connect to the address that was checked: resolve once, check, connect to that IP.

    httpcore still passes the original host name for TLS (SNI, certificate check), and the
    Host header comes from the URL, so only the address lookup is pinned.
    """

    def __init__(self, *, allow_private: bool, resolver: Resolver = resolve) -> None:
        self.allow_private = allow_private
        self.resolver = resolver

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = checked_addresses(
                host, port, allow_private=self.allow_private, resolver=self.resolver
            )
        except AddressRefused:
            raise
        except FitConnectError as error:
            # Reported like any failed connection, with the resolver's fault as the cause.
            raise httpcore.ConnectError(error.message) from socket.gaierror(error.message)
        last: Exception | None = None
        for address in addresses:
            try:
                return self.open(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last = error
        assert last is not None  # noqa: S101 - addresses is never empty here
        raise last

    def open(
        self,
        address: str,
        port: int,
        timeout: float | None,
        local_address: str | None,
        socket_options: Iterable[Any] | None,
    ) -> httpcore.NetworkStream:
        """Open the TCP connection to one checked address."""
        return super().connect_tcp(address, port, timeout, local_address, socket_options)


@functools.cache
def _verifying_context() -> ssl.SSLContext:
    """The certificate-verifying TLS context every client shares: building one loads the CA
    bundle (about 30 ms), and each check opens a client of its own (the watch: thousands)."""
    return httpx.create_ssl_context(verify=True, trust_env=False)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with the outbound guard: every connection, so every redirect hop,
    goes to a checked address; plain http only where the environment is marked local."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolver: Resolver = resolve,
        backend: PinnedBackend | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        # httpx's own set-up would build a second pool; only the pool differs.
        self.allow_private = allow_private
        self._pool = httpcore.ConnectionPool(
            ssl_context=(
                _verifying_context()
                if verify is True
                else httpx.create_ssl_context(verify=verify, trust_env=False)
            ),
            network_backend=backend
            or PinnedBackend(allow_private=allow_private, resolver=resolver),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "https" and not self.allow_private:
            raise AddressRefused(
                _("The portal calls FIT-Connect only over https://: %(url)s")
                % {"url": str(request.url.copy_with(query=None))}
            )
        return super().handle_request(request)


def refuse_private_address(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> None:
    """Refuse a user-supplied URL that is not https or resolves to an internal address.

    An early, clear answer for callback URLs; the connection itself is guarded again (and
    pinned) by ``GuardedTransport``. With ``allow_private`` (an environment marked local)
    plain http to internal addresses is accepted too.
    """
    parts = urlsplit(url)
    try:
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        host, port = None, 0
    if not host:
        raise FitConnectError(_("The address %(url)s is incomplete.") % {"url": url})
    addresses = checked_addresses(host, port, allow_private=allow_private, resolver=resolver)
    internal = any(not is_public_address(a) for a in addresses)
    if parts.scheme != "https" and not (allow_private and internal):
        raise FitConnectError(_("The callback URL must start with https://."))
