"""Settings come from the environment, refuse bad values and are safe in production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "kH3$v9!qZ2@rT7&mW5^pL1*xB8#nF4%cJ6(yD0)sG-aE+uR=oI?",
    "ALLOWED_HOSTS": "anbindung.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://anbindung.example.org",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "mail.example.org",
}
# Variables the test session sets for itself (tests/environment.py), not part of production.
TEST_ONLY = {"SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_BACKEND", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in TEST_ONLY and not k.startswith(("SECURE_", "DEBUG"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DATABASE_URL": "sqlite:///:memory:", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_check_deploy_reports_no_warning_with_production_values() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_sets_secure_cookies_hsts_and_https_redirect() -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS > 0, s.DEBUG)"
    )
    result = run_manage("shell", "--no-imports", "-c", code, env=PRODUCTION)
    assert result.stdout.split() == ["True", "True", "True", "True", "False"], result.stderr


def test_refuses_to_start_in_production_without_secret_key() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set" in result.stderr


def test_refuses_the_development_key_with_debug_off() -> None:
    env = {**PRODUCTION, "SECRET_KEY": "django-insecure-development-only-never-use-in-production"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "development SECRET_KEY" in result.stderr


def test_debug_runs_with_a_development_key_and_local_hosts() -> None:
    result = run_manage("check", env={"DEBUG": "true"})
    assert result.returncode == 0, result.stderr


def test_database_url_selects_postgresql() -> None:
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['ENGINE'], d['NAME'], d['HOST'])"
    )
    env = {**PRODUCTION, "DATABASE_URL": "postgres://portal:pw@db.internal:5432/anbindung"}
    result = run_manage("shell", "--no-imports", "-c", code, env=env)
    assert result.stdout.split() == ["django.db.backends.postgresql", "anbindung", "db.internal"]


def test_a_bad_boolean_stops_the_start_with_its_name() -> None:
    result = run_manage("check", env={**PRODUCTION, "SECURE_SSL_REDIRECT": "vielleicht"})
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT must be one of" in result.stderr


def test_env_bool_reads_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in [("1", True), ("Yes", True), ("on", True), ("0", False), ("off", False)]:
        monkeypatch.setenv("FLAG", raw)
        assert env_bool("FLAG", not expected) is expected
    monkeypatch.delenv("FLAG")
    assert env_bool("FLAG", True) is True


def test_env_int_rejects_words_and_values_below_the_minimum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORT", "zwölf")
    with pytest.raises(ImproperlyConfigured, match="PORT must be a whole number"):
        env_int("PORT", 1)
    monkeypatch.setenv("PORT", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("PORT", 1, minimum=1)
    monkeypatch.setenv("PORT", " 587 ")
    assert env_int("PORT", 1) == 587


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTS", " a.example , ,b.example,")
    assert env_list("HOSTS") == ["a.example", "b.example"]
    monkeypatch.delenv("HOSTS")
    assert env_list("HOSTS", ["x"]) == ["x"]


def test_secret_can_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("aus-der-datei\n", encoding="utf-8")
    monkeypatch.delenv("TOKEN", raising=False)
    monkeypatch.setenv("TOKEN_FILE", str(secret))
    assert env_str("TOKEN") == "aus-der-datei"
    monkeypatch.setenv("TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="TOKEN_FILE points to"):
        env_str("TOKEN")


def test_required_variable_without_default_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEEDED", raising=False)
    with pytest.raises(ImproperlyConfigured, match="NEEDED is required"):
        env_str("NEEDED")


def test_nothing_is_kept_in_one_app_servers_memory() -> None:
    """Sessions, sign-in lock-outs and the task queue are in the shared database."""
    code = (
        "from django.conf import settings as s; "
        "from django.utils.module_loading import import_string; "
        "from importlib import import_module; "
        "from django.contrib.sessions.backends.db import SessionStore as DB; "
        "from axes.handlers.database import AxesDatabaseHandler as D; "
        "print(issubclass(import_module(s.SESSION_ENGINE).SessionStore, DB), "
        "issubclass(import_string(s.AXES_HANDLER), D), "
        "s.TASKS['default']['BACKEND'])"
    )
    result = run_manage("shell", "--no-imports", "-c", code, env=PRODUCTION)
    assert result.stdout.split() == [
        "True",  # sessions are Django's database sessions (read by portal.sessions)
        "True",  # the lock-out handler keeps its counts in the database
        "django_tasks_db.DatabaseBackend",
    ], result.stderr


def _passkey_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = (
        "from django.conf import settings as s; "
        "print(s.OTP_WEBAUTHN_RP_ID, ','.join(s.OTP_WEBAUTHN_ALLOWED_ORIGINS) or '-')"
    )
    return run_manage("shell", "--no-imports", "-c", code, env={**PRODUCTION, **env})


def test_passkeys_follow_the_portal_address() -> None:
    public = _passkey_settings({"PORTAL_BASE_URL": "https://anbindung.example.org"})
    assert public.stdout.split() == ["anbindung.example.org", "https://anbindung.example.org"]
    # An address cannot be a relying party: the demo's 127.0.0.1 becomes localhost.
    demo = _passkey_settings({"PORTAL_BASE_URL": "http://127.0.0.1:8001"})
    assert demo.stdout.split() == ["localhost", "http://localhost:8001"]
    # Plain http elsewhere is no secure origin: no passkeys, and the start is not stopped.
    plain = _passkey_settings({"PORTAL_BASE_URL": "http://portal.intern"})
    assert plain.stdout.split() == ["portal.intern", "-"], plain.stderr
    checked = run_manage("check", env={**PRODUCTION, "PORTAL_BASE_URL": "http://portal.intern"})
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_passkey_settings_can_name_a_parent_domain_and_refuse_foreign_origins() -> None:
    parent = _passkey_settings(
        {"PORTAL_BASE_URL": "https://anbindung.example.org", "WEBAUTHN_RP_ID": "example.org"}
    )
    assert parent.stdout.split() == ["example.org", "https://anbindung.example.org"]
    foreign = _passkey_settings(
        {"WEBAUTHN_RP_ID": "example.org", "WEBAUTHN_ORIGINS": "https://evil.example"}
    )
    assert foreign.returncode != 0
    assert "WEBAUTHN_ORIGINS: 'https://evil.example' must start with https://" in foreign.stderr
    address = _passkey_settings({"WEBAUTHN_RP_ID": "10.0.0.1"})
    assert "WEBAUTHN_RP_ID must be a host name" in address.stderr


def test_each_log_line_is_printed_once_in_development() -> None:
    """The worker's task lines ("django.tasks") appeared twice on the console of make run."""
    code = (
        "import logging; "
        "logging.getLogger('django.tasks').info('Task id=1 state=SUCCESSFUL'); "
        "logging.getLogger('django.request').warning('Not Found: /nirgends/'); "
        "logging.getLogger('checklist.export').warning('PDF export 1 could not be rendered')"
    )
    result = run_manage("shell", "--no-imports", "-c", code, env={"DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines.count("Task id=1 state=SUCCESSFUL") == 1, result.stderr
    assert lines.count("Not Found: /nirgends/") == 1, result.stderr
    assert lines.count("PDF export 1 could not be rendered") == 1, result.stderr
