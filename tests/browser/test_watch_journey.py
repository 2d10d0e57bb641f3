"""The production watch in Chromium: the authority's clerk sees the red state on her home,
opens the Betrieb page and reads what FITKO will do on which day; the provider sees the
task. axe-core checks the Betrieb page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from fitconnect.sandbox import Sandbox
from tests.browser.conftest import assert_accessible
from tests.browser.test_notifications_journey import sign_in
from tests.conftest import World
from tests.watch.helpers import make_live
from watch.cycle import run_cycle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_red_watch_reaches_the_clerk_and_the_provider(
    browser: Browser, live_server: Any, world: World, sandbox: Sandbox, settings: Any
) -> None:
    settings.WATCH_RETRY_BACKOFF = 0
    base = live_server.url
    _, destination_id = make_live(world, sandbox)
    sandbox.add_waiting_submission(destination_id, 10)
    run_cycle(timezone.now())
    submitted = timezone.localdate() - timedelta(days=10)
    rejection = (submitted + timedelta(days=14)).strftime("%d.%m.%Y")
    deletion = (submitted + timedelta(days=21)).strftime("%d.%m.%Y")

    # Bernd, the authority's clerk: his home shows the connection as disrupted.
    bernd = sign_in(browser, base, "bernd@musterstadt.example")
    state = bernd.get_by_role("link", name="gestört (Gewerbeanmeldung)")
    expect(state).to_be_visible()
    state.click()
    expect(bernd.get_by_role("heading", level=1)).to_have_text("Betrieb")
    expect(bernd.locator("#watch-state")).to_contain_text("gestört")
    deadlines = bernd.locator("#watch-deadlines")
    expect(deadlines).to_contain_text(
        f"Am {rejection} weist der Zustelldienst die Einreichung zurück"
    )
    expect(deadlines).to_contain_text(f"Am {deletion} löscht der Zustelldienst die Einreichung")
    expect(bernd.get_by_role("heading", name="Wartende Einreichungen: gestört")).to_be_visible()
    assert_accessible(bernd, "Betrieb")

    # Clara, the provider's developer: the red watch is a task of hers.
    clara = sign_in(browser, base, "clara@kommunal-it.example")
    task = clara.get_by_role("link", name="Produktivanbindung gestört: bitte beheben")
    expect(task).to_be_visible()
    task.click()
    expect(clara.get_by_role("heading", level=1)).to_have_text("Betrieb")
    expect(clara.get_by_role("button", name="Ausfall erfassen")).to_be_visible()
