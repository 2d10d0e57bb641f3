"""The API's pages in the browser: the documentation and the organisation's API tokens."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import assert_accessible, new_page
from tests.browser.test_accessibility import sign_in
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_documentation_is_accessible_and_keeps_to_the_csp(
    browser: Browser, live_server: Any, world: World
) -> None:
    page = new_page(browser, bypass_csp=False)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.get_by_role("heading", level=1)).to_have_text("API für Pipelines")
    expect(page.locator("#op-startRun")).to_contain_text("/environments/{environment}/runs")
    assert violations == []
    page.context.close()
    checked = new_page(browser)
    checked.goto(f"{live_server.url}/api/v1/docs")
    assert_accessible(checked, "api-docs")


def test_an_administrator_creates_and_revokes_a_token(
    browser: Browser, live_server: Any, world: World
) -> None:
    anna = sign_in(browser, live_server.url, "anna@musterstadt.example")
    anna.goto(f"{live_server.url}/organisationen/{world.authority.pk}/")
    anna.get_by_role("link", name="API-Tokens verwalten").click()
    expect(anna.get_by_role("heading", level=1)).to_have_text("API-Tokens")
    anna.get_by_role("button", name="Token erstellen").click()
    expect(
        anna.locator(".kern-alert--danger, .kern-error-summary, [role=alert]").first
    ).to_be_visible()
    assert_accessible(anna, "api-tokens-errors")
    anna.get_by_label("Name").fill("Fachverfahren-CI")
    anna.get_by_label("Anbindungsvorhaben, Checklistenpunkte und Prüfergebnisse lesen").check()
    anna.get_by_role("button", name="Token erstellen").click()
    token = anna.get_by_label("Das neue Token")
    expect(token).to_have_value(re.compile(r"^fcap_"))
    assert_accessible(anna, "api-tokens-created")
    anna.get_by_role("button", name="Fachverfahren-CI widerrufen").click()
    expect(anna.locator("#messages")).to_contain_text("ist widerrufen")
    expect(anna.get_by_label("Das neue Token")).to_have_count(0)
