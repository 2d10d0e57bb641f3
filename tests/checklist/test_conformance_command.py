"""``manage.py conformance_run``: one line per case, exit code 1 when a case fails."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from checklist import verification
from fitconnect import demo
from fitconnect.sandbox import Sandbox
from tests.checklist.test_verification import SLUG, point_sandbox_at, sandboxed
from tests.conftest import World

__all__ = ["sandboxed"]  # the fixture, used by name


def store_sender(world: World) -> None:
    verification.store_secret(
        world.onboarding,
        "sandbox",
        "sender",
        demo.SENDER_CLIENT_SECRET,
        world.provider_staff,
        client_id=demo.SENDER_CLIENT_ID,
    )


def test_the_command_passes_every_case_against_the_sandbox_and_fails_on_a_lax_hash(
    sandboxed: World, sandbox: Sandbox
) -> None:
    store_sender(sandboxed)
    out = io.StringIO()
    call_command("conformance_run", SLUG, "--environment", "sandbox", "--timeout", "30", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 11
    assert all(line.startswith("✔ ok") for line in lines), lines
    assert demo.SENDER_CLIENT_SECRET not in out.getvalue()
    point_sandbox_at(f"{sandbox.base}/fault/lax-hash")
    faulty = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command(
            "conformance_run",
            SLUG,
            "--environment",
            "sandbox",
            "--timeout",
            "30",
            "--json",
            stdout=faulty,
        )
    assert error.value.returncode == 1
    results = {r["case"]: r for r in json.loads(faulty.getvalue())["results"]}
    failed = {case for case, r in results.items() if r["verdict"] == "failed"}
    assert failed == {"data_hash", "attachment_hash"}
    assert "FITKO verlangt reject-submission" in results["data_hash"]["message"]


def test_the_command_needs_a_sender_client(sandboxed: World) -> None:
    with pytest.raises(CommandError, match="No Sender client"):
        call_command("conformance_run", SLUG, "--environment", "sandbox")
