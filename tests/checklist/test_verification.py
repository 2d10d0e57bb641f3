"""The "Verbindung prüfen" panel, stored secrets, bound checklist items and the command."""

from __future__ import annotations

import io
import logging
import re
from typing import Any

import httpx
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from checklist import secrets, summary
from checklist.models import (
    AuditEvent,
    EnvironmentRecord,
    FitConnectEnvironment,
    ItemState,
    Leistung,
    StoredSecret,
    VerificationRun,
)
from fitconnect import demo
from fitconnect.messages import render
from fitconnect.sandbox import Sandbox, urls
from tests.conftest import World

SLUG = "musterstadt-gewerbe"
SECRETS = (demo.SUBSCRIBER_CLIENT_SECRET, demo.SENDER_CLIENT_SECRET, demo.CALLBACK_SECRET)
FORM = {
    "subscriber_secret": demo.SUBSCRIBER_CLIENT_SECRET,
    "sender_id": demo.SENDER_CLIENT_ID,
    "sender_secret": demo.SENDER_CLIENT_SECRET,
    "callback_secret": demo.CALLBACK_SECRET,
    "handling": "once",
}


@pytest.fixture
def sandboxed(world: World, sandbox: Sandbox, settings: Any, base: str = "") -> World:
    """Point the Sandbox environment at the test sandbox and record its demo destination."""
    settings.FITCONNECT_SUBMISSION_TIMEOUT = 10
    point_sandbox_at(sandbox.base)
    onboarding = world.onboarding
    onboarding.leistungen.all().delete()
    for service in demo.SERVICES:
        channels = service["reply_channels"]
        Leistung.objects.create(
            onboarding=onboarding,
            key=service["key"],
            name=service["name"],
            schema_kind="fim",
            schema_uri=service["schema_uri"],
            mime_type=service["mime_type"],
            regions=list(demo.REGIONS),
            reply_email="eMail" in channels,
            email_pgp=channels.get("eMail", {}).get("usePgp", False),
            reply_elster="elster" in channels,
        )
    onboarding.metadata_versions = list(demo.METADATA_VERSIONS)
    onboarding.save()
    EnvironmentRecord.objects.create(
        onboarding=onboarding,
        environment="sandbox",
        client_id=demo.SUBSCRIBER_CLIENT_ID,
        destination_id=demo.DESTINATION_ID,
        encryption_kid=demo.ENCRYPTION_KID,
        signature_kid=demo.SIGNATURE_KID,
        callback_url=urls(sandbox.base)["callback_url"],
    )
    summary.store(onboarding)  # rows written directly: derive the stored summary here
    return world


def point_sandbox_at(base: str, token_base: str | None = None) -> None:
    endpoints = urls(base)
    FitConnectEnvironment.objects.update_or_create(
        key="sandbox",
        defaults={
            "token_url": urls(token_base or base)["token_url"],
            "submission_base": endpoints["submission_base"],
            "routing_base": endpoints["routing_base"],
            "ssp_jwks_url": endpoints["ssp_jwks_url"],
            "self_signed_allowed": True,
            "allow_private_addresses": True,
        },
    )


def provider(world: World) -> Client:
    client = Client()
    client.force_login(world.provider_staff)
    return client


def test_a_sandbox_run_is_a_rehearsal_that_passes_and_keeps_evidence_but_ticks_nothing(
    sandboxed: World, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = provider(sandboxed).post(
            reverse("verify_start", args=[SLUG, "sandbox"]), FORM, follow=True
        )
    html = response.content.decode()
    assert "Alle Prüfungen bestanden" in html
    run = VerificationRun.objects.get()
    assert run.status == "ok"
    assert [r["check"] for r in run.results] == [
        "token",
        "destination",
        "keys",
        "jwks",
        "routing",
        "submission",
        "callback",
    ]
    states = {
        s.key: s
        for s in ItemState.objects.filter(onboarding=sandboxed.onboarding, key__startswith="step3.")
    }
    # "Sandbox runs are rehearsals": no Test item ticks, so none counts for a sign-off.
    assert not any(state.done for state in states.values())
    assert "Abgehakt durch die Verbindungsprüfung" not in html
    assert run.rehearsal
    assert run.hosts == [httpx.URL(sandbox.base).netloc.decode()]
    assert "ist ein Probelauf" in html  # the panel says so before anyone runs it
    assert "Probelauf: hakt keinen Punkt der Checkliste ab" in html
    assert not AuditEvent.objects.filter(action__in=["item_ticked", "item_unticked"]).exists()
    assert not StoredSecret.objects.exists()  # "nur für diese Prüfung"
    # secrets appear nowhere: not in the page, the run, the audit trail or the log
    evidence = repr(run.results) + html + caplog.text
    evidence += repr(list(AuditEvent.objects.values_list("old_value", "new_value")))
    for secret in SECRETS:
        assert secret not in evidence


def test_stored_secrets_are_encrypted_reused_and_never_shown(sandboxed: World) -> None:
    client = provider(sandboxed)
    client.post(reverse("verify_start", args=[SLUG, "sandbox"]), FORM | {"handling": "store"})
    stored = StoredSecret.objects.get(kind="subscriber")
    assert demo.SUBSCRIBER_CLIENT_SECRET not in stored.ciphertext
    assert secrets.decrypt(stored.ciphertext) == demo.SUBSCRIBER_CLIENT_SECRET
    assert StoredSecret.objects.get(kind="sender").client_id == demo.SENDER_CLIENT_ID
    page = client.get(reverse("step", args=[SLUG, 3])).content.decode()
    assert "Verschlüsselt gespeichert am" in page
    for secret in SECRETS:
        assert secret not in page
    # a second run needs no typing at all
    client.post(reverse("verify_start", args=[SLUG, "sandbox"]), {"handling": "once"})
    assert VerificationRun.objects.first().status == "ok"  # type: ignore[union-attr]
    client.post(reverse("secret_delete", args=[SLUG, "sandbox", "subscriber"]))
    assert not StoredSecret.objects.filter(kind="subscriber").exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditEvent.Action.SECRET_STORED, AuditEvent.Action.SECRET_DELETED} <= actions


def test_without_a_secret_the_form_says_what_is_missing(sandboxed: World) -> None:
    response = provider(sandboxed).post(
        reverse("verify_start", args=[SLUG, "sandbox"]), {"handling": "once"}
    )
    assert 'id="id_subscriber_secret_error"' in response.content.decode()
    assert not VerificationRun.objects.exists()


def test_the_run_goes_to_the_worker_and_the_panel_polls_a_bar_per_check(
    sandboxed: World,
) -> None:
    from checklist import verification
    from checklist.models import FitConnectEnvironment

    client = provider(sandboxed)
    hx = {"hx-request": "true"}
    # A run the worker has not taken yet, with the secrets typed for it.
    run = verification.start_run(
        sandboxed.onboarding,
        FitConnectEnvironment.objects.get(key="sandbox"),
        sandboxed.provider_staff,
        provided={k: v for k, v in FORM.items() if k != "handling"},
    )
    for secret in SECRETS:
        assert secret not in run.secrets_ciphertext  # kept for the worker, encrypted
    progress = reverse("verify_progress", args=[SLUG, run.pk])
    html = client.get(progress, headers=hx).content.decode()
    assert f'hx-get="{progress}?seen=0" hx-trigger="every 1s"' in html
    assert html.count("<progress") == 7  # one bar per check
    assert "wird geprüft" in html
    assert client.get(progress, {"seen": "0"}, headers=hx).status_code == 204  # nothing new
    # Without JavaScript the step page shows the same progress on every reload.
    page = client.get(reverse("step", args=[SLUG, 3])).content.decode()
    assert "0 von 7 Prüfungen erledigt" in page
    verification.execute_run(run.pk)  # what the background worker does
    html = client.get(progress, {"seen": "0"}, headers=hx).content.decode()
    assert "hx-trigger" not in html.split("</ol>")[0]  # finished: no more polling
    assert "portal-result--summary" in html
    assert 'hx-swap-oob="true"' in html  # ticked items and progress update in place
    run.refresh_from_db()
    assert run.status == "ok"
    assert run.secrets_ciphertext == ""  # the typed secrets are gone with the run's end
    for secret in SECRETS:
        assert secret not in html


def test_no_request_waits_for_fit_connect(sandboxed: World, settings: Any) -> None:
    """With a real queue the form post only stores the run; the worker does the checks."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    response = provider(sandboxed).post(
        reverse("verify_start", args=[SLUG, "sandbox"]), FORM, headers={"hx-request": "true"}
    )
    run = VerificationRun.objects.get()
    assert run.results == []
    assert run.finished_at is None
    assert "wird geprüft" in response.content.decode()


def test_an_unexpected_error_in_one_check_still_finishes_the_run(
    sandboxed: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from dataclasses import replace

    from fitconnect.checks import REGISTRY

    def broken(*args: object) -> None:
        raise RuntimeError("a bug in the check")

    monkeypatch.setitem(REGISTRY, "jwks", replace(REGISTRY["jwks"], run=broken))
    with caplog.at_level(logging.ERROR, logger="fitconnect.checks"):
        response = provider(sandboxed).post(
            reverse("verify_start", args=[SLUG, "sandbox"]), FORM, follow=True
        )
    assert response.status_code == 200
    run = VerificationRun.objects.get()
    assert run.finished_at is not None
    assert run.status == "failed"
    by_check = {r["check"]: r for r in run.results}
    assert list(by_check) == [
        "token",
        "destination",
        "keys",
        "jwks",
        "routing",
        "submission",
        "callback",
    ]
    jwks = by_check.pop("jwks")
    assert jwks["status"] == "failed"
    reference = jwks["evidence"]["reference"]
    assert jwks["message"]["code"] == "run.unexpected_error"  # stored as a code ...
    assert jwks["message"]["params"] == {"reference": reference}  # ... with its parameters
    assert f"unerwarteten Fehlers abgebrochen. Referenz: {reference}" in render(jwks["message"])
    assert {r["status"] for r in by_check.values()} == {"ok"}
    assert reference in response.content.decode()
    assert reference in caplog.text
    for secret in SECRETS:
        assert secret not in caplog.text


ACCOUNT_PAGE = "https://docs.fitko.de/fit-connect/docs/getting-started/account/"


def test_a_failed_check_shows_how_to_fix_it_as_links(sandboxed: World, sandbox: Sandbox) -> None:
    point_sandbox_at(sandbox.base, token_base=f"{sandbox.base}/fault/401")
    client = provider(sandboxed)
    hx = {"hx-request": "true"}
    step = client.post(
        reverse("verify_start", args=[SLUG, "sandbox"]), FORM, headers=hx
    ).content.decode()
    run = VerificationRun.objects.get()
    detail = client.get(reverse("verify_run", args=[SLUG, run.pk])).content.decode()
    for page in (step, detail):  # the live step and the run's evidence page
        fixes = re.search(
            r'<p class="kern-body" id="(fixes-[^"]+)"><strong>So beheben Sie das:</strong></p>\s*'
            r'<ul class="kern-list kern-list--bullet" aria-labelledby="\1">(.*?)</ul>',
            page,
            re.DOTALL,
        )
        assert fixes is not None, page
        assert (
            f'<li><a class="kern-link" href="{ACCOUNT_PAGE}" hreflang="de">Prüfen Sie im '
            "Self-Service-Portal die Client-ID und das Client-Secret für den Subscriber-Client. "
            "(FIT-Connect-Dokumentation)</a></li>"
        ) in fixes.group(2)
    assert run.results[0]["fixes"][0]["url"] == ACCOUNT_PAGE


def test_results_stored_before_fix_links_existed_still_render(sandboxed: World) -> None:
    run = VerificationRun.objects.create(
        onboarding=sandboxed.onboarding,
        environment="sandbox",
        status=VerificationRun.Outcome.FAILED,
        results=[
            {
                "check": "token",
                "title": "Zugangstoken (OAuth)",
                "status": "failed",
                "message": "Anmeldung abgelehnt (HTTP 401)",
                "evidence": {"status": 401},
                "details": [],
            }
        ],
    )
    VerificationRun.objects.filter(pk=run.pk).update(finished_at=run.started_at)
    client = provider(sandboxed)
    for url in (
        reverse("verify_run", args=[SLUG, run.pk]),
        reverse("step", args=[SLUG, 3]),  # the last run under the panel
    ):
        page = client.get(url).content.decode()
        assert "Anmeldung abgelehnt (HTTP 401)" in page
        assert "So beheben Sie das" not in page


def test_the_authority_sees_results_but_cannot_run_checks(sandboxed: World) -> None:
    provider(sandboxed).post(reverse("verify_start", args=[SLUG, "sandbox"]), FORM)
    authority = Client()
    authority.force_login(sandboxed.authority_staff)
    page = authority.get(reverse("step", args=[SLUG, 3])).content.decode()
    assert "Letzte Prüfung am" in page
    assert reverse("verify_start", args=[SLUG, "sandbox"]) not in page
    assert authority.post(reverse("verify_start", args=[SLUG, "sandbox"]), FORM).status_code == 403
    run = VerificationRun.objects.get()
    assert authority.get(reverse("verify_run", args=[SLUG, run.pk])).status_code == 200


def test_command_prints_each_check_and_exits_non_zero_on_a_fault(
    sandboxed: World, sandbox: Sandbox
) -> None:
    from checklist import verification

    for kind, secret in (
        ("subscriber", demo.SUBSCRIBER_CLIENT_SECRET),
        ("sender", demo.SENDER_CLIENT_SECRET),
        ("callback", demo.CALLBACK_SECRET),
    ):
        verification.store_secret(
            sandboxed.onboarding,
            "sandbox",
            kind,
            secret,
            sandboxed.provider_staff,
            client_id=demo.SENDER_CLIENT_ID if kind == "sender" else "",
        )
    out = io.StringIO()
    call_command("verify_onboarding", SLUG, "--environment", "sandbox", stdout=out)
    lines = out.getvalue().splitlines()
    assert len([line for line in lines if line.startswith("✔ ok")]) == 7
    for secret in SECRETS:
        assert secret not in out.getvalue()
    point_sandbox_at(f"{sandbox.base}/fault/500")
    faulty = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("verify_onboarding", SLUG, "--environment", "sandbox", stdout=faulty)
    assert error.value.returncode == 1
    assert "→ Versuchen Sie es später noch einmal." in faulty.getvalue()  # a fix and its link
    assert "https://docs.fitko.de/fit-connect/contact/" in faulty.getvalue()
    json_out = io.StringIO()
    point_sandbox_at(sandbox.base)
    call_command(
        "verify_onboarding",
        str(sandboxed.onboarding.pk),
        "--environment",
        "sandbox",
        "--json",
        stdout=json_out,
    )
    assert '"status": "ok"' in json_out.getvalue()


def test_command_refuses_unknown_onboardings_and_unrecorded_environments(world: World) -> None:
    with pytest.raises(CommandError, match="no onboarding"):
        call_command("verify_onboarding", "gibt-es-nicht", "--environment", "test")
    with pytest.raises(CommandError, match="no client ID"):
        call_command("verify_onboarding", SLUG, "--environment", "test")


def test_each_environment_checks_against_its_fitko_stage(world: World) -> None:
    from checklist import verification
    from checklist.demo import ensure_sandbox_environment
    from checklist.models import FitConnectEnvironment

    ensure_sandbox_environment("http://127.0.0.1:8765")
    stages = {
        env.key: verification.target_for(env).stage for env in FitConnectEnvironment.objects.all()
    }
    assert stages == {
        "test": "test",
        "reference": "reference",
        "production": "production",
        "sandbox": "test",
    }


def test_production_panel_offers_read_only_checks(world: World) -> None:
    page = provider(world).get(reverse("step", args=[SLUG, 5])).content.decode()
    assert "nur lesende Prüfungen" in page
    assert 'name="sender_secret"' not in page


def test_pdf_shows_the_last_run_without_secrets(sandboxed: World, tmp_path: Any) -> None:
    import subprocess

    from checklist import export

    provider(sandboxed).post(reverse("verify_start", args=[SLUG, "sandbox"]), FORM)
    target = tmp_path / "record.pdf"
    target.write_bytes(export.export_record(sandboxed.onboarding))
    text = subprocess.run(
        ["pdftotext", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Letzte Verbindungsprüfungen" in text
    assert "Testeinreichung" in text
    for secret in SECRETS:
        assert secret not in text


def test_error_pages_logs_and_error_reports_never_show_the_secrets(
    sandboxed: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import sys

    from django.views.debug import ExceptionReporter

    from checklist import verification

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(verification, "start_run", broken)
    client = Client(raise_request_exception=False)
    client.force_login(sandboxed.provider_staff)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post(reverse("verify_start", args=[SLUG, "sandbox"]), FORM)
    assert response.status_code == 500
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is not None
    # What the admins' error e-mail would contain (Django's filtered exception report)
    report = ExceptionReporter(record.request, *record.exc_info).get_traceback_text()  # type: ignore[attr-defined]
    assert "database went away" in report
    assert "subscriber_secret" in report  # the field is named ...
    for secret in SECRETS:  # ... but its value is replaced
        assert secret not in report
        assert secret not in response.content.decode()
        assert secret not in caplog.text
    assert sys.exc_info()[0] is None


def test_admin_shows_environments_and_never_a_stored_secret(sandboxed: World) -> None:
    from checklist import verification

    verification.store_secret(
        sandboxed.onboarding,
        "sandbox",
        "subscriber",
        demo.SUBSCRIBER_CLIENT_SECRET,
        sandboxed.provider_staff,
    )
    operator = Client()
    operator.force_login(sandboxed.site_operator)
    environments = operator.get(
        reverse("admin:checklist_fitconnectenvironment_changelist")
    ).content.decode()
    assert "auth-testing.fit-connect.fitko.dev" in environments
    secret = StoredSecret.objects.get()
    page = operator.get(
        reverse("admin:checklist_storedsecret_change", args=[secret.pk])
    ).content.decode()
    assert demo.SUBSCRIBER_CLIENT_SECRET not in page
    assert secret.ciphertext not in page
