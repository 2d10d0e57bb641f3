"""Benchmark: the portal under gunicorn and PostgreSQL at the scale of a whole Land.

Sets up ``portal_bench`` (10,000 onboardings across 200 organisations, through the
project's own services), starts gunicorn (2 workers, 1 thread each) and a background
worker, and drives them with wrk: bare view anonymous and signed in, overview, onboarding
page, step page (seen again, and seen for the first time: hundreds of onboardings' step
pages one after the other, so none comes from the page cache), tick (htmx POST), the write
floor of a tick (its four statements in raw SQL: what no tick can go below) and a cached
PDF, interleaved in rounds. Prints each
figure as a ratio to the bare signed-in view with its goal, one summary line, and writes
``var/bench.json``. Run with ``make bench`` (it starts PostgreSQL and installs wrk).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://portal:portal@127.0.0.1:5432/portal_bench"
)
PORT = int(os.environ.get("BENCH_PORT", "8911"))
BASE = f"http://127.0.0.1:{PORT}"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "4"))
ONBOARDINGS = 10_000
AUTHORITIES, PROVIDERS = 150, 50
SEEN_BY_USER = 999
PASSWORD = "Bench-Passwort-2026"  # noqa: S105 - a throw-away benchmark account
ENV = {
    **os.environ,
    "DATABASE_URL": DATABASE_URL,
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false",
    "SECURE_HSTS_SECONDS": "0",
    "DJANGO_SETTINGS_MODULE": "bench.settings",  # the portal plus the two measuring views
    "DATABASE_CONN_MAX_AGE": "60",
    "LOG_LEVEL": "WARNING",
    "GUNICORN_BIND": f"127.0.0.1:{PORT}",
    "GUNICORN_WORKERS": "2",
    "GUNICORN_THREADS": "1",
    "GUNICORN_ACCESS_LOG": "",
    "GUNICORN_MAX_REQUESTS": "0",  # no recycling in the middle of a measurement
    "PYTHONUNBUFFERED": "1",
}
GOALS = {
    "step_page_ratio": (">=", 0.50),
    "tick_ratio": (">=", 0.60),
    "overview_10k_p95_ms": ("<=", 150.0),
    "dashboard_10k_p95_ms": ("<=", 150.0),
    "signed_in_over_anonymous": (">=", 0.40),
    "pdf_first_over_later": ("<=", 2.0),
    "pdf_cached_ms": ("<=", 50.0),
}

LUA = """
local counter = 0
request = function()
  counter = counter + 1
  if wrk.method == "POST" then
    local done = (counter %% 2 == 1) and "1" or "0"
    return wrk.format(nil, nil, nil, "done=" .. done)
  end
  if paths then
    return wrk.format(nil, paths[(counter - 1) %% #paths + 1])
  end
  return wrk.format(nil)
end
done = function(summary, latency, requests)
  local s = summary.duration / 1000000
  io.write(string.format("JSON {\\"rps\\": %%f, \\"p50\\": %%f, \\"p95\\": %%f, \\"errors\\": %%d, \\"non2xx\\": %%d, \\"requests\\": %%d}\\n",
    summary.requests / s, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.requests))
end
"""


def manage(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


SETUP = r"""
import json, time
from datetime import date, timedelta
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from checklist import catalogue, services
from checklist.demo import seed_bench
from portal.models import User

started = time.perf_counter()
info = seed_bench(%(onboardings)d, %(authorities)d, %(providers)d, %(seen)d, %(password)r)
info["seconds"] = round(time.perf_counter() - started, 1)
def session_for(email):
    user = User.objects.get(email=email)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "portal.backends.PortalBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key
info["sessions"] = {name: session_for(email) for name, email in info["emails"].items()}
print("INFO " + json.dumps(info))
"""


def setup_data() -> dict[str, Any]:
    manage("migrate", "--noinput", "--verbosity", "0")
    output = manage(
        "shell",
        "-c",
        SETUP
        % {
            "onboardings": ONBOARDINGS,
            "authorities": AUTHORITIES,
            "providers": PROVIDERS,
            "seen": SEEN_BY_USER,
            "password": PASSWORD,
        },
    )
    line = next(line for line in output.splitlines() if line.startswith("INFO "))
    return dict(json.loads(line[5:]))


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def opener(session: str | None) -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    if session:
        jar.set_cookie(_cookie("sessionid", session))
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def _cookie(name: str, value: str) -> http.cookiejar.Cookie:
    return http.cookiejar.Cookie(
        0,
        name,
        value,
        None,
        False,
        "127.0.0.1",
        False,
        False,
        "/",
        True,
        False,
        None,
        True,
        None,
        None,
        {},
    )


def csrf_for(session: str, page: str) -> tuple[str, str]:
    """Return the CSRF cookie and the token of a page (as the browser would send them)."""
    browser, jar = opener(session)
    html = browser.open(BASE + page).read().decode()
    token = re.search(r'"x-csrftoken": "([^"]+)"', html)
    cookie = next(c.value or "" for c in jar if c.name == "csrftoken")
    assert token is not None, "no CSRF token on the page"
    return cookie, token.group(1)


def wrk(
    path: str, headers: dict[str, str], method: str = "GET", paths: list[str] | None = None
) -> dict[str, float]:
    """Run wrk on ``path`` (or on ``paths``, one after the other) and return its figures."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'wrk.method = "{method}"\n')
        if paths:
            script.write("paths = {" + ", ".join(f'"{p}"' for p in paths) + "}\n")
        for name, value in headers.items():
            script.write(f'wrk.headers["{name}"] = "{value}"\n')
        if method == "POST":
            script.write('wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n')
        script.write(LUA.replace("%%", "%"))
    result = subprocess.run(
        ["wrk", "-t1", "-c2", f"-d{SECONDS}s", "--timeout", "5s", "-s", script.name, BASE + path],
        capture_output=True,
        text=True,
        check=True,
    )
    os.unlink(script.name)
    line = next(line for line in result.stdout.splitlines() if line.startswith("JSON "))
    figures = dict(json.loads(line[5:]))
    if figures["errors"] or figures["non2xx"]:
        raise SystemExit(f"{method} {path}: {figures['non2xx']} bad answers\n{result.stdout}")
    return figures


def meets(value: float, sense: str, goal: float) -> bool:
    """Whether a figure meets its goal (``GOALS``: at least or at most)."""
    return value >= goal if sense == ">=" else value <= goal


def cpu_seconds(server_group: int) -> tuple[float, float]:
    """Return the CPU seconds used so far by the app server (gunicorn, its workers) and by
    PostgreSQL (every postgres process): unlike requests per second, CPU time per request
    hardly changes with what else the shared machine does meanwhile."""
    app = database = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :]
        values = fields.split()
        ticks = int(values[11]) + int(values[12])  # utime + stime
        if int(values[2]) == server_group:
            app += ticks
        elif name == "postgres":
            database += ticks
    hertz = os.sysconf("SC_CLK_TCK")
    return app / hertz, database / hertz


def pdf_ready_seconds(session: str, slug: str) -> float:
    """Request the PDF of changed content and return the seconds until it can be downloaded."""
    browser, _jar = opener(session)
    started = time.perf_counter()
    response = browser.open(f"{BASE}/vorhaben/{slug}/checkliste.pdf")
    while response.headers.get_content_type() != "application/pdf":
        time.sleep(0.05)
        response = browser.open(response.geturl())
    response.read()
    return time.perf_counter() - started


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make bench does it as root)")
    print(
        f"Setting up {ONBOARDINGS:,} onboardings across {AUTHORITIES + PROVIDERS} organisations …"
    )
    info = setup_data()
    print(f"  data ready in {info['seconds']} s")
    manage("collectstatic", "--noinput", "--verbosity", "0")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.05"],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(f"{BASE}/healthz")
        run(info, server.pid)
    finally:
        for process in (server, worker):
            os.killpg(process.pid, signal.SIGTERM)
        for process in (server, worker):
            process.wait(timeout=30)


def run(info: dict[str, Any], server_group: int) -> None:
    time.sleep(3)  # the worker warms up (fonts) before it takes tasks
    user, operator = info["sessions"]["provider"], info["sessions"]["operator"]
    slug, pdf_slugs = info["slug"], info["pdf_slugs"]
    # PDFs: the first render after the worker started, then later ones (all new content).
    times = [pdf_ready_seconds(user, s) for s in pdf_slugs]
    pdf_first, pdf_later = times[0], statistics.median(times[1:])
    cookie = f"sessionid={user}"
    csrf_cookie, token = csrf_for(user, f"/vorhaben/{slug}/schritt/2/")
    signed = {"Cookie": cookie}
    ticking = {
        "Cookie": f"{cookie}; csrftoken={csrf_cookie}",
        "X-CSRFToken": token,
        "HX-Request": "true",
        "Referer": BASE + f"/vorhaben/{slug}/schritt/2/",
    }
    # Step pages seen for the first time (rendered, not from the page cache): each round
    # goes on where the last one stopped, over 5 steps of hundreds of onboardings.
    first_views = [
        f"/vorhaben/{fresh}/schritt/{number}/"
        for fresh in info["fresh_slugs"]
        for number in range(1, 6)
    ]
    scenarios: dict[str, tuple[str, dict[str, str], str]] = {
        "bare_anonymous": ("/bench/bare/", {}, "GET"),
        "bare_signed_in": ("/bench/bare/", signed, "GET"),
        "overview_999": ("/vorhaben/", signed, "GET"),
        "overview_10k_operator": ("/vorhaben/", {"Cookie": f"sessionid={operator}"}, "GET"),
        # The site operator's dashboard counts all 10,000 onboardings.
        "dashboard_10k": ("/vorhaben/steuerung/", {"Cookie": f"sessionid={operator}"}, "GET"),
        "onboarding_page": (f"/vorhaben/{slug}/", signed, "GET"),
        "step_page": (f"/vorhaben/{slug}/schritt/2/", signed, "GET"),
        "step_page_first_view": (first_views[0], signed, "GET"),
        "tick": (f"/vorhaben/{slug}/punkte/step2.client/abhaken/", ticking, "POST"),
        # The least a durable tick costs here: its four statements in raw SQL, no page.
        "tick_write_floor": (f"/bench/schreiben/{pdf_slugs[-1]}/", ticking, "POST"),
        "pdf_cached": (f"/vorhaben/{pdf_slugs[0]}/checkliste.pdf", signed, "GET"),
    }
    figures: dict[str, list[dict[str, float]]] = {name: [] for name in scenarios}
    seen = 0
    for number in range(1, ROUNDS + 1):
        print(f"round {number} of {ROUNDS} …", flush=True)
        for name, (path, headers, method) in scenarios.items():
            app, database = cpu_seconds(server_group)
            if name == "step_page_first_view":
                figures[name].append(wrk(path, headers, method, first_views[seen:]))
                seen += int(figures[name][-1]["requests"])
                if seen >= len(first_views):
                    raise SystemExit("too few onboardings for first views: raise fresh_slugs")
            else:
                figures[name].append(wrk(path, headers, method))
            app_after, database_after = cpu_seconds(server_group)
            requests = figures[name][-1]["requests"]
            figures[name][-1]["app_cpu_ms"] = 1000 * (app_after - app) / requests
            figures[name][-1]["database_cpu_ms"] = 1000 * (database_after - database) / requests
    rps = {n: statistics.median(f["rps"] for f in runs) for n, runs in figures.items()}
    p95 = {n: statistics.median(f["p95"] for f in runs) for n, runs in figures.items()}
    p50 = {n: statistics.median(f["p50"] for f in runs) for n, runs in figures.items()}
    cpu = {
        n: {
            part: statistics.median(f[f"{part}_cpu_ms"] for f in runs)
            for part in ("app", "database")
        }
        for n, runs in figures.items()
    }
    cpu_total = {n: parts["app"] + parts["database"] for n, parts in cpu.items()}
    bare = rps["bare_signed_in"]
    print()
    print(
        f"{'figure':<24}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'÷ bare signed-in':>18}"
        f"{'CPU ms/req':>12}{'÷ bare (CPU)':>14}"
    )
    for name in scenarios:
        print(
            f"{name:<24}{rps[name]:>8.0f}{p50[name]:>8.1f}{p95[name]:>8.1f}"
            f"{rps[name] / bare:>17.2f}×{cpu_total[name]:>12.2f}"
            f"{cpu_total['bare_signed_in'] / cpu_total[name]:>13.2f}×"
        )
    print("CPU ms/req: app server and PostgreSQL together (wrk's own share not counted)")
    result: dict[str, Any] = {
        "step_page_ratio": round(rps["step_page"] / bare, 3),
        "step_page_first_view_ratio": round(rps["step_page_first_view"] / bare, 3),
        "step_page_first_view_p50_ms": round(p50["step_page_first_view"], 1),
        "tick_ratio": round(rps["tick"] / bare, 3),
        "tick_write_floor_ratio": round(rps["tick_write_floor"] / bare, 3),
        "tick_over_write_floor": round(rps["tick"] / rps["tick_write_floor"], 3),
        "overview_10k_p95_ms": round(p95["overview_999"], 1),
        "overview_10k_operator_p95_ms": round(p95["overview_10k_operator"], 1),
        "dashboard_10k_p95_ms": round(p95["dashboard_10k"], 1),
        "onboarding_page_ratio": round(rps["onboarding_page"] / bare, 3),
        "overview_ratio": round(rps["overview_999"] / bare, 3),
        "signed_in_over_anonymous": round(bare / rps["bare_anonymous"], 3),
        "pdf_first_s": round(pdf_first, 3),
        "pdf_later_s": round(pdf_later, 3),
        "pdf_first_over_later": round(pdf_first / pdf_later, 3),
        "pdf_cached_ms": round(p50["pdf_cached"], 1),
        "requests_per_second": {name: round(value, 1) for name, value in rps.items()},
        # CPU per request barely depends on the neighbours on a shared machine: the ratios
        # by CPU back up those by throughput, which swing with them.
        "cpu_ms_per_request": {
            name: {part: round(value, 3) for part, value in parts.items()}
            for name, parts in cpu.items()
        },
        "tick_cpu_ratio": round(cpu_total["bare_signed_in"] / cpu_total["tick"], 3),
        "tick_write_floor_cpu_ratio": round(
            cpu_total["bare_signed_in"] / cpu_total["tick_write_floor"], 3
        ),
        "step_page_cpu_ratio": round(cpu_total["bare_signed_in"] / cpu_total["step_page"], 3),
        "signed_in_over_anonymous_cpu_ratio": round(
            cpu_total["bare_anonymous"] / cpu_total["bare_signed_in"], 3
        ),
        "rounds": ROUNDS,
        "seconds_per_run": SECONDS,
        "onboardings": ONBOARDINGS,
    }
    print()
    print(f"PDF: first after the worker started {pdf_first:.2f} s, later ones {pdf_later:.2f} s")
    print(
        "Step page seen again unchanged (page cache) "
        f"{result['step_page_ratio']:.2f}×, seen for the first time "
        f"{result['step_page_first_view_ratio']:.2f}× (p50 {p50['step_page_first_view']:.0f} ms)"
    )
    print(
        f"Tick {result['tick_ratio']:.2f}× (by CPU {result['tick_cpu_ratio']:.2f}×); the least"
        " a durable tick costs (its four statements in raw SQL, no page) "
        f"{result['tick_write_floor_ratio']:.2f}× (by CPU "
        f"{result['tick_write_floor_cpu_ratio']:.2f}×): the tick runs at "
        f"{result['tick_over_write_floor']:.2f} of that floor"
    )
    met = 0
    for key, (sense, goal) in GOALS.items():
        ok = meets(result[key], sense, goal)
        met += ok
        by_cpu = ""
        cpu_value = result.get(f"{key.removesuffix('_ratio')}_cpu_ratio")
        if cpu_value is not None:
            verdict = "met" if meets(cpu_value, sense, goal) else "missed"
            by_cpu = f"   (by CPU {cpu_value:.2f}×: {verdict})"
        print(
            f"  {key:<28}{result[key]:>10}   goal {sense} {goal:<6} "
            f"{'met' if ok else 'MISSED'}{by_cpu}"
        )
    print()
    print(
        f"SUMMARY: {met} of {len(GOALS)} goals met – step page {result['step_page_ratio']:.2f}×, "
        f"tick {result['tick_ratio']:.2f}× (floor {result['tick_write_floor_ratio']:.2f}×), "
        f"overview (sees {SEEN_BY_USER} of {ONBOARDINGS:,}) "
        f"p95 {result['overview_10k_p95_ms']:.0f} ms, signed-in/anonymous "
        f"{result['signed_in_over_anonymous']:.2f}×, PDF first/later "
        f"{result['pdf_first_over_later']:.2f}×, cached PDF {result['pdf_cached_ms']:.0f} ms "
        f"(2 shared cores: noisy)"
    )
    (ROOT / "var").mkdir(exist_ok=True)
    (ROOT / "var" / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    print("written: var/bench.json")


if __name__ == "__main__":
    main()
