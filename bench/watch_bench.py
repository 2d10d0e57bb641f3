"""Benchmark: one cycle of the production watch for 1,000 live onboardings against the
sandbox (issue 28).

Creates a database of its own (the test database of ``BENCH_DATABASE_URL``, dropped at the
end) with 1,000 onboardings whose watched Zustellpunkt is the sandbox's demo destination,
each with the subscriber's stored secret, starts the sandbox in a process of its own
(``manage.py fitconnect_sandbox``) and runs one cycle in this process, as one worker does:
every destination's read-only checks (token, Zustellpunkt, both keys, the Zustelldienst's
JWKS, routing with its signature, waiting submissions), its results stored and its
escalation looked at. Prints the wall time and the SQL statements per destination and
writes ``watch_cycle_1k_s`` and ``watch_statements_per_destination`` into
``var/bench.json`` (kept beside what ``bench/load_bench.py`` wrote). Run with ``make bench``
or on its own: ``python bench/watch_bench.py``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DESTINATIONS = int(os.environ.get("WATCH_BENCH_DESTINATIONS", "1000"))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://portal:portal@127.0.0.1:5432/portal_bench"
)
os.environ.setdefault("DATABASE_URL", DATABASE_URL)
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.db import connection
from django.utils import timezone

from checklist import catalogue, secrets
from checklist.demo import ensure_sandbox_environment
from checklist.models import EnvironmentRecord, Leistung, Onboarding, StoredSecret
from fitconnect import demo
from portal.models import Organisation
from watch.cycle import run_cycle
from watch.models import WatchDestination


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_sandbox(state_dir: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "fitconnect_sandbox",
            "--port",
            str(port),
            "--state-file",
            str(Path(state_dir) / "sandbox-state.json"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/", timeout=2):  # noqa: S310 - local
                return process, base
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("The sandbox did not answer within 120 s.")


def seed(base: str) -> None:
    """1,000 live onboardings watched against the sandbox's demo destination, in bulk."""
    environment = ensure_sandbox_environment(base)
    authority = Organisation.objects.create(
        name="Bench-Behörde", slug="watch-bench-authority", kind="authority"
    )
    provider = Organisation.objects.create(
        name="Bench-IT", slug="watch-bench-provider", kind="provider"
    )
    version = catalogue.load().version
    onboardings = Onboarding.objects.bulk_create(
        Onboarding(
            authority=authority,
            provider=provider,
            slug=f"watch-bench-{n:05d}",
            name=f"Fachverfahren {n:05d}",
            catalogue_version=version,
            metadata_versions=list(demo.METADATA_VERSIONS),
            signoff_production="approved",
        )
        for n in range(DESTINATIONS)
    )
    service = demo.SERVICES[0]
    Leistung.objects.bulk_create(
        Leistung(
            onboarding=o,
            key=service["key"],
            name=service["name"],
            schema_kind="fim",
            schema_uri=service["schema_uri"],
            mime_type=service["mime_type"],
            regions=list(demo.REGIONS),
            reply_email=True,
            email_pgp=True,
            reply_elster=True,
        )
        for o in onboardings
    )
    EnvironmentRecord.objects.bulk_create(
        EnvironmentRecord(
            onboarding=o,
            environment="sandbox",
            client_id=demo.SUBSCRIBER_CLIENT_ID,
            destination_id=demo.DESTINATION_ID,
            encryption_kid=demo.ENCRYPTION_KID,
            signature_kid=demo.SIGNATURE_KID,
            callback_url=demo.sandbox_urls(base)["callback_url"],
        )
        for o in onboardings
    )
    ciphertext = secrets.encrypt(demo.SUBSCRIBER_CLIENT_SECRET)
    StoredSecret.objects.bulk_create(
        StoredSecret(
            onboarding=o,
            environment="sandbox",
            kind="subscriber",
            ciphertext=ciphertext,
            bound_hosts=environment.secret_hosts,
        )
        for o in onboardings
    )
    now = timezone.now()
    WatchDestination.objects.bulk_create(
        WatchDestination(onboarding=o, environment="sandbox", next_check_at=now)
        for o in onboardings
    )


def main() -> None:
    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    state_dir = tempfile.mkdtemp(prefix="watch-bench-")
    sandbox, base = start_sandbox(state_dir)
    try:
        seed(base)
        now = timezone.now()
        statements = 0

        def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal statements
            statements += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            started = time.perf_counter()
            checked = run_cycle(now)
            wall = time.perf_counter() - started
        states: dict[str, int] = {}
        for state in WatchDestination.objects.values_list("state", flat=True):
            states[state] = states.get(state, 0) + 1
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)
        connection.creation.destroy_test_db(old_name, verbosity=0)
    per_destination = statements / max(checked, 1)
    result = {
        "watch_cycle_1k_s": round(wall * 1000 / max(checked, 1), 2),
        "watch_statements_per_destination": round(per_destination, 1),
    }
    print(
        f"Watch cycle: {checked} destinations in {wall:.1f} s "
        f"({wall / max(checked, 1) * 1000:.0f} ms each, one worker), "
        f"{per_destination:.1f} SQL statements per destination; states {states} "
        f"(database {test_name}, sandbox {base})"
    )
    print(json.dumps(result))
    path = ROOT / "var" / "bench.json"
    path.parent.mkdir(exist_ok=True)
    existing = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**existing, **result}, indent=2) + "\n")
    print(f"written: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
