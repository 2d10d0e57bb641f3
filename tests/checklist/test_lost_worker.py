"""Work that survives a lost worker: a run whose worker died ends, and says so.

The first test starts a real worker process (``manage.py db_worker``, as ``make run`` does),
starts a connection check against a sandbox that answers slowly, kills the worker with
SIGKILL while the check waits, and sees the run end as aborted within the lease time: the
step page says so and offers to check again, and the API says ``aborted`` with a problem.
It runs on the session's database: on PostgreSQL the worker shares the test database; on
SQLite (an in-memory test database no other process can open) the test copies the database
into a file for the worker and back after the kill.

The others cover what happens to each kind of lost work, with the lease passed by hand.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from checklist import conformance, lost_work, tasks, verification
from checklist.models import ConformanceRun, FitConnectEnvironment, PdfExport, VerificationRun
from fitconnect import demo
from fitconnect.conformance import CASE_ORDER
from fitconnect.sandbox import Sandbox
from portal import leases
from tests.api.conftest import make_token
from tests.checklist.test_conformance_command import store_sender
from tests.checklist.test_verification import (  # noqa: F401
    FORM,
    point_sandbox_at,
    provider,
    sandboxed,
)
from tests.conftest import World

ROOT = Path(__file__).resolve().parents[2]
SLUG = "musterstadt-gewerbe"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The worker's lease time: small, so that the test waits seconds, not minutes.
LEASE_SECONDS = 2
# Generous bounds for a slow machine; the test ends as soon as what it waits for happens.
START_SECONDS = 90
MARGIN_SECONDS = 30
ABORTED_TEXT = "Die Prüfung wurde abgebrochen"


class SharedDatabase:
    """The database as a worker process sees it (the test database, or a copy of it)."""

    def __init__(self, tmp_path: Path) -> None:
        self.sqlite = connection.vendor == "sqlite"
        self.file = tmp_path / "worker.sqlite3"

    def url(self) -> str:
        if self.sqlite:
            target = sqlite3.connect(self.file)
            connection.ensure_connection()
            connection.connection.backup(target)  # the in-memory test database, into a file
            target.close()
            return f"sqlite:///{self.file}"
        db = connection.settings_dict
        user = quote(db["USER"] or "", safe="")
        password = quote(db["PASSWORD"] or "", safe="")
        host = db["HOST"] or "localhost"
        port = db["PORT"] or 5432
        return f"postgres://{user}:{password}@{host}:{port}/{quote(db['NAME'], safe='')}"

    def results(self, run_id: int) -> list[Any]:
        if not self.sqlite:
            return list(VerificationRun.objects.get(pk=run_id).results)
        with sqlite3.connect(self.file, timeout=20) as db:
            row = db.execute(
                "SELECT results FROM checklist_verificationrun WHERE id = ?", (run_id,)
            ).fetchone()
        return list(json.loads(row[0])) if row else []

    def bring_back(self) -> None:
        """After the worker: its writes into the test database (SQLite only)."""
        if self.sqlite:
            source = sqlite3.connect(self.file)
            connection.ensure_connection()
            source.backup(connection.connection)
            source.close()


@pytest.fixture
def worker_process(tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[bytes]] = []

    def start(database_url: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, "DATABASE_URL": database_url, "TASK_LEASE_SECONDS": str(LEASE_SECONDS)}
        log = (tmp_path / "worker.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_a_check_whose_worker_is_killed_ends_as_aborted_within_the_lease_time(
    sandboxed: World,  # noqa: F811
    sandbox: Sandbox,
    worker_process: Any,
    tmp_path: Path,
) -> None:
    # The token comes at once; every other call waits a minute in the sandbox.
    point_sandbox_at(f"{sandbox.base}/fault/slow-60", token_base=sandbox.base)
    client = provider(sandboxed)
    with override_settings(TASKS=DATABASE_TASKS):
        started = client.post(reverse("verify_start", args=[SLUG, "sandbox"]), FORM)
    assert started.status_code == 302
    run = VerificationRun.objects.get()
    assert run.status == "running"

    shared = SharedDatabase(tmp_path)
    worker = worker_process(shared.url())
    deadline = time.monotonic() + START_SECONDS
    while not shared.results(run.pk):  # the token check done, the next one waiting
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
        time.sleep(0.2)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    killed_at = time.monotonic()
    shared.bring_back()

    page = ""
    while ABORTED_TEXT not in page:
        assert time.monotonic() - killed_at < LEASE_SECONDS + MARGIN_SECONDS, page[-2000:]
        time.sleep(0.2)
        page = client.get(reverse("step", args=[SLUG, 3])).content.decode()
    run.refresh_from_db()
    assert run.status == "aborted"
    assert len(run.results) == 1  # what it got before it was lost stays as evidence
    assert run.secrets_ciphertext == ""  # the typed secrets are forgotten
    assert "Abgebrochen" in page
    assert "Verbindung erneut prüfen" in page
    assert f'action="{reverse("verify_start", args=[SLUG, "sandbox"])}"' in page

    _token, plain = make_token(sandboxed.provider, name="Pipeline")
    answer = Client().get(
        reverse("api:getRun", kwargs={"slug": SLUG, "run_id": run.pk}),
        headers={"authorization": f"Bearer {plain}"},
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == "aborted"
    assert answer.json()["problem"].startswith(ABORTED_TEXT)


def lose(row: Any) -> None:
    """Make the row look taken by a task whose worker died a minute ago."""
    type(row).objects.filter(pk=row.pk).update(
        lease_until=timezone.now() - timedelta(minutes=1), attempts=1
    )
    row.refresh_from_db()


def test_the_scheduled_jobs_end_a_lost_check_and_the_retry_button_starts_a_new_one(
    sandboxed: World,  # noqa: F811
    sandbox: Sandbox,
) -> None:
    for kind, secret in (
        ("subscriber", demo.SUBSCRIBER_CLIENT_SECRET),
        ("callback", demo.CALLBACK_SECRET),
    ):
        verification.store_secret(
            sandboxed.onboarding, "sandbox", kind, secret, sandboxed.provider_staff
        )
    store_sender(sandboxed)
    client = provider(sandboxed)
    with override_settings(TASKS=DATABASE_TASKS):  # queued, never run: a worker that died
        client.post(reverse("verify_start", args=[SLUG, "sandbox"]), FORM)
    run = VerificationRun.objects.get()
    lose(run)

    call_command("run_scheduled_jobs", stdout=open(os.devnull, "w"))  # noqa: SIM115

    run.refresh_from_db()
    assert run.status == "aborted"
    assert run.finished_at is not None
    page = client.get(reverse("step", args=[SLUG, 3])).content.decode()
    assert ABORTED_TEXT in page
    retried = client.post(
        reverse("verify_start", args=[SLUG, "sandbox"]), {"handling": "once"}, follow=True
    )
    assert retried.status_code == 200
    assert VerificationRun.objects.count() == 2
    assert VerificationRun.objects.exclude(pk=run.pk).get().status != "aborted"


def test_the_api_run_list_ends_a_lost_check_as_aborted(sandboxed: World) -> None:  # noqa: F811
    with override_settings(TASKS=DATABASE_TASKS):  # queued, never run: a worker that died
        provider(sandboxed).post(reverse("verify_start", args=[SLUG, "sandbox"]), FORM)
    run = VerificationRun.objects.get()
    lose(run)
    _token, plain = make_token(sandboxed.provider, name="Pipeline")

    answer = Client().get(
        f"/api/v1/onboardings/{SLUG}/runs", headers={"authorization": f"Bearer {plain}"}
    )

    assert answer.status_code == 200
    [row] = answer.json()["items"]
    assert row["status"] == "aborted"
    assert row["problem"].startswith(ABORTED_TEXT)


def test_a_check_whose_lease_is_alive_is_left_running(sandboxed: World) -> None:  # noqa: F811
    with override_settings(TASKS=DATABASE_TASKS):
        provider(sandboxed).post(reverse("verify_start", args=[SLUG, "sandbox"]), FORM)
    run = VerificationRun.objects.get()
    assert leases.claim(VerificationRun.objects.filter(finished_at=None), run.pk)

    assert lost_work.settle_all() == 0
    run.refresh_from_db()
    assert run.status == "running"
    # A second worker never takes a run another one holds.
    assert not leases.claim(VerificationRun.objects.filter(finished_at=None), run.pk)


def test_a_lost_conformance_run_is_resumed_without_sending_its_cases_again(
    sandboxed: World,  # noqa: F811
    sandbox: Sandbox,
    settings: Any,
) -> None:
    settings.FITCONNECT_CONFORMANCE_POLL = 0.1
    store_sender(sandboxed)
    environment = conformance_environment()
    run = conformance.start(sandboxed.onboarding, environment, sandboxed.provider_staff)
    runner = conformance.runner_for(sandboxed.onboarding, environment)
    first = CASE_ORDER[0]
    sent = runner.send(first)  # the lost worker had sent one case
    ConformanceRun.objects.filter(pk=run.pk).update(cases={first: sent})
    lose(run)

    assert lost_work.settle_all() == 1  # enqueued again; the immediate backend runs it

    run.refresh_from_db()
    assert run.finished_at is not None
    assert run.status != "aborted"
    assert run.cases[first]["submission_id"] == sent["submission_id"]  # not sent again
    assert run.attempts == 2


def test_a_conformance_run_lost_twice_is_aborted_and_the_api_says_so(
    sandboxed: World,  # noqa: F811
) -> None:
    run = conformance.start(
        sandboxed.onboarding, conformance_environment(), sandboxed.provider_staff
    )
    lose(run)
    ConformanceRun.objects.filter(pk=run.pk).update(attempts=lost_work.MAX_ATTEMPTS)
    _token, plain = make_token(sandboxed.provider, name="Pipeline")

    answer = Client().get(
        reverse("api:getConformanceRun", kwargs={"slug": SLUG, "run_id": run.pk}),
        headers={"authorization": f"Bearer {plain}"},
    )

    assert answer.json()["status"] == "aborted"
    assert answer.json()["problem"].startswith("Die Konformitätsprüfung wurde abgebrochen")
    page = provider(sandboxed).get(reverse("conformance_run", args=[SLUG, run.pk]))
    assert "Konformitätsprüfung erneut starten" in page.content.decode()


def test_a_lost_pdf_export_is_rendered_again_then_fails(world: World) -> None:
    with override_settings(TASKS=DATABASE_TASKS):
        pdf_export = tasks.request_pdf(world.onboarding)
    lose(pdf_export)
    client = Client()
    client.force_login(world.provider_staff)
    status = reverse("pdf_status", args=[SLUG, pdf_export.pk])

    client.get(status)  # settled: rendered again by the (immediate) worker

    pdf_export.refresh_from_db()
    assert pdf_export.ready

    with override_settings(TASKS=DATABASE_TASKS):
        blank = tasks.request_pdf(None)
    lose(blank)
    PdfExport.objects.filter(pk=blank.pk).update(attempts=lost_work.MAX_ATTEMPTS)
    assert lost_work.settle_all() == 1
    blank.refresh_from_db()
    assert blank.failed
    assert not blank.ready


def conformance_environment() -> FitConnectEnvironment:
    return FitConnectEnvironment.objects.get(key="sandbox")
