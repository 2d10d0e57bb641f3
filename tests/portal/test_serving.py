"""The production server: gunicorn with DEBUG off, WhiteNoise, /healthz, and two app servers.

These tests start real gunicorn processes with gunicorn.conf.py and production settings
against collected static files. The scale-out test needs PostgreSQL (SQLite is one file on
one machine); CI runs it (`.ci/run`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.urls import reverse

from portal.models import Membership, Organisation, User
from tests.conftest import PASSWORD, make_onboarding

ROOT = Path(__file__).resolve().parents[2]
# What the test session sets for itself (tests/environment.py) is not passed on.
NOT_PASSED_ON = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_BACKEND", "DATABASE_URL")
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "kH3$v9!qZ2@rT7&mW5^pL1*xB8#nF4%cJ6(yD0)sG-aE+uR=oI?",
    "SECRET_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "127.0.0.1",
    # Plain HTTP on loopback: no HTTPS redirect, cookies without the Secure flag.
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false",
    "GUNICORN_WORKERS": "1",
    "GUNICORN_THREADS": "2",
}


def production_env(**extra: str) -> dict[str, str]:
    inherited = {
        k: v
        for k, v in os.environ.items()
        if k not in NOT_PASSED_ON and not k.startswith(("SECURE_", "DJANGO_", "GUNICORN_"))
    }
    return {**inherited, **PRODUCTION, **extra}


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Static files collected as in production: hashed names, gzip and Brotli copies."""
    root = tmp_path_factory.mktemp("staticfiles")
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=production_env(STATIC_ROOT=str(root), DATABASE_URL="sqlite:///:memory:"),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return root


@dataclass
class Server:
    base: str
    log: Path

    def url(self, path: str) -> str:
        return self.base + path


@contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[Server]:
    """Start gunicorn with gunicorn.conf.py on a free port; stop it afterwards."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", "127.0.0.1:0"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not (found := re.search(r"Listening at: (http://\S+)", log.read_text())):
            assert process.poll() is None, f"gunicorn stopped:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"gunicorn did not start:\n{log.read_text()}"
            time.sleep(0.1)
        server = Server(found.group(1), log)
        while True:  # until a worker process answers
            try:
                httpx.get(server.url("/healthz"), timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_gunicorn_with_debug_off_serves_health_pages_and_cached_static_files(
    static_root: Path, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    env = production_env(STATIC_ROOT=str(static_root), DATABASE_URL=database)
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stderr
    with gunicorn(env, tmp_path / "gunicorn.log") as server:
        health = httpx.get(server.url("/healthz"))
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": "ok", "worker": "stale"}

        page = httpx.get(server.url("/anmelden/?next=/vorhaben/"))
        assert page.status_code == 200
        assert '<h1 class="kern-heading-large">Anmelden</h1>' in page.text  # German, no make
        request_id = page.headers["X-Request-ID"]
        stylesheet = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', page.text)
        assert stylesheet, "no hashed stylesheet name in the page"

        css = httpx.get(server.url(stylesheet.group(1)), headers={"Accept-Encoding": "br"})
        assert css.status_code == 200
        assert css.headers["Content-Encoding"] == "br"
        cache = css.headers["Cache-Control"]
        assert "max-age=315360000" in cache
        assert "immutable" in cache

    log = server.log.read_text()
    assert "method=GET path=/anmelden/ status=200" in log
    assert f"request_id={request_id}" in log
    assert "next=" not in log  # no query strings
    assert "/healthz" not in log  # probes are not logged, neither by the portal nor gunicorn


def postgres_url() -> str:
    """The URL of the database this test writes to (pytest-django's test_… database)."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = quote(db["PASSWORD"] or "", safe="")
    host = db["HOST"] or "localhost"
    port = db["PORT"] or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{quote(db['NAME'], safe='')}"


def csrf_token(client: httpx.Client) -> str:
    return client.cookies["csrftoken"]


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="needs PostgreSQL (DATABASE_URL=postgres://…): two app servers cannot share SQLite",
)
@pytest.mark.django_db(transaction=True)
def test_two_app_servers_share_sign_in_and_data(static_root: Path, tmp_path: Path) -> None:
    """Sign in on one app server, tick an item on the other, see the tick on the first."""
    authority = Organisation.objects.create(
        name="Stadt Musterstadt", slug="stadt-musterstadt", kind=Organisation.Kind.AUTHORITY
    )
    provider = Organisation.objects.create(
        name="Kommunal-IT GmbH", slug="kommunal-it", kind=Organisation.Kind.PROVIDER
    )
    clara = User.objects.create_user("clara@kommunal-it.example", None, full_name="Clara Code")
    # The app servers know only the production hashers, not the tests' fast MD5.
    clara.password = PBKDF2PasswordHasher().encode(PASSWORD, "scaleouttestsalt")
    clara.save(update_fields=["password"])
    Membership.objects.create(user=clara, organisation=provider, role="staff")
    onboarding = make_onboarding(authority, provider, clara)

    env = production_env(STATIC_ROOT=str(static_root), DATABASE_URL=postgres_url())
    with (
        gunicorn(env, tmp_path / "first.log") as first,
        gunicorn(env, tmp_path / "second.log") as second,
        httpx.Client(timeout=30) as browser,  # one cookie jar for both, as behind a balancer
    ):
        assert first.base != second.base
        browser.get(first.url(reverse("login")))
        signed_in = browser.post(
            first.url(reverse("login")),
            data={
                "username": clara.email,
                "password": PASSWORD,
                "csrfmiddlewaretoken": csrf_token(browser),
            },
        )
        assert signed_in.status_code == 302, signed_in.text[:500]
        assert signed_in.headers["Location"] == reverse("home")

        ticked = browser.post(
            second.url(reverse("item_toggle", args=[onboarding.slug, "step2.client"])),
            data={"done": "1", "csrfmiddlewaretoken": csrf_token(browser)},
        )
        assert ticked.status_code == 302, ticked.text[:500]

        page = browser.get(first.url(reverse("step", args=[onboarding.slug, 2])))
        assert page.status_code == 200
        assert "Abgehakt von Clara Code am" in page.text

        for server in (first, second):
            health = browser.get(server.url("/healthz"))
            assert json.loads(health.text)["database"] == "ok"

    assert onboarding.item_states.get(key="step2.client").done
    first_log, second_log = first.log.read_text(), second.log.read_text()
    assert "method=POST path=/anmelden/ status=302 ms=" in first_log
    assert f"method=POST path=/vorhaben/{onboarding.slug}/punkte/step2.client/" in second_log
    assert f"user={clara.pk}" in second_log
