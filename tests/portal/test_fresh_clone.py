"""Every entry point works on a fresh clone: no var/, no DATABASE_URL, nothing run before."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = [
    "manage.py",
    "portal",
    "checklist",
    "notifications",
    "api",
    "fitconnect",
    "watch",
    "sso",
    "templates",
    "static",
]


def fresh_copy(target: Path) -> Path:
    """Copy the project's code (not var/, not .venv) as a fresh clone would have it."""
    for name in PROJECT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(source, target / name)
    return target


def manage(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=project,
        env={**env, "DEBUG": "true"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_management_commands_create_var_for_the_default_sqlite_database(tmp_path: Path) -> None:
    project = fresh_copy(tmp_path)
    assert not (project / "var").exists()
    checked = manage(project, "check")
    assert checked.returncode == 0, checked.stderr
    assert (project / "var").is_dir()
    shutil.rmtree(project / "var")
    migrated = manage(project, "migrate", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stderr
    assert (project / "var" / "portal.sqlite3").is_file()


def test_a_configured_database_url_creates_no_var_directory(tmp_path: Path) -> None:
    project = fresh_copy(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=project,
        env={**env, "DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'elsewhere.db'}"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert not (project / "var").exists()
