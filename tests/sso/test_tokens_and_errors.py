"""The relying party's checks with tokens signed here: back-channel logout (exactly the
sessions of that provider session, on every app server; a replayed token refused), key
rotation, and every error page of a sign-in (German, logged, never a 500)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from jwcrypto import jwk, jws

from portal.models import Membership, Session, User
from sso import oidc
from sso.models import ClaimMapping, ExternalIdentity, IdentityProvider, SsoEvent, SsoSession
from sso.oidc import BACKCHANNEL_EVENT, SsoError
from tests.conftest import World

ISSUER = "https://idp.example"
CLIENT = "anbindungsportal"


def _key(kid: str) -> jwk.JWK:
    key = jwk.JWK.generate(kty="EC", crv="P-256")
    key.update(kid=kid)  # type: ignore[no-untyped-call]
    return key


KEY = _key("key-1")
NEW_KEY = _key("key-2")


def sign(claims: dict[str, Any], key: jwk.JWK = KEY, typ: str = "JWT") -> str:
    token = jws.JWS(json.dumps(claims).encode())
    token.add_signature(key, alg="ES256", protected={"alg": "ES256", "kid": key["kid"], "typ": typ})
    return str(token.serialize(compact=True))


def publish(provider: IdentityProvider, *keys: jwk.JWK) -> None:
    """The provider's discovery document and JWKS, as the portal would have fetched them."""
    cache.set(
        f"sso:discovery:{provider.pk}:{provider.issuer}",
        {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/auth",
            "token_endpoint": f"{ISSUER}/token",
            "jwks_uri": f"{ISSUER}/jwks",
            "end_session_endpoint": f"{ISSUER}/session/end",
        },
        3600,
    )
    jwks = {"keys": [key.export_public(as_dict=True) for key in keys]}
    cache.set(f"sso:jwks:{provider.pk}:{provider.issuer}", json.dumps(jwks), 3600)


@pytest.fixture
def provider(world: World) -> IdentityProvider:
    found = IdentityProvider(name="Dienstkonto Hessen", issuer=ISSUER, client_id=CLIENT)
    found.set_client_secret("geheim")
    found.save()
    ClaimMapping.objects.create(
        provider=found, value="musterstadt-staff", organisation=world.authority, role="staff"
    )
    publish(found, KEY)
    return found


def at_run_time(changes: dict[str, Any]) -> dict[str, Any]:
    """An ``iat`` given as "+600" or "-3600": seconds from now, when the test runs."""
    if isinstance(changes.get("iat"), str):
        return {**changes, "iat": int(time.time()) + int(changes["iat"])}
    return changes


def logout_token(**changes: Any) -> str:
    claims = {
        "iss": ISSUER,
        "aud": CLIENT,
        "iat": int(time.time()),
        "jti": uuid.uuid4().hex,
        "sid": "idp-session-1",
        "events": {BACKCHANNEL_EVENT: {}},
        **changes,
    }
    return sign({k: v for k, v in claims.items() if v is not None}, typ="logout+jwt")


def signed_in_session(user: User, provider: IdentityProvider, sid: str) -> Client:
    client = Client()
    client.force_login(user)
    SsoSession.objects.create(
        session_key=client.session.session_key, provider=provider, sid=sid, subject=str(user.pk)
    )
    return client


def post_logout(token: str) -> int:
    response = Client().post(reverse("sso_backchannel_logout"), {"logout_token": token})
    return int(response.status_code)


# Back-channel logout ----------------------------------------------------------------------


def test_back_channel_logout_ends_exactly_the_sessions_of_that_idp_session(
    world: World, provider: IdentityProvider
) -> None:
    # The same provider session on two app servers (two session rows), and another one.
    first = signed_in_session(world.authority_staff, provider, "idp-session-1")
    second = signed_in_session(world.authority_staff, provider, "idp-session-1")
    other = signed_in_session(world.authority_admin, provider, "idp-session-2")

    assert post_logout(logout_token(sub=str(world.authority_staff.pk))) == 200

    assert first.get(reverse("home"))["Location"].startswith(reverse("login"))
    assert second.get(reverse("home"))["Location"].startswith(reverse("login"))
    assert other.get(reverse("home")).status_code == 200
    assert Session.objects.count() == 1


def test_a_replayed_logout_token_is_refused(world: World, provider: IdentityProvider) -> None:
    token = logout_token()
    assert post_logout(token) == 200
    again = signed_in_session(world.authority_staff, provider, "idp-session-1")
    assert post_logout(token) == 400
    assert again.get(reverse("home")).status_code == 200


@pytest.mark.parametrize(
    "changes",
    [
        {"nonce": "n"},
        {"events": {"http://example.org/other": {}}},
        {"aud": "someone-else"},
        {"iss": "https://other.example"},
        {"sid": None},
        {"jti": None},
        {"iat": "-3600"},
    ],
    ids=["nonce", "no-event", "aud", "iss", "no-sid-or-sub", "no-jti", "old"],
)
def test_a_logout_token_that_breaks_a_rule_ends_nothing(
    world: World, provider: IdentityProvider, changes: dict[str, Any]
) -> None:
    client = signed_in_session(world.authority_staff, provider, "idp-session-1")
    assert post_logout(logout_token(**at_run_time(changes))) == 400
    assert client.get(reverse("home")).status_code == 200


def test_a_logout_token_signed_by_another_key_is_refused(
    world: World, provider: IdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(oidc, "_get_json", lambda url, **kw: {"keys": [KEY.export_public(True)]})
    client = signed_in_session(world.authority_staff, provider, "idp-session-1")
    claims = {
        "iss": ISSUER,
        "aud": CLIENT,
        "iat": int(time.time()),
        "jti": "x",
        "sid": "idp-session-1",
        "events": {BACKCHANNEL_EVENT: {}},
    }
    assert post_logout(sign(claims, NEW_KEY)) == 400
    assert client.get(reverse("home")).status_code == 200


# ID tokens ----------------------------------------------------------------------------------


def id_token(key: jwk.JWK = KEY, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": CLIENT,
        "iat": now,
        "exp": now + 300,
        "nonce": "the-nonce",
        "sub": "person-1",
        "email": "neu@musterstadt.example",
        "name": "Nora Neu",
        "groups": ["musterstadt-staff"],
        **changes,
    }
    return sign({name: value for name, value in claims.items() if value is not None}, key)


def test_rotated_keys_are_fetched_again_for_an_unknown_key_id(
    provider: IdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[str] = []

    def get_json(url: str, **kwargs: Any) -> dict[str, Any]:
        fetched.append(url)
        return {"keys": [KEY.export_public(True), NEW_KEY.export_public(True)]}

    monkeypatch.setattr(oidc, "_get_json", get_json)
    claims = oidc.validate_id_token(provider, id_token(NEW_KEY), "the-nonce")
    assert claims["sub"] == "person-1"
    assert fetched == [f"{ISSUER}/jwks"]


def test_a_wrong_nonce_is_refused(provider: IdentityProvider) -> None:
    with pytest.raises(SsoError) as refused:
        oidc.validate_id_token(provider, id_token(nonce="another"), "the-nonce")
    assert refused.value.kind == "invalid_token"


# Sign-in error pages --------------------------------------------------------------------------


def callback_with(
    client: Client, provider: IdentityProvider, monkeypatch: pytest.MonkeyPatch, **claims: Any
) -> Any:
    """Begin a sign-in, then come back with a code the provider exchanges for an ID token
    with these claims (and the nonce of this sign-in)."""
    started = client.get(reverse("sso_start", args=[provider.pk]))
    assert started.status_code == 302
    assert started["Location"].startswith(f"{ISSUER}/auth?")
    flow = client.session["sso_flow"]
    token = id_token(**{"nonce": flow["nonce"], **claims})
    monkeypatch.setattr(oidc, "exchange_code", lambda *args: {"id_token": token})
    return client.get(reverse("sso_callback"), {"state": flow["state"], "code": "c"})


def test_a_first_sign_in_creates_the_account_and_its_membership(
    world: World, provider: IdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client()
    started = client.get(reverse("sso_start", args=[provider.pk]))
    flow = client.session["sso_flow"]
    assert "code_challenge_method=S256" in started["Location"]
    monkeypatch.setattr(
        oidc, "exchange_code", lambda *args: {"id_token": id_token(nonce=flow["nonce"])}
    )
    response = client.get(reverse("sso_callback"), {"state": flow["state"], "code": "c"})
    assert response.status_code == 302
    user = User.objects.get(email="neu@musterstadt.example")
    assert Membership.objects.get(user=user).organisation == world.authority
    assert SsoSession.objects.get().session_key == client.session.session_key


@pytest.mark.parametrize(
    ("changes", "status", "heading"),
    [
        ({"iat": "+600"}, 403, "Die Uhren stimmen nicht überein"),
        ({"groups": ["gibt-es-nicht"]}, 403, "Ihr Konto gehört zu keiner Organisation im Portal"),
        ({"email": ""}, 403, "Der Anmeldedienst hat keine E-Mail-Adresse übermittelt"),
        ({"aud": "another-client"}, 502, "Die Anmeldung mit Dienstkonto funktioniert nicht"),
    ],
    ids=["clock-skew", "unmapped", "no-email", "wrong-audience"],
)
def test_a_refused_sign_in_explains_itself_in_german(
    world: World,
    provider: IdentityProvider,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    changes: dict[str, Any],
    status: int,
    heading: str,
) -> None:
    response = callback_with(Client(), provider, monkeypatch, **at_run_time(changes))
    assert response.status_code == status
    assert heading in response.content.decode()
    assert "Betrieb" in response.content.decode()
    assert any("SSO refused" in record.getMessage() for record in caplog.records)
    assert not User.objects.filter(email="neu@musterstadt.example").exists()


def test_a_deactivated_account_is_refused(
    world: World, provider: IdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.authority_staff.is_active = False
    world.authority_staff.save()
    ExternalIdentity.objects.create(
        provider=provider, subject="person-1", user=world.authority_staff
    )
    response = callback_with(Client(), provider, monkeypatch)
    assert response.status_code == 403
    assert "Ihr Konto ist deaktiviert" in response.content.decode()


def test_an_unreachable_provider_is_a_page_not_a_500(world: World) -> None:
    provider = IdentityProvider(name="Weg", issuer="http://127.0.0.1:9", client_id=CLIENT)
    provider.set_client_secret("geheim")
    provider.save()
    response = Client().get(reverse("sso_start", args=[provider.pk]))
    assert response.status_code == 503
    assert "Der Anmeldedienst ist nicht erreichbar" in response.content.decode()


def test_a_callback_from_another_sign_in_is_refused(
    world: World, provider: IdentityProvider
) -> None:
    client = Client()
    client.get(reverse("sso_start", args=[provider.pk]))
    response = client.get(reverse("sso_callback"), {"state": "forged", "code": "c"})
    assert response.status_code == 400
    assert "Die Anmeldung ist abgelaufen" in response.content.decode()


def test_the_last_administrator_stays_and_the_operator_is_told_why(
    world: World, provider: IdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    ClaimMapping.objects.create(
        provider=provider, value="musterstadt-admins", organisation=world.authority, role="admin"
    )
    # Anna is the city's only administrator; her group now only makes her staff.
    ExternalIdentity.objects.create(
        provider=provider, subject="person-1", user=world.authority_admin
    )
    response = callback_with(Client(), provider, monkeypatch, email="anna@musterstadt.example")
    assert response.status_code == 302
    membership = Membership.objects.get(user=world.authority_admin, organisation=world.authority)
    assert membership.role == Membership.Role.ADMIN
    note = ExternalIdentity.objects.get().note
    assert "die einzige Person mit Administrationsrechten" in note
    assert SsoEvent.objects.filter(action=SsoEvent.Action.LAST_ADMIN_KEPT).exists()


def test_a_person_whose_every_group_is_gone_loses_the_memberships_and_is_not_signed_in(
    world: World, provider: IdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    ExternalIdentity.objects.create(
        provider=provider, subject="person-1", user=world.authority_staff
    )
    client = Client()
    response = callback_with(client, provider, monkeypatch, groups=[])
    assert response.status_code == 403
    assert "Ihr Konto gehört zu keiner Organisation im Portal" in response.content.decode()
    assert not Membership.objects.filter(user=world.authority_staff).exists()
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_groups_missing_from_the_id_token_come_from_userinfo(
    world: World, provider: IdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def userinfo(found: IdentityProvider, access_token: str) -> dict[str, Any]:
        asked.append(access_token)
        return {"sub": "person-1", "groups": ["musterstadt-staff"]}

    monkeypatch.setattr(oidc, "userinfo", userinfo)
    client = Client()
    client.get(reverse("sso_start", args=[provider.pk]))
    flow = client.session["sso_flow"]
    token = id_token(nonce=flow["nonce"], groups=None)
    monkeypatch.setattr(
        oidc, "exchange_code", lambda *args: {"id_token": token, "access_token": "at"}
    )
    response = client.get(reverse("sso_callback"), {"state": flow["state"], "code": "c"})
    assert response.status_code == 302
    assert asked == ["at"]
    user = User.objects.get(email="neu@musterstadt.example")
    assert Membership.objects.get(user=user).organisation == world.authority


def test_an_operator_enters_the_client_secret_and_never_sees_it_again(world: World) -> None:
    client = Client()
    client.force_login(world.site_operator)
    response = client.post(
        reverse("admin:sso_identityprovider_add"),
        {
            "name": "Dienstkonto Hessen",
            "issuer": "https://login.hessen.example",
            "client_id": "portal",
            "client_secret": "sehr-geheim-4711",
            "scopes": "openid email profile",
            "organisation_claim": "groups",
            "enabled": "on",
            "mappings-TOTAL_FORMS": "0",
            "mappings-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    provider = IdentityProvider.objects.get()
    assert "sehr-geheim-4711" not in provider.client_secret_encrypted
    assert provider.client_secret() == "sehr-geheim-4711"
    page = client.get(reverse("admin:sso_identityprovider_change", args=[provider.pk]))
    assert page.status_code == 200
    assert "sehr-geheim-4711" not in page.content.decode()
    assert provider.client_secret_encrypted not in page.content.decode()
