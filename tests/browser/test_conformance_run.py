""" "Konformität prüfen" in Chromium: the provider starts a conformance run against the
sandbox, the section shows it waiting for the worker, the worker runs it, and the page (by
polling) shows the table of every case with its verdict, marked as a rehearsal.

Tasks are queued in the database here, as in production, and the test runs the worker
itself; that needs PostgreSQL (see tests/browser/test_pdf_downloads.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from playwright.sync_api import Browser, expect

from checklist.models import ConformanceRun
from fitconnect.conformance import CASE_ORDER
from fitconnect.sandbox import Sandbox
from tests.browser.conftest import assert_accessible
from tests.browser.test_pdf_downloads import (
    DATABASE_TASKS,
    WORKER_BESIDE_SERVER,
    run_worker,
    sign_in,
)
from tests.checklist.test_conformance_command import store_sender
from tests.checklist.test_verification import SLUG, sandboxed
from tests.conftest import World

__all__ = ["sandboxed"]  # the fixture, used by name
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), WORKER_BESIDE_SERVER]


def test_the_provider_starts_a_conformance_run_and_reads_the_table(
    browser: Browser, live_server: Any, sandboxed: World, sandbox: Sandbox, settings: Any
) -> None:
    settings.FITCONNECT_CONFORMANCE_POLL = 0.1
    store_sender(sandboxed)
    with override_settings(TASKS=DATABASE_TASKS):
        clara, _downloads = sign_in(browser, live_server.url, "clara@kommunal-it.example")
        clara.goto(f"{live_server.url}/vorhaben/{SLUG}/schritt/3/#konformitaet")
        section = clara.locator("#conformance-sandbox")
        expect(section).to_contain_text("Probeläufe")
        section.get_by_role("button", name="Konformitätsprüfung starten").click()
        box = section.locator(".portal-conformance-run")
        expect(box).to_contain_text("Konformitätsprüfung läuft: 0 von 11 Fällen beantwortet")
        expect(box.locator("progress")).to_be_visible()
        expect(box.locator(".portal-case--pending")).to_have_count(len(CASE_ORDER))
        assert_accessible(clara, "conformance-waiting")
        run_worker()  # sends every case and waits for the sandbox's answers
        assert ConformanceRun.objects.get().status == ConformanceRun.Outcome.PASSED
        expect(box).to_contain_text("Alle Fälle bestanden", timeout=20_000)
        expect(box).to_contain_text("Probelauf")
        rows = box.locator(".portal-case--passed")
        expect(rows).to_have_count(len(CASE_ORDER))
        hash_row = box.locator('[data-case="data_hash"]')
        expect(hash_row).to_contain_text("falscher Hashwert der Fachdaten")
        expect(hash_row).to_contain_text("reject-submission")
        expect(hash_row).to_contain_text("bestanden")
        assert_accessible(clara, "conformance-table")
        box.get_by_role("link", name="Alle Nachweise dieser Konformitätsprüfung").click()
        expect(clara.get_by_role("heading", level=1)).to_contain_text("Konformitätsprüfung")
        expect(clara.locator("table")).to_contain_text("falscher Hashwert der Fachdaten")
        assert_accessible(clara, "conformance-run")
