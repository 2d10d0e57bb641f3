"""Playwright with Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

# The OpenID Connect provider (oidc-provider) for test_single_sign_on.py.
from tests.sso.conftest import START_TIMES, identity_provider, idp  # noqa: F401

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Every page the browser tests checked with axe-core, for the report at the end.
CHECKED_PAGES: set[str] = set()


class AccessibilityViolation(AssertionError):
    """axe-core found WCAG 2.x A/AA violations on a page."""


def assert_accessible(page: Page, name: str) -> None:
    """Run axe-core on the page; fail on any violation tagged WCAG 2.0/2.1/2.2 A or AA."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_SOURCE)  # the test contexts bypass the CSP for this
    result = page.evaluate(
        "async (tags) => await axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    CHECKED_PAGES.add(name)
    violations = result["violations"]
    if violations:
        lines = [
            f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:5]}"
            for v in violations
        ]
        raise AccessibilityViolation(f"{name} ({page.url}):\n" + "\n".join(lines))


def new_page(browser: Browser, **options: object) -> Page:
    """A page in its own context (its own person), German, CSP bypassed only for axe."""
    settings: dict[str, object] = {
        "locale": "de-DE",
        "viewport": {"width": 1280, "height": 900},
        "bypass_csp": True,
    }
    context = browser.new_context(**(settings | options))  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        message = (
            "Chromium is missing: install it with 'apt-get install chromium' (make test does)."
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = new_page(browser)
    context = page.context
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if START_TIMES:
        times = ", ".join(f"{seconds:.2f} s" for seconds in START_TIMES)
        terminalreporter.write_line(f"oidc-provider answered its discovery document after {times}")
    if CHECKED_PAGES:
        terminalreporter.write_line(
            f"axe-core checked {len(CHECKED_PAGES)} pages: {', '.join(sorted(CHECKED_PAGES))}"
        )


def open_enrolment_link(page: Page, accessible_as: str = "") -> None:
    """On the set-up page of an account without a second factor (``MFA_REQUIRED``): ask for
    the link, find it in the e-mail and open it in the same browser, as the person does."""
    import re

    from django.core import mail

    expect(page.get_by_role("heading", level=1)).to_have_text("Zwei-Faktor-Anmeldung einrichten")
    if accessible_as:
        assert_accessible(page, accessible_as)
    sent = len(mail.outbox)
    page.get_by_role("button", name="Link senden").click()
    expect(page.get_by_text("Wir haben einen Link an")).to_be_visible()
    assert len(mail.outbox) == sent + 1
    found = re.search(r"http://\S+/konto/zwei-faktor/bestaetigen/\S+/", mail.outbox[-1].body)
    assert found is not None, mail.outbox[-1].body
    page.goto(found.group(0))
    expect(page.get_by_text("Ihre E-Mail-Adresse ist bestätigt")).to_be_visible()
