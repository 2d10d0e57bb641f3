"""Results tick honestly: only ok ticks, only an answered contradiction reopens, with evidence.

Here an operator has pointed FITKO's own "test" environment at the local sandbox (visibly:
the panel names the foreign host, every run records it), so runs tick the Test items; the
sandbox environment itself only rehearses (tests/checklist/test_verification.py).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from django.test import Client
from django.urls import reverse

from checklist.models import (
    AuditEvent,
    EnvironmentRecord,
    FitConnectEnvironment,
    ItemState,
    VerificationRun,
)
from fitconnect import demo
from fitconnect.sandbox import Sandbox, urls
from tests.checklist.test_verification import FORM, SLUG, provider
from tests.conftest import World

CHECK_ITEMS = (
    "step3.token",
    "step3.destination",
    "step3.keys",
    "step3.submission",
    "step3.callback",
    "step3.routing",
)


def point_test_at(base: str, **changes: str) -> None:
    endpoints = urls(base)
    FitConnectEnvironment.objects.filter(key="test").update(
        token_url=endpoints["token_url"],
        submission_base=endpoints["submission_base"],
        routing_base=endpoints["routing_base"],
        ssp_jwks_url=endpoints["ssp_jwks_url"],
        allow_private_addresses=True,
        **changes,
    )


@pytest.fixture
def test_at_sandbox(world: World, sandbox: Sandbox, settings: Any) -> World:
    """FITKO's test environment, repointed at the sandbox by an operator, and recorded."""
    settings.FITCONNECT_SUBMISSION_TIMEOUT = 10
    point_test_at(sandbox.base)
    onboarding = world.onboarding
    leistung = onboarding.leistungen.get()
    leistung.reply_email, leistung.email_pgp, leistung.reply_elster = True, True, True
    leistung.save()
    onboarding.metadata_versions = list(demo.METADATA_VERSIONS)
    onboarding.save()
    EnvironmentRecord.objects.create(
        onboarding=onboarding,
        environment="test",
        client_id=demo.SUBSCRIBER_CLIENT_ID,
        destination_id=demo.DESTINATION_ID,
        encryption_kid=demo.ENCRYPTION_KID,
        signature_kid=demo.SIGNATURE_KID,
        callback_url=urls(sandbox.base)["callback_url"],
    )
    return world


def run(world: World) -> VerificationRun:
    provider(world).post(reverse("verify_start", args=[SLUG, "test"]), FORM)
    run = VerificationRun.objects.first()
    assert run is not None
    return run


def done(world: World) -> dict[str, bool]:
    states = ItemState.objects.filter(onboarding=world.onboarding, key__in=CHECK_ITEMS)
    return {state.key: state.done for state in states}


def test_a_passing_run_ticks_the_items_and_names_the_hosts_it_called(
    test_at_sandbox: World, sandbox: Sandbox
) -> None:
    page = provider(test_at_sandbox).get(reverse("step", args=[SLUG, 3])).content.decode()
    host = httpx.URL(sandbox.base).netloc.decode()
    assert f"Hosts gerichtet, die nicht der FITKO gehören: {host}" in page  # visibly repointed
    first = run(test_at_sandbox)
    assert first.status == "ok"
    assert not first.rehearsal
    assert first.hosts == [host]
    assert first.api_version == "v1"
    assert done(test_at_sandbox) == dict.fromkeys(CHECK_ITEMS, True)
    page = provider(test_at_sandbox).get(reverse("step", args=[SLUG, 3])).content.decode()
    assert f"gegen {host}" in page  # the sign-off section names the evidence's hosts


def test_a_dns_failure_after_a_passing_run_leaves_every_item_ticked(
    test_at_sandbox: World, sandbox: Sandbox
) -> None:
    run(test_at_sandbox)
    before = AuditEvent.objects.count()
    # .invalid never resolves (RFC 2606): no answer from FIT-Connect, no verdict on the items.
    point_test_at("http://fit-connect.invalid")
    failed = run(test_at_sandbox)
    assert failed.status == "failed"
    assert all(not r["conclusive"] for r in failed.results if r["status"] == "failed")
    assert done(test_at_sandbox) == dict.fromkeys(CHECK_ITEMS, True)
    assert not AuditEvent.objects.filter(action="item_unticked").exists()
    assert AuditEvent.objects.count() == before + 1  # only "connection checked"
    page = provider(test_at_sandbox).get(reverse("verify_run", args=[SLUG, failed.pk]))
    assert "bleibt daher, wie er war" in page.content.decode()


def test_a_5xx_after_a_passing_run_leaves_every_item_ticked(
    test_at_sandbox: World, sandbox: Sandbox
) -> None:
    run(test_at_sandbox)
    point_test_at(f"{sandbox.base}/fault/500")
    assert run(test_at_sandbox).status == "failed"
    assert done(test_at_sandbox) == dict.fromkeys(CHECK_ITEMS, True)


def test_a_warning_ticks_nothing(test_at_sandbox: World, sandbox: Sandbox) -> None:
    # No route yet: in the test stage a warning with the support hint, never a tick.
    FitConnectEnvironment.objects.filter(key="test").update(
        routing_base=urls(f"{sandbox.base}/fault/no-route")["routing_base"]
    )
    warned = run(test_at_sandbox)
    assert {r["check"]: r["status"] for r in warned.results}["routing"] == "warning"
    ticked = done(test_at_sandbox)
    assert not ticked["step3.routing"]
    assert all(ticked[key] for key in CHECK_ITEMS if key != "step3.routing")


def test_a_contradicting_answer_reopens_the_item_and_the_audit_names_the_run(
    test_at_sandbox: World, sandbox: Sandbox
) -> None:
    run(test_at_sandbox)
    # FIT-Connect answers 401: the stored client secret is wrong, the token item is not true.
    FitConnectEnvironment.objects.filter(key="test").update(
        token_url=urls(f"{sandbox.base}/fault/401")["token_url"]
    )
    contradicted = run(test_at_sandbox)
    assert not done(test_at_sandbox)["step3.token"]
    (reopened,) = AuditEvent.objects.filter(action="item_unticked", subject="item:step3.token")
    assert reopened.actor is None  # not the person who pressed the button ...
    assert reopened.run == contradicted  # ... but the run they started
    trail = provider(test_at_sandbox).get(reverse("audit_trail", args=[SLUG])).content.decode()
    assert re.search(r"Verbindungsprüfung vom [\d.]+, [\d:]+ \(gestartet von Clara Code\)", trail)


def test_the_page_updates_badge_and_sign_off_prerequisites_when_a_run_ends(
    test_at_sandbox: World,
) -> None:
    client = provider(test_at_sandbox)
    hx = {"hx-request": "true"}
    html = client.post(reverse("verify_start", args=[SLUG, "test"]), FORM, headers=hx).content
    html_text = html.decode()  # the worker ran the checks at once (tests: immediate tasks)
    assert "portal-result--summary" in html_text
    assert re.search(
        r'<p class="portal-status-line" id="step-status" hx-swap-oob="true">', html_text
    )
    assert re.search(r'<section id="abnahme"[^>]*hx-swap-oob="true">', html_text)
    # Step 3's required check items are ticked now: the declare button replaces the list.
    signoff = html_text[html_text.index('<section id="abnahme"') :]
    assert "Test als bereit zur Abnahme erklären" in signoff


def test_an_authority_reader_sees_the_hosts_in_the_pdf(
    test_at_sandbox: World, tmp_path: Any
) -> None:
    import subprocess

    from checklist import export

    checked = run(test_at_sandbox)
    target = tmp_path / "record.pdf"
    target.write_bytes(export.export_record(test_at_sandbox.onboarding))
    text = subprocess.run(
        ["pdftotext", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    assert f"gegen {checked.hosts[0]}" in flat
    assert "Abgehakt durch die Prüfung vom" in flat


def test_results_render_in_the_readers_language(test_at_sandbox: World) -> None:
    checked = run(test_at_sandbox)  # run by a German-speaking provider
    reader = Client()
    reader.force_login(test_at_sandbox.authority_staff)
    reader.post(reverse("set_language"), {"language": "en"})
    page = reader.get(reverse("verify_run", args=[SLUG, checked.pk])).content.decode()
    assert "The destination is active and matches all recorded data." in page
    assert "Der Zustellpunkt ist aktiv" not in page


def test_a_sign_off_a_run_invalidates_names_the_run(
    test_at_sandbox: World, sandbox: Sandbox
) -> None:
    from checklist import catalogue, services
    from checklist.models import Environment, SignOff
    from checklist.signoff import approve, declare_ready

    run(test_at_sandbox)
    onboarding = test_at_sandbox.onboarding
    for item in catalogue.load().for_step(3):
        if item.kind.tickable and not done(test_at_sandbox).get(item.key):
            services.set_item_done(onboarding, item, True, test_at_sandbox.provider_staff)
    declare_ready(onboarding, Environment.TEST, test_at_sandbox.provider_staff)
    approve(onboarding, Environment.TEST, test_at_sandbox.authority_staff)
    FitConnectEnvironment.objects.filter(key="test").update(
        token_url=urls(f"{sandbox.base}/fault/401")["token_url"]
    )
    contradicted = run(test_at_sandbox)
    assert SignOff.objects.get(state="approved").invalidated_at is not None
    (invalidated,) = AuditEvent.objects.filter(action="signoff_invalidated")
    assert invalidated.actor is None
    assert invalidated.run == contradicted
