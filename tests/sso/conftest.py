"""The real identity provider (npm oidc-provider, tests/idp/server.mjs) beside the live
server, and the portal's configuration of it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from portal.models import Membership
from sso.models import ClaimMapping, IdentityProvider
from tests.conftest import World

IDP_DIR = Path(__file__).resolve().parents[1] / "idp"
CLIENT_ID = "anbindungsportal"
CLIENT_SECRET = "test-dienstkonto-geheimnis"
IDP_PASSWORD = "Dienstkonto-Demo-2026"
# How long the provider took to answer its discovery document, for the report at the end.
START_TIMES: list[float] = []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Idp:
    issuer: str
    log: Path

    def change_account(self, login: str, **changes: Any) -> None:
        """Change an account at the provider (groups, amr, password) for the next sign-in."""
        response = httpx.post(
            f"{self.issuer}/test/accounts", content=json.dumps({"login": login, **changes})
        )
        response.raise_for_status()


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def running_idp(portals: list[str], log: Path) -> Iterator[Idp]:
    """oidc-provider on a free port, its client's redirect and logout URIs at ``portals``
    (the first receives the back-channel logout)."""
    node = shutil.which("node")
    if node is None:
        _unavailable(
            "Node.js is missing: the SSO tests need it for oidc-provider (apt-get nodejs)."
        )
    if not (IDP_DIR / "node_modules" / "oidc-provider").exists():
        _unavailable(
            "tests/idp/node_modules is missing: run 'npm ci' in tests/idp (make test does)."
        )
    port = _free_port()
    environment = {
        **os.environ,
        "IDP_PORT": str(port),
        "PORTAL_BASE_URLS": ",".join(portals),
        "IDP_CLIENT_ID": CLIENT_ID,
        "IDP_CLIENT_SECRET": CLIENT_SECRET,
        "IDP_TEST_CONTROL": "1",
    }
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(node), "server.mjs"],
            cwd=IDP_DIR,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    issuer = f"http://127.0.0.1:{port}"
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"oidc-provider ended: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() - started > 30:
                pytest.fail("oidc-provider did not answer within 30 seconds")
            time.sleep(0.05)
        START_TIMES.append(time.monotonic() - started)
        yield Idp(issuer, log)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def idp(live_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Idp]:
    """The provider for the live server, started once for the session."""
    base = live_server.url.replace("localhost", "127.0.0.1")
    log = tmp_path_factory.mktemp("idp") / "oidc-provider.log"
    with running_idp([base, live_server.url], log) as provider:
        yield provider


@pytest.fixture
def identity_provider(idp: Idp, world: World) -> IdentityProvider:
    """The provider as an operator configures it: one Land IdP serving the city, its IT
    provider and the coordination office."""
    provider = IdentityProvider(
        name="Dienstkonto Hessen",
        issuer=idp.issuer,
        client_id=CLIENT_ID,
        scopes="openid email profile groups",
        organisation_claim="groups",
        strong_amr="otp hwk mfa",
    )
    provider.set_client_secret(CLIENT_SECRET)
    provider.save()
    for value, organisation, role in (
        ("musterstadt-admins", world.authority, Membership.Role.ADMIN),
        ("musterstadt-staff", world.authority, Membership.Role.STAFF),
        ("kommunal-it-staff", world.provider, Membership.Role.STAFF),
        ("land-koordinierung", world.coordination, Membership.Role.ADMIN),
    ):
        ClaimMapping.objects.create(
            provider=provider, value=value, organisation=organisation, role=role
        )
    return provider
