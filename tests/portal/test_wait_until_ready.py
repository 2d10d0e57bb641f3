"""``make run`` prints the addresses only once the portal, its worker and the sandbox answer.

``scripts/wait_until_ready.py`` is what ``make run`` waits with; it runs here as make runs it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from fitconnect.sandbox import Sandbox
from portal.models import WorkerHeartbeat

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "wait_until_ready.py"
CLOSED = "http://127.0.0.1:9/"  # the discard port: nobody answers there


def wait(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


@pytest.mark.django_db(transaction=True)
def test_it_waits_for_the_worker_and_succeeds_once_all_answer(
    live_server: Any, sandbox: Sandbox
) -> None:
    health = f"{live_server.url}/healthz"
    no_worker = wait(health, f"{sandbox.base}/", "--timeout", "0")
    assert no_worker.returncode == 1
    assert "the background worker" in no_worker.stderr
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id="make-run", hostname="here", pid=1, started_at=now, seen_at=now
    )
    ready = wait(health, f"{sandbox.base}/", "--timeout", "30")
    assert ready.returncode == 0, ready.stderr


def test_it_names_what_does_not_answer_and_fails_after_the_timeout() -> None:
    result = wait(f"{CLOSED}healthz", CLOSED, "--timeout", "0")
    assert result.returncode == 1
    assert f"the FIT-Connect sandbox ({CLOSED})" in result.stderr


def test_it_fails_at_once_when_a_process_of_make_run_has_ended() -> None:
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    result = wait(f"{CLOSED}healthz", CLOSED, "--timeout", "600", "--pid", str(ended.pid))
    assert result.returncode == 1
    assert "ended before everything answered" in result.stderr


def test_make_run_prints_the_addresses_after_waiting() -> None:
    recipe = (ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    waits = recipe.index("scripts/wait_until_ready.py")
    assert waits < recipe.index('echo "The portal runs on')
    assert re.search(r"wait_until_ready\.py http://127\.0\.0\.1:\$\(PORT\)/healthz", recipe)
    assert "--quiet -r requirements" not in (ROOT / "Makefile").read_text()
