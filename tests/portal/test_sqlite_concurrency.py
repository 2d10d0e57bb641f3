"""The demo's SQLite file takes concurrent writers (app server and worker) without errors.

``make run`` serves the portal and runs the worker side by side on one SQLite file. Each
process below opens the file with the portal's own settings and runs transactions that
read before they write, as the views do (a comment, an invitation): without WAL, a busy
timeout and IMMEDIATE transactions, two of them collide with "database is locked".
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from django.conf import settings

WRITERS = 4
TRANSACTIONS = 150

WRITER = """
import sys
import django
django.setup()
from django.db import connection, transaction

name = sys.argv[1]
for number in range(int(sys.argv[2])):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM entry WHERE writer = %s", [name])
            (count,) = cursor.fetchone()
            cursor.execute("INSERT INTO entry (writer, number) VALUES (%s, %s)", [name, count])
print("ok")
"""


def test_concurrent_writers_on_the_sqlite_file_never_meet_a_locked_database(
    tmp_path: Path,
) -> None:
    database = tmp_path / "portal.sqlite3"
    with sqlite3.connect(database) as setup:
        setup.execute("CREATE TABLE entry (writer TEXT, number INTEGER)")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "DEBUG": "true",
    }
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, f"writer-{n}", str(TRANSACTIONS)],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WRITERS)
    ]
    outcomes = [writer.communicate(timeout=120) for writer in writers]
    for (out, err), writer in zip(outcomes, writers, strict=True):
        assert "database is locked" not in err
        assert writer.returncode == 0, err[-2000:]
        assert out.strip() == "ok"
    with sqlite3.connect(database) as check:
        rows = check.execute("SELECT writer, count(*), max(number) FROM entry GROUP BY writer")
        assert sorted(rows) == [
            (f"writer-{n}", TRANSACTIONS, TRANSACTIONS - 1) for n in range(WRITERS)
        ]
        (mode,) = check.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"
