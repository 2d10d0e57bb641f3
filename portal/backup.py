"""Back up and restore the portal's database, encrypted with the operator's ``BACKUP_KEY``.

Everything the portal keeps lives in its database: archive copies (their PDF bytes),
uploaded trust anchors (PEM text), stored secrets (already encrypted with
``SECRET_ENCRYPTION_KEY``), the Protokoll. There are no uploaded files on disk, so the
database is the whole backup.

- PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists`` (the
  server's own tools: consistent snapshot, triggers and sequences included; a wrapper of a
  few lines instead of django-dbbackup, which adds a dependency for the same two calls).
- SQLite: SQLite's online backup API (a consistent copy of the open database, triggers
  included), restored the same way into the open database.

The dump and a manifest (engine, time, format) are zipped and encrypted with Fernet
(AES-128-CBC + HMAC-SHA-256): a file that is changed or read with another key is refused.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import connection
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


def _fernet() -> Fernet:
    key = settings.BACKUP_KEY
    if not key:
        raise BackupError(
            "BACKUP_KEY is not set. Backups are only written and read encrypted: set "
            'BACKUP_KEY to a Fernet key (make one with: python -c "from cryptography.fernet '
            'import Fernet; print(Fernet.generate_key().decode())") and keep it apart from '
            "the backups."
        )
    try:
        return Fernet(key.encode() if isinstance(key, str) else key)
    except ValueError as error:
        raise BackupError(
            "BACKUP_KEY is not a valid Fernet key (32 bytes, URL-safe base64)."
        ) from error


def _pg_env() -> tuple[list[str], dict[str, str]]:
    """The connection arguments of pg_dump/pg_restore and the environment with the password."""
    db: dict[str, Any] = connection.settings_dict
    args = ["--dbname", str(db["NAME"])]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str], stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(  # noqa: S603 - fixed tools, arguments from the settings
            command, input=stdin, capture_output=True, env=env, check=False
        )
    except FileNotFoundError as error:
        raise BackupError(
            f"{command[0]} is not installed; install the PostgreSQL client tools."
        ) from error
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()[-2000:]
        raise BackupError(f"{command[0]} failed: {message}")
    return done.stdout


def _dump() -> bytes:
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        args, env = _pg_env()
        return _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", *args], env)
    if connection.vendor == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "copy.sqlite3"
            target = sqlite3.connect(path)
            try:
                connection.connection.backup(target)
            finally:
                target.close()
            return path.read_bytes()
    raise BackupError(f"Backups of {connection.vendor} databases are not supported.")


def _load(dump: bytes) -> None:
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        args, env = _pg_env()
        connection.close()  # pg_restore drops and recreates the tables this connection used
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                *args,
            ],
            env,
            stdin=dump,
        )
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "copy.sqlite3"
        path.write_bytes(dump)
        source = sqlite3.connect(path)
        try:
            source.backup(connection.connection)
        finally:
            source.close()


def create() -> bytes:
    """Return an encrypted backup of the whole database."""
    fernet = _fernet()
    manifest = {
        "format": FORMAT,
        "engine": connection.vendor,
        "created_at": timezone.now().isoformat(),
        "contents": "database (archive copies, trust anchors and secrets are stored in it)",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
        archive.writestr(DUMP, _dump())
    return fernet.encrypt(buffer.getvalue())


def read_manifest(backup: bytes) -> tuple[dict[str, Any], bytes]:
    """Decrypt a backup; return its manifest and the database dump."""
    fernet = _fernet()
    try:
        plain = fernet.decrypt(backup)
    except InvalidToken as error:
        raise BackupError(
            "The backup cannot be decrypted with this BACKUP_KEY: a different key, or the "
            "file was changed or damaged."
        ) from error
    with zipfile.ZipFile(io.BytesIO(plain)) as archive:
        manifest = json.loads(archive.read(MANIFEST))
        dump = archive.read(DUMP)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    return manifest, dump


def restore(backup: bytes) -> dict[str, Any]:
    """Replace the database's contents with the backup's; return its manifest."""
    manifest, dump = read_manifest(backup)
    if manifest["engine"] != connection.vendor:
        raise BackupError(
            f"This backup is of a {manifest['engine']} database, but the portal is configured "
            f"for {connection.vendor} (DATABASE_URL). Restore it onto the same kind of database."
        )
    _load(dump)
    return manifest
