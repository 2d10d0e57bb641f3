""" "Konformität prüfen" in Chromium: the provider starts a conformance run against the
sandbox, the section shows it waiting for the worker, the worker runs it, and the page (by
polling) shows the table of every case with its verdict, marked as a rehearsal.

Tasks are queued in the database here, as in production, and the test runs the worker
itself; that needs PostgreSQL (see tests/browser/test_pdf_downloads.py).
"""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
from django.test import override_settings
from playwright.sync_api import Browser, expect

from checklist import services, verification
from checklist.models import ConformanceRun, EnvironmentRecord, FitConnectEnvironment
from fitconnect import demo
from fitconnect.conformance import CASE_ORDER
from fitconnect.sandbox import Sandbox, urls
from tests.browser.conftest import assert_accessible
from tests.browser.test_pdf_downloads import (
    DATABASE_TASKS,
    WORKER_BESIDE_SERVER,
    run_worker,
    sign_in,
)
from tests.checklist.helpers import complete_step_one, tick_step
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


def test_a_conformance_run_against_the_stage_is_evidence_of_the_sign_off_and_in_the_pdf(
    browser: Browser, live_server: Any, sandboxed: World, sandbox: Sandbox, settings: Any
) -> None:
    """The operator points FITKO's Test environment at the sandbox (as the journey does):
    a conformance run against it is not a rehearsal. All passed ticks the rejection item;
    the declaration rests on it, the approver reads it, the PDF carries its cases."""
    settings.FITCONNECT_CONFORMANCE_POLL = 0.1
    onboarding = sandboxed.onboarding
    endpoints = urls(sandbox.base)
    FitConnectEnvironment.objects.filter(key="test").update(
        token_url=endpoints["token_url"],
        submission_base=endpoints["submission_base"],
        routing_base=endpoints["routing_base"],
        ssp_jwks_url=endpoints["ssp_jwks_url"],
        self_signed_allowed=True,
        allow_private_addresses=True,
    )
    stand_in = EnvironmentRecord.objects.get(onboarding=onboarding, environment="sandbox")
    services.save_environment_record(
        EnvironmentRecord(
            onboarding=onboarding,
            environment="test",
            **{name: getattr(stand_in, name) for name in EnvironmentRecord.RECORDED_FIELDS},
        ),
        sandboxed.provider_staff,
    )
    verification.store_secret(
        onboarding,
        "test",
        "sender",
        demo.SENDER_CLIENT_SECRET,
        sandboxed.provider_staff,
        client_id=demo.SENDER_CLIENT_ID,
    )
    complete_step_one(onboarding)
    tick_step(onboarding, 2, sandboxed.provider_staff)
    tick_step(onboarding, 3, sandboxed.provider_staff)  # a passed connection check
    with override_settings(TASKS=DATABASE_TASKS):
        clara, downloads = sign_in(browser, live_server.url, "clara@kommunal-it.example")
        clara.goto(f"{live_server.url}/vorhaben/{SLUG}/schritt/3/#konformitaet")
        section = clara.locator("#conformance-test")
        section.get_by_role("button", name="Konformitätsprüfung starten").click()
        # the page shows the run once the start is committed and its task queued
        expect(section.locator(".portal-conformance-run")).to_contain_text(
            "Konformitätsprüfung läuft"
        )
        run_worker()
        run = ConformanceRun.objects.get()
        assert (run.status, run.rehearsal) == (ConformanceRun.Outcome.PASSED, False)
        clara.reload()
        expect(clara.locator("#item-step3-reject")).to_contain_text("Erledigt")
        expect(clara.locator("#abnahme")).to_contain_text(
            "Belegt durch die Konformitätsprüfung vom"
        )
        clara.get_by_role("button", name="Test als bereit zur Abnahme erklären").click()
        expect(clara.locator("#abnahme")).to_contain_text("Bereit zur Abnahme")

        bernd, _bernd_downloads = sign_in(browser, live_server.url, "bernd@musterstadt.example")
        bernd.goto(f"{live_server.url}/vorhaben/{SLUG}/schritt/3/")
        evidence = bernd.locator("#abnahme")
        expect(evidence).to_contain_text(
            "Zurückweisung einer Einreichung testen: Belegt durch die Konformitätsprüfung vom"
        )
        expect(evidence.locator(".portal-evidence-conformance")).to_contain_text(
            "Konformitätsprüfung vom"
        )
        expect(evidence).to_contain_text("falscher Hashwert der Fachdaten")
        assert_accessible(bernd, "signoff-with-conformance")

        clara.goto(f"{live_server.url}/vorhaben/{SLUG}/")
        downloads.clear()
        clara.get_by_role("link", name="Checkliste als PDF herunterladen").click()
        with clara.expect_download() as started:
            run_worker()  # the page polls and starts the download once it is ready
        text = subprocess.run(
            ["pdftotext", str(started.value.path()), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        flat = re.sub(r"\s+", " ", text)
        assert "Belegt durch die Konformitätsprüfung vom" in flat
        assert "falscher Hashwert der Fachdaten" in flat
