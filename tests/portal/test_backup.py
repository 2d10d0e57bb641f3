"""Backup and restore, and the restore drill: data made through the services, backed up,
the database wiped, restored; the archive copies and the sign-in come back unchanged.

On SQLite always; on PostgreSQL when DATABASE_URL names one (CI), through pg_dump and
pg_restore.
"""

from __future__ import annotations

import hashlib
import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from checklist.models import ArchiveCopy, Onboarding
from tests.checklist.helpers import signed_off_test
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db(transaction=True)
SLUG = "musterstadt-gewerbe"


@pytest.fixture
def key(settings: Any) -> str:
    settings.BACKUP_KEY = Fernet.generate_key().decode()
    return str(settings.BACKUP_KEY)


def wipe() -> None:
    """Leave the database as a new machine's: no table at all."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    else:
        empty = sqlite3.connect(":memory:")
        empty.backup(connection.connection)
        empty.close()
    assert connection.introspection.table_names() == []


def test_the_restore_drill_brings_back_the_record_the_archive_copies_and_the_sign_in(
    world: World, key: str, tmp_path: Path
) -> None:
    signed_off_test(world.onboarding, world.provider_staff, world.authority_staff)
    copies = dict(ArchiveCopy.objects.values_list("pk", "sha256"))
    assert len(copies) == 1  # the approval kept one
    path = tmp_path / "portal.backup"
    call_command("backup", output=str(path))
    stored = path.read_bytes()
    # Encrypted at rest: neither the database's header nor its content readable.
    assert b"SQLite format" not in stored
    assert b"Gewerbeanmeldung" not in stored
    assert path.stat().st_mode & 0o077 == 0

    wipe()
    call_command("restore", str(path), interactive=False)

    # Every chain of the Protokoll still verifies after the restore.
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "alle unverändert" in out.getvalue()
    restored = {copy.pk: copy for copy in ArchiveCopy.objects.all()}
    assert {pk: copy.sha256 for pk, copy in restored.items()} == copies
    for copy in restored.values():
        assert hashlib.sha256(bytes(copy.pdf)).hexdigest() == copy.sha256
    # A person signs in with her password and sees the same onboarding and its copy.
    client = Client()
    client.post(reverse("login"), {"username": world.provider_staff.email, "password": PASSWORD})
    page = client.get(reverse("onboarding_detail", args=[SLUG]))
    assert page.status_code == 200
    text = page.content.decode()
    assert Onboarding.objects.get(slug=SLUG).name in text
    assert reverse("archive_download", args=[SLUG, next(iter(copies))]) in text
    download = client.get(reverse("archive_download", args=[SLUG, next(iter(copies))]))
    assert hashlib.sha256(download.content).hexdigest() == next(iter(copies.values()))


def test_backup_and_restore_refuse_without_the_key_or_with_another(
    world: World, settings: Any, tmp_path: Path
) -> None:
    path = tmp_path / "portal.backup"
    settings.BACKUP_KEY = ""
    with pytest.raises(CommandError, match="BACKUP_KEY is not set"):
        call_command("backup", output=str(path))
    assert not path.exists()

    settings.BACKUP_KEY = Fernet.generate_key().decode()
    call_command("backup", output=str(path))
    settings.BACKUP_KEY = Fernet.generate_key().decode()
    with pytest.raises(CommandError, match="cannot be decrypted with this BACKUP_KEY"):
        call_command("restore", str(path), interactive=False)
    settings.BACKUP_KEY = ""
    with pytest.raises(CommandError, match="BACKUP_KEY is not set"):
        call_command("restore", str(path), interactive=False)
    # Nothing was touched.
    assert Onboarding.objects.filter(slug=SLUG).exists()
