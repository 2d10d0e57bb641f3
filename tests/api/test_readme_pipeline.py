"""The README's GitLab job, run as written against a live portal and a background worker.

The job's script is taken from README.md (between ``<!-- pipeline-example -->`` markers) and
run by a POSIX shell with ``-e``, as GitLab runs it, with the portal's address and a token in
place of the CI/CD variables. Tasks are queued in the database as in production; the test
runs the worker while the script waits, so the PDF answers ``202`` before it answers ``200``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from checklist import verification
from checklist.models import PdfExport, VerificationRun
from fitconnect import demo
from tests.api.conftest import make_token
from tests.checklist.test_verification import sandboxed  # noqa: F401
from tests.conftest import World

# The worker runs in the test's thread while the live server answers requests
# in its own: on SQLite both share the test database's one in-memory connection ("cannot open
# savepoint - SQL statements in progress"), so these tests run on PostgreSQL (CI does both).
WORKER_BESIDE_SERVER = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="a worker beside the live server needs PostgreSQL (DATABASE_URL=postgres://…)",
)
pytestmark = [pytest.mark.django_db(transaction=True), WORKER_BESIDE_SERVER]

README = Path(__file__).resolve().parents[2] / "README.md"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
SHELL = shutil.which("sh") or shutil.which("bash")
# The script sleeps between polls; this bounds a broken run, it is not a timing assumption.
DEADLINE_SECONDS = 120

if shutil.which("curl") is None or shutil.which("jq") is None or SHELL is None:
    pytest.skip(
        "curl and jq are needed to run the README's pipeline example: "
        "apt-get install curl jq (make test does)",
        allow_module_level=True,
    )


def readme_job() -> dict[str, Any]:
    text = README.read_text()
    found = re.search(
        r"<!-- pipeline-example -->\s*```yaml\n(.*?)```\s*<!-- /pipeline-example -->",
        text,
        re.S,
    )
    assert found, "README.md lost its pipeline example markers"
    jobs = yaml.safe_load(found.group(1))
    (job,) = jobs.values()
    return dict(job)


def run_script(
    script: str, live_server: Any, token: str, workdir: Path, environment: str
) -> subprocess.CompletedProcess[str]:
    """Run the script as GitLab would (sh -e), running the worker until the script ends."""
    env = {
        "PATH": os.environ["PATH"],
        "PORTAL": f"{live_server.url}/api/v1",
        "ONBOARDING": "musterstadt-gewerbe",
        "ENVIRONMENT": environment,
        "PORTAL_TOKEN": token,
        "CI_PIPELINE_ID": "4711",
        "CI_JOB_ID": "815",
    }
    process = subprocess.Popen(
        [str(SHELL), "-e", "-c", script],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + DEADLINE_SECONDS
    while process.poll() is None and time.monotonic() < deadline:
        call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", stdout=StringIO())
        time.sleep(0.2)
    if process.poll() is None:
        process.kill()
    stdout, stderr = process.communicate()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def pdf_script(job: dict[str, Any]) -> str:
    (script,) = [entry for entry in job["script"] if "record.pdf" in entry]
    return str(script)


@pytest.fixture
def queued_tasks() -> Any:
    with override_settings(TASKS=DATABASE_TASKS):
        yield


def test_the_readme_job_runs_the_checks_and_keeps_a_real_pdf(
    sandboxed: World,  # noqa: F811
    queued_tasks: None,
    live_server: Any,
    tmp_path: Path,
) -> None:
    world = sandboxed
    for kind, secret, client_id in (
        ("subscriber", demo.SUBSCRIBER_CLIENT_SECRET, ""),
        ("sender", demo.SENDER_CLIENT_SECRET, demo.SENDER_CLIENT_ID),
        ("callback", demo.CALLBACK_SECRET, ""),
    ):
        verification.store_secret(
            world.onboarding, "sandbox", kind, secret, world.provider_staff, client_id=client_id
        )
    job = readme_job()
    assert job["artifacts"]["paths"] == ["checkliste.pdf"]
    script = "\n".join(entry for entry in job["script"] if not entry.startswith("apk "))
    _token, plain = make_token(world.provider, name="GitLab Deploy")

    result = run_script(script, live_server, plain, tmp_path, "sandbox")

    assert result.returncode == 0, result.stderr + result.stdout
    assert VerificationRun.objects.get().status == "ok"
    assert "ok\t" in result.stdout  # the job log lists the checks
    pdf = (tmp_path / "checkliste.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert PdfExport.objects.get(onboarding=world.onboarding).ready


def test_the_readme_pdf_step_fails_on_an_error_answer(
    world: World, queued_tasks: None, live_server: Any, tmp_path: Path
) -> None:
    _token, plain = make_token(world.provider, scopes=["read"])  # no pdf:read: 403
    result = run_script(pdf_script(readme_job()), live_server, plain, tmp_path, "sandbox")
    assert result.returncode != 0
    assert "HTTP 403" in result.stderr


def test_the_readme_pdf_step_waits_for_the_pdf_instead_of_keeping_the_waiting_answer(
    world: World, queued_tasks: None, live_server: Any, tmp_path: Path
) -> None:
    _token, plain = make_token(world.provider, scopes=["pdf:read"])
    result = run_script(pdf_script(readme_job()), live_server, plain, tmp_path, "sandbox")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "checkliste.pdf").read_bytes().startswith(b"%PDF-")
