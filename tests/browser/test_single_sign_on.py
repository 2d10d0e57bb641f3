"""Staff sign in with their service account at a real OpenID Connect provider (oidc-provider),
in a real browser: accounts just in time, roles from groups, sign-out both ways, PKCE, MFA."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from portal.models import Membership, Session, User
from portal.sessions import SessionStore
from sso.models import ExternalIdentity, IdentityProvider, OrganisationSso, SsoEvent, SsoSession
from tests.browser.conftest import assert_accessible
from tests.conftest import PASSWORD, World
from tests.sso.conftest import CLIENT_ID, CLIENT_SECRET, IDP_PASSWORD, Idp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BUTTON = "Mit Dienstkonto anmelden: Dienstkonto Hessen"


def sign_in_at_idp(page: Page, portal: str, login: str, password: str = IDP_PASSWORD) -> None:
    """From the portal's sign-in page through the provider's login form."""
    page.goto(f"{portal}/anmelden/")
    page.get_by_role("link", name=BUTTON).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demo-Identitätsanbieter des Landes")
    page.get_by_label("Benutzername").fill(login)
    page.get_by_label("Kennwort").fill(password)
    page.get_by_role("button", name="Beim Identitätsanbieter anmelden").click()


def code_for(portal: str, login: str) -> tuple[str, str]:
    """Go the way a browser goes up to the portal's callback; return the code and the PKCE
    verifier the portal keeps in its session for it."""
    with httpx.Client() as browser:
        response = browser.get(f"{portal}/anmelden/")
        found = re.search(r'href="(/anmelden/dienstkonto/\d+/)"', response.text)
        assert found is not None
        response = browser.get(f"{portal}{found.group(1)}", follow_redirects=True)
        action = re.search(r'action="([^"]+)"', response.text)
        assert action is not None
        response = browser.post(
            str(response.url.join(action.group(1))),
            data={"login": login, "password": IDP_PASSWORD},
        )
        while "/anmelden/dienstkonto/rueckkehr/" not in response.headers.get("location", ""):
            assert response.is_redirect, response.text
            response = browser.get(str(response.url.join(response.headers["location"])))
        code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
        session = SessionStore(session_key=browser.cookies["sessionid"]).load()
        return code, session["sso_flow"]["verifier"]


def membership_role(email: str, organisation: Any) -> str | None:
    found = Membership.objects.filter(user__email=email, organisation=organisation).first()
    return found.role if found else None


def test_first_sign_in_creates_the_account_with_the_mapped_membership(
    page: Page, live_server: Any, world: World, idp: Idp, identity_provider: IdentityProvider
) -> None:
    login = "tina.erst@musterstadt.example"
    idp.change_account(login, name="Tina Erst", groups=["musterstadt-staff", "unbekannt"])
    page.goto(f"{live_server.url}/anmelden/")
    assert_accessible(page, "sign-in with service account button")
    sign_in_at_idp(page, live_server.url, login)

    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Tina Erst")
    user = User.objects.get(email=login)
    assert not user.has_usable_password()
    assert membership_role(login, world.authority) == Membership.Role.STAFF
    assert list(Membership.objects.filter(user=user).values_list("organisation", flat=True)) == [
        world.authority.pk
    ]
    assert set(SsoEvent.objects.filter(user=user).values_list("action", flat=True)) == {
        SsoEvent.Action.ACCOUNT_CREATED,
        SsoEvent.Action.MEMBERSHIP_ADDED,
    }


def test_a_changed_group_changes_the_role_and_rp_initiated_logout_ends_the_idp_session(
    page: Page, live_server: Any, world: World, idp: Idp, identity_provider: IdentityProvider
) -> None:
    login = "rolf.rolle@musterstadt.example"
    idp.change_account(login, name="Rolf Rolle", groups=["musterstadt-staff"])
    sign_in_at_idp(page, live_server.url, login)
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Rolf Rolle")
    assert membership_role(login, world.authority) == Membership.Role.STAFF

    # "Abmelden" ends the portal's session and, after the provider's question, its session.
    page.get_by_role("button", name="Abmelden").click()
    page.get_by_role("button", name="Ja, abmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    assert not SsoSession.objects.exists()

    # The provider asks for the password again (its session ended); the new group counts.
    idp.change_account(login, groups=["musterstadt-admins", "kommunal-it-staff"])
    sign_in_at_idp(page, live_server.url, login)
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Rolf Rolle")
    assert membership_role(login, world.authority) == Membership.Role.ADMIN
    assert membership_role(login, world.provider) == Membership.Role.STAFF

    # The group for the IT provider is gone again: that membership goes with it.
    page.get_by_role("button", name="Abmelden").click()
    page.get_by_role("button", name="Ja, abmelden").click()
    idp.change_account(login, groups=["musterstadt-admins"])
    sign_in_at_idp(page, live_server.url, login)
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Rolf Rolle")
    assert membership_role(login, world.provider) is None
    assert SsoEvent.objects.filter(
        user__email=login, action=SsoEvent.Action.MEMBERSHIP_REMOVED
    ).exists()


def test_back_channel_logout_from_the_idp_ends_the_portal_session(
    page: Page, live_server: Any, world: World, idp: Idp, identity_provider: IdentityProvider
) -> None:
    login = "bea.back@musterstadt.example"
    idp.change_account(login, name="Bea Back", groups=["musterstadt-staff"])
    sign_in_at_idp(page, live_server.url, login)
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Bea Back")
    recorded = SsoSession.objects.get()
    assert Session.objects.filter(session_key=recorded.session_key).exists()

    # The person signs out at the provider (not through the portal): it tells the portal.
    page.goto(f"{idp.issuer}/session/end")
    page.get_by_role("button", name="Ja, abmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sie sind beim Identitätsanbieter abgemeldet."
    )
    assert not Session.objects.filter(session_key=recorded.session_key).exists()
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")

    # Coming back to the portal with an answer of no sign-in begun here: explained, no 500.
    page.goto(f"{live_server.url}/anmelden/dienstkonto/rueckkehr/?state=alt&code=alt")
    expect(page.get_by_role("heading", level=1)).to_have_text("Die Anmeldung ist abgelaufen")
    assert_accessible(page, "single sign-on error")


def test_the_idp_refuses_a_code_without_the_pkce_verifier(
    live_server: Any, world: World, idp: Idp, identity_provider: IdentityProvider
) -> None:
    login = "paul.pkce@musterstadt.example"
    idp.change_account(login, name="Paul Pkce", groups=["musterstadt-staff"])
    # Without a code challenge the provider starts no sign-in at all.
    response = httpx.get(
        f"{idp.issuer}/auth",
        params={
            "client_id": CLIENT_ID,
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": f"{live_server.url}/anmelden/dienstkonto/rueckkehr/",
        },
    )
    assert response.status_code == 303
    assert "error=invalid_request" in response.headers["location"]
    assert "requires+PKCE" in response.headers["location"]

    # A code the portal asked for (with its challenge), redeemed without the verifier: refused.
    def redeem(code: str, **verifier: str) -> httpx.Response:
        return httpx.post(
            f"{idp.issuer}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": f"{live_server.url}/anmelden/dienstkonto/rueckkehr/",
                **verifier,
            },
            auth=(CLIENT_ID, CLIENT_SECRET),
        )

    code, _verifier = code_for(live_server.url, login)
    refused = redeem(code)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    # The same request with the portal's verifier is what succeeds.
    code, verifier = code_for(live_server.url, login)
    assert redeem(code, code_verifier=verifier).status_code == 200
    assert not User.objects.filter(email=login).exists()


def test_an_idp_asserting_two_factors_counts_and_one_that_does_not_is_asked_for_it(
    page: Page,
    live_server: Any,
    world: World,
    idp: Idp,
    identity_provider: IdentityProvider,
    settings: Any,
) -> None:
    settings.MFA_REQUIRED = True
    strong = "mia.mfa@musterstadt.example"
    idp.change_account(strong, name="Mia Mfa", groups=["musterstadt-admins"], amr=["pwd", "otp"])
    sign_in_at_idp(page, live_server.url, strong)
    # An administrator, but the provider's second factor counts: the home page, no setup.
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Mia Mfa")
    page.goto(f"{live_server.url}/organisationen/{world.authority.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Stadt Musterstadt")

    page.get_by_role("button", name="Abmelden").click()
    page.get_by_role("button", name="Ja, abmelden").click()
    weak = "wim.weak@musterstadt.example"
    idp.change_account(weak, name="Wim Weak", groups=["musterstadt-admins"], amr=["pwd"])
    sign_in_at_idp(page, live_server.url, weak)
    expect(page.get_by_role("heading", level=1)).to_have_text("Zwei-Faktor-Anmeldung einrichten")


def test_an_existing_account_is_linked_only_after_its_password(
    page: Page, live_server: Any, world: World, idp: Idp, identity_provider: IdentityProvider
) -> None:
    login = world.authority_staff.email
    idp.change_account(login, name="Bernd Beispiel", groups=["musterstadt-staff"])
    sign_in_at_idp(page, live_server.url, login)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dienstkonto verknüpfen")
    assert not ExternalIdentity.objects.exists()
    page.get_by_label("Passwort Ihres Portalkontos").fill("falsch-falsch-falsch")
    page.get_by_role("button", name="Verknüpfen und anmelden").click()
    expect(
        page.get_by_text(
            "Das Passwort ist nicht richtig. Bitte prüfen Sie es und versuchen Sie es erneut.",
            exact=True,
        )
    ).to_be_visible()
    assert not ExternalIdentity.objects.exists()
    assert_accessible(page, "link service account")

    page.get_by_label("Passwort Ihres Portalkontos").fill(PASSWORD)
    page.get_by_role("button", name="Verknüpfen und anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Bernd Beispiel")
    assert ExternalIdentity.objects.get().user == world.authority_staff


def test_an_organisation_requiring_sso_refuses_the_password(
    page: Page, live_server: Any, world: World, identity_provider: IdentityProvider
) -> None:
    OrganisationSso.objects.create(
        organisation=world.authority, provider=identity_provider, required=True
    )
    page.goto(f"{live_server.url}/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(world.authority_staff.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page.locator("#error-summary")).to_contain_text(
        "Stadt Musterstadt meldet ihre Beschäftigten über einen eigenen Anmeldedienst an."
    )
    expect(page.get_by_role("link", name=BUTTON)).to_be_visible()
