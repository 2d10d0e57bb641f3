"""Back-channel logout on two app servers (gunicorn, production settings, PostgreSQL): the
provider tells one of them, and the session ends on both."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from django.urls import reverse

from portal.models import Membership, Organisation
from sso.models import ClaimMapping, IdentityProvider, SsoSession
from tests.portal.test_serving import (
    PRODUCTION,
    gunicorn,
    postgres_url,
    production_env,
    static_root,  # noqa: F401 - the fixture
)
from tests.sso.conftest import CLIENT_ID, CLIENT_SECRET, IDP_PASSWORD, running_idp

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="needs PostgreSQL (DATABASE_URL=postgres://…): two app servers cannot share SQLite",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_back_channel_logout_ends_the_session_on_both_app_servers(
    static_root: Path,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    authority = Organisation.objects.create(
        name="Stadt Musterstadt", slug="stadt-musterstadt", kind=Organisation.Kind.AUTHORITY
    )
    env = production_env(STATIC_ROOT=str(static_root), DATABASE_URL=postgres_url())
    with (
        gunicorn(env, tmp_path / "first.log") as first,
        gunicorn(env, tmp_path / "second.log") as second,
        running_idp([first.base, second.base], tmp_path / "idp.log") as idp,
        httpx.Client(timeout=30) as browser,  # one cookie jar for both, as behind a balancer
    ):
        provider = IdentityProvider.objects.create(
            name="Dienstkonto Hessen",
            issuer=idp.issuer,
            client_id=CLIENT_ID,
            scopes="openid email profile groups",
            # Encrypted with the app servers' key (they run with production settings).
            client_secret_encrypted=Fernet(PRODUCTION["SECRET_ENCRYPTION_KEY"].encode())
            .encrypt(CLIENT_SECRET.encode())
            .decode(),
        )
        ClaimMapping.objects.create(
            provider=provider, value="musterstadt-staff", organisation=authority, role="staff"
        )
        login = "zoe.zwei@musterstadt.example"
        idp.change_account(login, name="Zoe Zwei", groups=["musterstadt-staff"])

        # Sign in through the first app server.
        page = browser.get(first.url(reverse("sso_start", args=[provider.pk])))
        page = browser.get(str(page.headers["location"]), follow_redirects=True)
        action = re.search(r'action="([^"]+)"', page.text)
        assert action is not None, page.text
        page = browser.post(
            str(page.url.join(action.group(1))),
            data={"login": login, "password": IDP_PASSWORD},
            follow_redirects=True,
        )
        assert "Willkommen, Zoe Zwei" in page.text, page.text[:500]
        for server in (first, second):
            assert browser.get(server.url("/")).status_code == 200
        assert Membership.objects.filter(user__email=login, organisation=authority).exists()

        # Zoe signs out at the provider; it tells the first app server.
        question = browser.get(f"{idp.issuer}/session/end")
        form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', question.text))
        confirm = re.search(r'action="([^"]+)"', question.text)
        assert confirm is not None, question.text
        done = browser.post(
            str(question.url.join(confirm.group(1))), data={**form, "logout": "yes"}
        )
        assert done.status_code in (200, 303), done.text[:500]

        for server in (first, second):
            answer = browser.get(server.url("/"))
            assert answer.status_code == 302
            assert answer.headers["location"].startswith(reverse("login"))
        assert not SsoSession.objects.exists()
    assert "path=/anmelden/dienstkonto/backchannel-logout/ status=200" in first.log.read_text()
