"""The outbound guard: only global unicast addresses, the checked address is the one connected
to (no DNS rebinding), TLS still names the host, every redirect hop is checked again.

No test here sends a packet off this machine: "public" addresses are mapped onto loopback
servers by a test backend, which is the seam where the guard opens its connection.
"""

from __future__ import annotations

import ipaddress
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fitconnect.http import (
    AddressRefused,
    Client,
    FitConnectError,
    GuardedTransport,
    PinnedBackend,
    checked_addresses,
    is_public_address,
    refuse_private_address,
)

PUBLIC = "93.184.215.14"  # global unicast; mapped to a loopback server below, never reached

ADDRESS_CLASSES = [
    ("global IPv4", PUBLIC, True),
    ("global IPv6", "2606:4700:4700::1111", True),
    ("IPv4-mapped global", f"::ffff:{PUBLIC}", True),
    ("private 10/8", "10.1.2.3", False),
    ("private 172.16/12", "172.16.0.1", False),
    ("private 192.168/16", "192.168.1.1", False),
    ("CGNAT 100.64/10", "100.64.0.1", False),
    ("CGNAT cloud metadata", "100.100.100.200", False),
    ("multicast IPv4", "224.0.0.1", False),
    ("multicast IPv4 SSDP", "239.255.255.250", False),
    ("multicast IPv6", "ff02::1", False),
    ("link-local IPv4 (metadata)", "169.254.169.254", False),
    ("link-local IPv6", "fe80::1", False),
    ("loopback IPv4", "127.0.0.1", False),
    ("loopback IPv4 elsewhere in 127/8", "127.5.6.7", False),
    ("loopback IPv6", "::1", False),
    ("IPv6 unique local fd00::/8", "fd00::1", False),
    ("IPv6 unique local fc00::/8", "fc00::1", False),
    ("IPv4-mapped loopback", "::ffff:127.0.0.1", False),
    ("IPv4-mapped private", "::ffff:10.0.0.1", False),
    ("IPv4-mapped link-local", "::ffff:169.254.169.254", False),
    ("NAT64 of loopback", "64:ff9b::7f00:1", False),
    ("reserved 240/4", "240.0.0.1", False),
    ("broadcast", "255.255.255.255", False),
    ("unspecified IPv4", "0.0.0.0", False),  # noqa: S104 - a value under test, not a bind
    ("unspecified IPv6", "::", False),
    ("documentation IPv4", "192.0.2.1", False),
    ("documentation IPv6", "2001:db8::1", False),
    ("benchmarking 198.18/15", "198.18.0.1", False),
]


@pytest.mark.parametrize(
    ("address", "public"),
    [(a, p) for _, a, p in ADDRESS_CLASSES],
    ids=[n for n, _, _ in ADDRESS_CLASSES],
)
def test_only_global_unicast_addresses_pass_the_guard(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public
    answer = lambda host, port: [address]  # noqa: E731
    if public:
        assert checked_addresses("dienst.test", 443, allow_private=False, resolver=answer)
    else:
        with pytest.raises(AddressRefused, match="interne Adresse"):
            checked_addresses("dienst.test", 443, allow_private=False, resolver=answer)
    # An environment marked local (the sandbox) may call every one of them.
    assert checked_addresses("dienst.test", 443, allow_private=True, resolver=answer)


def test_one_internal_address_among_public_ones_refuses_the_name() -> None:
    with pytest.raises(AddressRefused, match=r"100\.100\.100\.200"):
        checked_addresses(
            "dienst.test",
            443,
            allow_private=False,
            resolver=lambda host, port: [PUBLIC, "100.100.100.200"],
        )


def test_callback_urls_with_a_port_out_of_range_get_a_message_not_an_exception() -> None:
    with pytest.raises(FitConnectError, match="unvollständig"):
        refuse_private_address("https://fachverfahren.test:99999/cb", allow_private=False)


# Loopback servers standing in for a public service and for an internal one ------------------


class Recorder(BaseHTTPRequestHandler):
    hits: list[dict[str, str]]
    redirect_to = ""

    def do_GET(self) -> None:
        sni = getattr(self.request, "sni", "")
        self.hits.append({"path": self.path, "host": self.headers["Host"], "sni": sni})
        if self.redirect_to:
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
        else:
            self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _certificate(tmp: Path, names: list[str]) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class Server:
    """A threaded HTTPS server on one loopback address that records what reached it."""

    def __init__(self, address: str, port: int, cert: tuple[Path, Path]) -> None:
        self.hits: list[dict[str, str]] = []
        handler = type("Handler", (Recorder,), {"hits": self.hits})
        self.handler = handler
        self.httpd = ThreadingHTTPServer((address, port), handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*cert)

        def remember_sni(sock: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
            sock.sni = name or ""  # type: ignore[union-attr]

        context.sni_callback = remember_sni  # type: ignore[assignment]
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[Server, Server, ssl.SSLContext]]:
    """A "public" service on 127.0.0.2 and an internal one on 127.0.0.1, on the same port."""
    cert = _certificate(tmp_path, ["fitconnect.test", "umleitung.test"])
    public = Server("127.0.0.2", 0, cert)
    internal = Server("127.0.0.1", public.port, cert)
    trust = ssl.create_default_context(cafile=str(cert[0]))
    yield public, internal, trust
    public.stop()
    internal.stop()


class MappedBackend(PinnedBackend):
    """The guard as it is, except that the public test address leads to a loopback server."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.opened: list[str] = []

    def open(self, address: str, port: int, *args: Any) -> httpcore.NetworkStream:
        self.opened.append(address)
        return super().open("127.0.0.2" if address == PUBLIC else address, port, *args)


class Rebinding:
    """A DNS answer that changes: public on the first question, loopback after that."""

    def __init__(self) -> None:
        self.questions = 0

    def __call__(self, host: str, port: int) -> list[str]:
        self.questions += 1
        return [PUBLIC] if self.questions == 1 else ["127.0.0.1"]


def guarded(resolver: Any, trust: ssl.SSLContext) -> tuple[GuardedTransport, MappedBackend]:
    backend = MappedBackend(allow_private=False, resolver=resolver)
    return GuardedTransport(backend=backend, verify=trust), backend


def test_a_rebinding_name_cannot_reach_loopback(
    servers: tuple[Server, Server, ssl.SSLContext],
) -> None:
    public, internal, trust = servers
    url = f"https://fitconnect.test:{public.port}/submission-api/v1/info"
    rebinding = Rebinding()
    # The callback check's early look sees the public answer ...
    refuse_private_address(url, allow_private=False, resolver=rebinding)
    # ... and the connection asks again: now loopback, which the guard refuses.
    transport, backend = guarded(rebinding, trust)
    with Client(transport=transport) as client, pytest.raises(AddressRefused):
        client.request("GET", url)
    assert backend.opened == []
    assert internal.hits == []

    # Asked only once, the guard connects to exactly the address it checked.
    once = Rebinding()
    transport, backend = guarded(once, trust)
    with Client(transport=transport) as client:
        response = client.request("GET", url)
    assert response.status == 200
    assert once.questions == 1
    assert backend.opened == [PUBLIC]
    assert internal.hits == []
    # TLS names the host (SNI, certificate check) and the Host header is the URL's.
    assert public.hits == [
        {
            "path": "/submission-api/v1/info",
            "host": f"fitconnect.test:{public.port}",
            "sni": "fitconnect.test",
        }
    ]


def test_every_redirect_hop_is_checked_again(
    servers: tuple[Server, Server, ssl.SSLContext],
) -> None:
    public, internal, trust = servers
    public.handler.redirect_to = f"https://umleitung.test:{public.port}/latest/meta-data/"
    names = {"fitconnect.test": [PUBLIC], "umleitung.test": ["127.0.0.1"]}
    transport, backend = guarded(lambda host, port: names[host], trust)
    with (
        httpx.Client(transport=transport, follow_redirects=True) as client,
        pytest.raises(AddressRefused, match=r"umleitung\.test"),
    ):
        client.get(f"https://fitconnect.test:{public.port}/token")
    assert len(public.hits) == 1
    assert internal.hits == []
    assert backend.opened == [PUBLIC]


def test_plain_http_is_refused_unless_the_environment_is_local() -> None:
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return [PUBLIC]

    with (
        Client(resolver=resolver, retries=0) as client,
        pytest.raises(AddressRefused, match="https://"),
    ):
        client.request("GET", "http://fitconnect.test/token")
    assert asked == []


def test_an_unresolvable_name_gets_the_usual_message() -> None:
    def nowhere(host: str, port: int) -> list[str]:
        import socket

        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with (
        Client(resolver=nowhere, retries=0) as client,
        pytest.raises(FitConnectError, match="nicht auflösen"),
    ):
        client.request("GET", "https://gibt-es-nicht.test/token")
