"""Passkeys in Chromium with a virtual authenticator (Chrome DevTools Protocol), under the
portal's real Content Security Policy: add one, sign out, sign in with password and passkey."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import assert_accessible, new_page, open_enrolment_link
from tests.conftest import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def with_authenticator(page: Page, transport: str = "internal") -> str:
    """Give the page's browser an authenticator: "internal" is one like Touch ID or Windows
    Hello, "usb" a security key."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": transport,
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return str(added["authenticatorId"])


def without_authenticator(page: Page, authenticator: str) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})


def password_step(page: Page, base: str) -> None:
    page.goto(f"{base}/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill("anna@musterstadt.example")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


@pytest.fixture
def passkey_site(live_server: Any, settings: Any) -> str:
    """Passkeys for the live server's origin (http://localhost:<port>, as WebAuthn wants)."""
    settings.MFA_REQUIRED = True
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")
    return str(live_server.url)


def test_an_administrator_adds_a_passkey_and_signs_in_with_it(
    browser: Browser, passkey_site: str, world: World
) -> None:
    # The portal's own CSP applies here: the library's scripts must run under it.
    page = new_page(browser, bypass_csp=False)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    with_authenticator(page)

    password_step(page, passkey_site)
    # Without a second factor an administrator is sent to set one up (after the e-mail link).
    open_enrolment_link(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Zwei-Faktor-Anmeldung einrichten")
    section = page.get_by_role("region", name="Passkey / Sicherheitsschlüssel")
    section.get_by_role("button", name="Passkey hinzufügen").click()

    # The first factor brings the recovery codes, as the authenticator app does.
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihre Wiederherstellungscodes")
    expect(page.get_by_text("Ihr Passkey wurde hinzugefügt")).to_be_visible()
    expect(page.get_by_role("list", name="Wiederherstellungscodes").locator("li")).to_have_count(10)
    page.get_by_role("link", name="Weiter zum Portal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Anna Amtmann")

    page.get_by_role("link", name="Zwei-Faktor-Anmeldung").click()
    table = page.get_by_role("table", name="Ihr Passkey")
    expect(table).to_contain_text("Passkey (Chrome, Linux)")
    expect(table).to_contain_text("nie")  # not used for a sign-in yet
    credential = WebAuthnCredential.objects.get(user=world.authority_admin)
    assert credential.credential_id_sha256 not in page.content()

    page.get_by_role("button", name="Abmelden").click()
    password_step(page, passkey_site)
    expect(page.get_by_role("heading", level=1)).to_have_text("Zwei-Faktor-Anmeldung")
    # A passkey alone, no app: the code field takes recovery codes.
    expect(page.get_by_label("Wiederherstellungscode")).to_be_visible()
    page.get_by_role("button", name="Mit Passkey bestätigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Anna Amtmann")
    # The session counts as signed in with a second factor: no detour to the set-up.
    page.goto(f"{passkey_site}/vorhaben/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Anbindungsvorhaben")
    credential.refresh_from_db()
    assert credential.last_used_at is not None
    assert problems == []


def test_the_passkey_pages_are_accessible_and_read_well_without_javascript(
    browser: Browser, passkey_site: str, world: World
) -> None:
    page = new_page(browser)
    laptop = with_authenticator(page)
    password_step(page, passkey_site)
    open_enrolment_link(page)
    expect(page.get_by_role("button", name="Passkey hinzufügen")).to_be_visible()
    assert_accessible(page, "mfa-setup-passkey")
    page.get_by_role("button", name="Passkey hinzufügen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihre Wiederherstellungscodes")

    # The same authenticator cannot be added twice; the page says so at the button.
    page.goto(f"{passkey_site}/konto/zwei-faktor/")
    page.get_by_role("button", name="Weiteren Passkey hinzufügen").click()
    expect(page.locator("#passkey-register-status-message")).to_contain_text(
        "bereits einen Passkey"
    )
    # A security key is a second one.
    without_authenticator(page, laptop)
    with_authenticator(page, transport="usb")
    page.get_by_role("button", name="Weiteren Passkey hinzufügen").click()
    expect(
        page.get_by_text("Sicherheitsschlüssel (Chrome, Linux) wurde hinzugefügt.")
    ).to_be_visible()
    table = page.get_by_role("table", name="Ihre 2 Passkeys")
    assert_accessible(page, "mfa-passkeys")

    table.get_by_role("link", name="Entfernen Passkey (Chrome, Linux)").click()
    dialog = page.get_by_role("dialog", name="Passkey (Chrome, Linux) entfernen?")
    expect(dialog).to_be_visible()
    text = dialog.locator("p").bounding_box()
    frame = dialog.bounding_box()
    assert text
    assert frame
    assert text["x"] + text["width"] <= frame["x"] + frame["width"]  # the text wraps inside
    assert_accessible(page, "passkey-remove-dialog")
    dialog.get_by_role("button", name="Passkey entfernen").click()
    expect(page.get_by_text("Passkey (Chrome, Linux) wurde entfernt.")).to_be_visible()
    # It had confirmed this session: the security key confirms it again.
    expect(page.get_by_text("bitte bestätigen Sie sie noch einmal")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mit dem zweiten Faktor bestätigen")
    page.get_by_role("button", name="Mit Passkey bestätigen").click()
    expect(page.get_by_text("Danke: Diese Sitzung ist bestätigt.")).to_be_visible()
    expect(page.get_by_role("table", name="Ihr Passkey")).to_contain_text("Sicherheitsschlüssel")

    page.get_by_role("button", name="Abmelden").click()
    password_step(page, passkey_site)
    expect(page.get_by_role("button", name="Mit Passkey bestätigen")).to_be_visible()
    assert_accessible(page, "second-factor-passkey")
    page.get_by_role("button", name="Mit Passkey bestätigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen, Anna Amtmann")

    quiet = new_page(browser, java_script_enabled=False)
    password_step(quiet, passkey_site)
    expect(quiet.get_by_role("heading", level=1)).to_have_text("Zwei-Faktor-Anmeldung")
    expect(
        quiet.get_by_text("Die Bestätigung mit einem Passkey braucht JavaScript.", exact=False)
    ).to_be_visible()
    expect(quiet.get_by_role("button", name="Mit Passkey bestätigen")).to_have_count(0)
    expect(quiet.get_by_label("Wiederherstellungscode")).to_be_visible()
