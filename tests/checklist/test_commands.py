"""Every management command answers bad arguments with a clear CommandError, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import World

HUGE_ID = str(2**64)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--port", "99999"], "--port must be a number from 0 to 65535"),
        (["--port", "-1"], "--port must be a number from 0 to 65535"),
        (["--port", "achtzig"], "invalid int value"),
        (["--process-delay", "nan"], "--process-delay must be"),
        (["--fault", "erdbeben"], "erdbeben"),
    ],
)
def test_the_sandbox_command_refuses_bad_arguments(arguments: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("fitconnect_sandbox", *arguments)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([HUGE_ID, "--environment", "test"], "There is no onboarding"),
        (["²", "--environment", "test"], "There is no onboarding"),
        (["musterstadt-gewerbe", "--environment", "nirgendwo"], "There is no environment"),
        (["musterstadt-gewerbe"], "--environment"),
    ],
)
def test_verify_onboarding_refuses_bad_arguments(
    world: World, arguments: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("verify_onboarding", *arguments)


def test_export_checklist_refuses_bad_arguments(world: World, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="There is no onboarding"):
        call_command("export_checklist", HUGE_ID, "--output", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match="Give either"):
        call_command("export_checklist", "1", "--blank", "--output", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export_checklist", "--blank", "--output", str(tmp_path / "nix" / "x.pdf"))


@pytest.mark.parametrize(
    "arguments", [["--interval", "-1"], ["--max-tasks", "0"], ["--backend", "nirgendwo"]]
)
def test_the_worker_refuses_bad_arguments(arguments: list[str]) -> None:
    with pytest.raises(CommandError):
        call_command("db_worker", *arguments)
