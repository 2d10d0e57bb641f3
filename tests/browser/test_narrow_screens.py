"""Every main page fits a 320 px screen (WCAG 1.4.10 Reflow): nothing scrolls sideways.

The onboarding carries what widened pages before: a sign-off (its record's fingerprint in the
activity list), a note and a comment with a 64-character word, a finished connection check
and a notification; step 2's heading is one long German compound.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page

from checklist import catalogue, services
from checklist.models import VerificationRun
from tests.browser.conftest import assert_accessible
from tests.browser.test_accessibility import sign_in
from tests.checklist.helpers import signed_off_test
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SLUG = "musterstadt-gewerbe"
LONG_WORD = "547866e1c0a9f3b2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b"  # 64 characters


def _busy_onboarding(world: World) -> int:
    """Bring the onboarding to a state with long words on every page; return a run's id."""
    signed_off_test(world.onboarding, world.provider_staff, world.authority_admin)
    item = catalogue.load().by_key()["step3.destination"]
    note = f"Fingerabdruck {LONG_WORD}"
    services.set_item_note(world.onboarding, item, note, world.provider_staff)
    services.add_comment(
        world.onboarding, item, f"@Clara Code bitte {LONG_WORD} prüfen", world.authority_admin
    )
    run = VerificationRun.objects.create(
        onboarding=world.onboarding,
        environment="test",
        started_by=world.provider_staff,
        status=VerificationRun.Outcome.FAILED,
        finished_at=timezone.now(),
        results=[
            {
                "check": "token",
                "title": "Zugangstoken (OAuth)",
                "status": "failed",
                "message": f"Anmeldung abgelehnt (HTTP 401) für {LONG_WORD}",
                "evidence": {"status": 401, "client_id": LONG_WORD},
                "details": [],
            }
        ],
    )
    return run.pk


def _too_wide(page: Page, base: str, paths: list[str]) -> list[str]:
    wide = []
    for path in paths:
        response = page.goto(f"{base}{path}")
        assert response is not None, path
        assert response.ok, path
        width = page.evaluate("document.documentElement.scrollWidth")
        viewport = page.evaluate("document.documentElement.clientWidth")
        if width > viewport:
            wide.append(f"{path}: {width} px for {viewport} px")
    return wide


@pytest.mark.parametrize(
    "email",
    [
        "anna@musterstadt.example",
        "bernd@musterstadt.example",
        "dieter@landkreis.example",
        "betrieb@portal.example",
        "kora@koordinierung.example",
    ],
)
def test_every_personas_home_fits_a_320_pixel_screen(
    browser: Browser, live_server: Any, world: World, email: str
) -> None:
    _busy_onboarding(world)
    page = sign_in(browser, live_server.url, email, viewport={"width": 320, "height": 640})
    assert _too_wide(page, live_server.url, ["/"]) == []


def test_the_service_providers_pages_fit_a_320_pixel_screen(
    browser: Browser, live_server: Any, world: World
) -> None:
    run = _busy_onboarding(world)
    narrow = {"width": 320, "height": 640}
    page = sign_in(browser, live_server.url, "clara@kommunal-it.example", viewport=narrow)
    onboarding = f"/vorhaben/{SLUG}"
    paths = [
        "/",
        "/vorhaben/",
        f"{onboarding}/",
        *(f"{onboarding}/schritt/{step}/" for step in range(1, 6)),
        f"{onboarding}/pruefungen/{run}/",
        f"{onboarding}/protokoll/",
        "/benachrichtigungen/",
        "/benachrichtigungen/einstellungen/",
        "/vorhaben/schluessel/",
    ]
    assert _too_wide(page, live_server.url, paths) == []
    # the step whose heading widened the page before, still accessible
    page.goto(f"{live_server.url}{onboarding}/schritt/2/")
    assert_accessible(page, "320px step 2")
