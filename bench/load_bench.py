"""Benchmark: the portal as its users get it, under gunicorn and PostgreSQL at the scale of a
whole Land.

Sets up ``portal_bench``: 10,000 onboardings across 200 organisations, a few hundred of them
built through the services people use (all five steps, every sign-off state, due dates,
Leistungen, comments; ``checklist.demo.seed_bench``), the rest created in bulk. Starts
gunicorn from the project's ``gunicorn.conf.py`` (gthread, 2 workers) and the background
worker, signs the benchmark's people in through the real sign-in pages with password and
the authenticator app's code (every one of them has the second factor set up, as
administrators and approvers must), checks that every measured address answers 200, and
drives them with wrk in interleaved rounds: bare view anonymous and signed in, overview
(999 and 10,000 visible), onboarding page, step page (seen again, and seen for the first
time: hundreds of onboardings' step pages one after the other, none from the page cache),
tick (htmx POST) against its write floor (its four statements in raw SQL), the API's
``GET`` of one onboarding and its list of 100, and a cached PDF. Also the PDF export
against plain WeasyPrint on the same record and a later export through the worker.

CPU time per request is the app server's plus PostgreSQL's: on a shared machine it moves
far less than throughput, so every ratio is given both ways. Prints the figures, each goal
of issue 26 by throughput and by CPU, one summary line, and writes ``var/bench.json``. Run
with ``make bench`` (it starts PostgreSQL and installs wrk).
"""

from __future__ import annotations

import json
import os
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.client import TOTP_KEY, Browser

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
    # Connections kept: a backend that ends takes its CPU count with it.
    "DATABASE_CONN_MAX_AGE": "3600",
    "GUNICORN_BIND": f"127.0.0.1:{PORT}",
    # gunicorn.conf.py as it is (gthread, its threads, its logs), on 2 workers like the
    # independent run; no recycling in the middle of a measurement.
    "GUNICORN_WORKERS": "2",
    "GUNICORN_MAX_REQUESTS": "0",
    # A pipeline's token may ask this often; the benchmark asks far more often.
    "API_RATE_LIMIT_PER_MINUTE": "10000000",
    "PYTHONUNBUFFERED": "1",
}
# Issue 26's goals: (figure, at least or at most, goal, by CPU: the figure's CPU twin).
GOALS: list[tuple[str, str, float, str | None]] = [
    ("signed_in_over_anonymous", "<=", 2.5, "signed_in_cpu_over_anonymous"),
    ("step_page_first_view_ratio", ">=", 0.50, "step_first_cpu_ratio"),
    ("step_page_ratio", ">=", 0.50, "step_page_cpu_ratio"),
    ("tick_over_write_floor", "<=", 1.4, "tick_cpu_over_floor"),
    ("overview_10k_p95_ms", "<=", 150.0, None),
    ("overview_10k_operator_p95_ms", "<=", 150.0, None),
    ("overview_999_cpu_ms", "<=", 30.0, None),
    ("overview_10k_cpu_ms", "<=", 30.0, None),
    ("api_get_ratio", ">=", 0.50, "api_get_cpu_ratio"),
    ("api_list_100_p95_ms", "<=", 150.0, None),
    ("pdf_over_plain", "<=", 1.3, "pdf_over_plain_cpu"),
    ("pdf_later_s", "<=", 1.0, None),
    ("worker_rss_mib", "<=", 200.0, None),
    # Issue 27: the coordination dashboard at 10,000 onboardings.
    ("dashboard_10k_p95_ms", "<=", 150.0, None),
]
# Goals with a floor the bench measures: the best the figure could be by CPU while the page
# reads what it reads and these templates render it (see ``step_floor_cpu_ratio``).
FLOORS: dict[str, str] = {"step_page_first_view_ratio": "step_floor_cpu_ratio"}

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
from django_otp.plugins.otp_totp.models import TOTPDevice
from api.models import ApiToken
from checklist.demo import seed_bench
from portal.models import User

started = time.perf_counter()
info = seed_bench(%(onboardings)d, %(authorities)d, %(providers)d, %(seen)d, %(password)r)
info["seconds"] = round(time.perf_counter() - started, 1)
for email in info["emails"].values():  # each has the authenticator app set up
    user = User.objects.get(email=email)
    TOTPDevice.objects.update_or_create(
        user=user, name="Bench", defaults={"key": %(key)r, "confirmed": True}
    )
provider = User.objects.get(email=info["emails"]["provider"]).memberships.get().organisation
ApiToken.objects.filter(organisation=provider, name="Bench").delete()  # the last run's
_token, info["api_token"] = ApiToken.create(
    organisation=provider, name="Bench", scopes=["read"], valid_days=1, created_by=None
)
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
            "key": TOTP_KEY,
        },
    )
    line = next(line for line in output.splitlines() if line.startswith("INFO "))
    return dict(json.loads(line[5:]))


def pdf_against_plain(candidates: list[str]) -> dict[str, Any]:
    """The PDF export against plain WeasyPrint on the same record (``bench.pdf_compare``)."""
    output = manage(
        "shell",
        "-c",
        "import json; from bench.pdf_compare import compare; "
        f"print('PDF ' + json.dumps(compare({candidates!r})))",
    )
    line = next(line for line in output.splitlines() if line.startswith("PDF "))
    return dict(json.loads(line[4:]))


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


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


def cpu_ticks(server_group: int) -> dict[str, dict[int, int]]:
    """Return the CPU ticks used so far by each process of the app server (gunicorn, its
    workers) and by each PostgreSQL backend serving the bench's database: unlike requests
    per second, CPU time per request hardly changes with what else the shared machine does
    meanwhile. Backends of other databases (other people's work on the same server) do not
    count."""
    database = "/" + DATABASE_URL.rsplit("/", 1)[-1]
    ticks: dict[str, dict[int, int]] = {"app": {}, "database": {}}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            values = stat[stat.rindex(")") + 2 :].split()
            if int(values[2]) == server_group:
                part = "app"
            elif stat[stat.index("(") + 1 : stat.rindex(")")] == "postgres":
                title = Path(entry.path, "cmdline").read_bytes().decode(errors="replace")
                if f" {database[1:]} " not in title:
                    continue
                part = "database"
            else:
                continue
        except (OSError, ValueError):  # ended meanwhile
            continue
        ticks[part][int(entry.name)] = int(values[11]) + int(values[12])  # utime + stime
    return ticks


def cpu_used(
    before: dict[str, dict[int, int]], after: dict[str, dict[int, int]]
) -> dict[str, float]:
    """CPU seconds per part between two ``cpu_ticks``: what each process used meanwhile (a
    process that started meanwhile counts from zero)."""
    hertz = os.sysconf("SC_CLK_TCK")
    return {
        part: sum(max(0, t - before[part].get(pid, 0)) for pid, t in after[part].items()) / hertz
        for part in after
    }


def rss_mib(group: int) -> float:
    """The resident memory of a process group's processes (the worker), in MiB."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != group:
                continue
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def pdf_ready_seconds(browser: Browser, slug: str) -> float:
    """Request the PDF of changed content and return the seconds until it is downloaded:
    the request, the waiting page's polls, the download."""
    started = time.perf_counter()
    path = f"/vorhaben/{slug}/checkliste.pdf"
    while True:
        answer = browser.request("GET", path)
        if answer.status == 302:
            path = answer.location
            continue
        if answer.status != 200:
            raise SystemExit(f"GET {path} answers {answer.status}")
        if answer.content_type == "application/pdf":
            return time.perf_counter() - started
        time.sleep(0.05)


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make bench does it as root)")
    print(
        f"Setting up {ONBOARDINGS:,} onboardings across {AUTHORITIES + PROVIDERS} organisations …"
    )
    info = setup_data()
    print(f"  data ready in {info['seconds']} s")
    print("PDF export against plain WeasyPrint on the same record …", flush=True)
    info["pdf_compare"] = pdf_against_plain(info["fresh_slugs"][:16])
    manage("collectstatic", "--noinput", "--verbosity", "0")
    (ROOT / "var").mkdir(exist_ok=True)
    log = (ROOT / "var" / "bench-server.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=ENV,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.05"],
        cwd=ROOT,
        env=ENV,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        wait_for(f"{BASE}/healthz")
        run(info, server.pid, worker.pid)
    finally:
        for process in (server, worker):
            os.killpg(process.pid, signal.SIGTERM)
        for process in (server, worker):
            process.wait(timeout=30)
        log.close()


def signed_in(email: str) -> Browser:
    browser = Browser("127.0.0.1", PORT)
    browser.sign_in(email, PASSWORD, TOTP_KEY)
    return browser


def run(info: dict[str, Any], server_group: int, worker_group: int) -> None:
    time.sleep(3)  # the worker warms up (fonts) before it takes tasks
    user, operator = signed_in(info["emails"]["provider"]), signed_in(info["emails"]["operator"])
    slug, pdf_slugs = info["slug"], info["pdf_slugs"]
    # PDFs: the first render after the worker started, then later ones (all new content).
    times = [pdf_ready_seconds(user, s) for s in pdf_slugs]
    pdf_first, pdf_later = times[0], statistics.median(times[1:])
    worker_rss = rss_mib(worker_group)
    step_page = f"/vorhaben/{slug}/schritt/2/"
    token = user.page_token(step_page)
    signed = {"Cookie": user.cookie_header()}
    ticking = {**signed, "X-CSRFToken": token, "HX-Request": "true", "Referer": BASE + step_page}
    api = {"Authorization": f"Bearer {info['api_token']}", "Accept": "application/json"}
    # Step pages seen for the first time (rendered, not from the page cache): each round
    # goes on where the last one stopped, over 5 steps of hundreds of onboardings.
    first_views = [
        f"/vorhaben/{fresh}/schritt/{number}/"
        for fresh in info["fresh_slugs"]
        for number in range(1, 6)
    ]
    read_floors = [
        f"/bench/lesen/{fresh}/{number}/"
        for fresh in info["fresh_slugs"][:100]
        for number in range(1, 6)
    ]
    # Its templates alone: the five steps of one onboarding, from contexts built ahead.
    renders = [f"/bench/zeichnen/{info['fresh_slugs'][-1]}/{number}/" for number in range(1, 6)]
    scenarios: dict[str, tuple[str, dict[str, str], str, str]] = {
        "bare_anonymous": ("/bench/bare/", {}, "GET", "text/plain"),
        "bare_signed_in": ("/bench/bare/", signed, "GET", "text/plain"),
        "overview_999": ("/vorhaben/", signed, "GET", "text/html"),
        "overview_10k_operator": (
            "/vorhaben/",
            {"Cookie": operator.cookie_header()},
            "GET",
            "text/html",
        ),
        # The site operator's dashboard counts all 10,000 onboardings.
        "dashboard_10k": (
            "/vorhaben/steuerung/",
            {"Cookie": operator.cookie_header()},
            "GET",
            "text/html",
        ),
        "onboarding_page": (f"/vorhaben/{slug}/", signed, "GET", "text/html"),
        "step_page": (step_page, signed, "GET", "text/html"),
        "step_page_first_view": (first_views[0], signed, "GET", "text/html"),
        # The least a first view costs: the page's reads in raw SQL, nothing rendered.
        "step_page_read_floor": (read_floors[0], signed, "GET", "text/plain"),
        "step_page_render_floor": (renders[0], signed, "GET", "text/html"),
        "tick": (f"/vorhaben/{slug}/punkte/step2.client/abhaken/", ticking, "POST", "text/html"),
        # The least a durable tick costs here: its four statements in raw SQL, no page.
        "tick_write_floor": (f"/bench/schreiben/{pdf_slugs[-1]}/", ticking, "POST", "text/"),
        "api_get": (f"/api/v1/onboardings/{slug}", api, "GET", "application/json"),
        "api_list_100": ("/api/v1/onboardings?per_page=100", api, "GET", "application/json"),
        "pdf_cached": (f"/vorhaben/{pdf_slugs[0]}/checkliste.pdf", signed, "GET", "application/"),
    }
    # wrk counts only 4xx and 5xx as bad: a redirect (to the sign-in, to the second factor)
    # would be measured as if it were the page. Each address must answer 200 first.
    for path, headers, method, content_type in scenarios.values():
        user.expect_ok(method, path, headers, content_type)
    for path in renders * 6:  # each app server process builds the contexts before the rounds
        user.expect_ok("GET", path, signed, "text/html")
    first_views = first_views[1:]  # the first one was just seen
    figures: dict[str, list[dict[str, float]]] = {name: [] for name in scenarios}
    seen = 0
    for number in range(1, ROUNDS + 1):
        print(f"round {number} of {ROUNDS} …", flush=True)
        for name, (path, headers, method, _type) in scenarios.items():
            before = cpu_ticks(server_group)
            if name == "step_page_first_view":
                figures[name].append(wrk(path, headers, method, first_views[seen:]))
                seen += int(figures[name][-1]["requests"])
                if seen >= len(first_views):
                    raise SystemExit("too few onboardings for first views: raise fresh_slugs")
            elif name in ("step_page_read_floor", "step_page_render_floor"):
                paths = read_floors if name == "step_page_read_floor" else renders
                figures[name].append(wrk(path, headers, method, paths))
            else:
                figures[name].append(wrk(path, headers, method))
            used = cpu_used(before, cpu_ticks(server_group))
            requests = figures[name][-1]["requests"]
            for part, seconds in used.items():
                figures[name][-1][f"{part}_cpu_ms"] = 1000 * seconds / requests
    report(info, figures, pdf_first, pdf_later, worker_rss)


def report(
    info: dict[str, Any],
    figures: dict[str, list[dict[str, float]]],
    pdf_first: float,
    pdf_later: float,
    worker_rss: float,
) -> None:
    """Print the figures and the goals, by throughput and by CPU; write var/bench.json."""
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
    total = {n: parts["app"] + parts["database"] for n, parts in cpu.items()}
    bare, bare_cpu = rps["bare_signed_in"], total["bare_signed_in"]
    print()
    print(
        f"{'figure':<24}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'÷ bare signed-in':>18}"
        f"{'CPU ms/req':>12}{' app+db':>14}{'÷ bare (CPU)':>14}"
    )
    for name in figures:
        print(
            f"{name:<24}{rps[name]:>8.0f}{p50[name]:>8.1f}{p95[name]:>8.1f}"
            f"{rps[name] / bare:>17.2f}×{total[name]:>12.2f}"
            f"{cpu[name]['app']:>7.2f}+{cpu[name]['database']:<6.2f}"
            f"{bare_cpu / total[name]:>13.2f}×"
        )
    print("CPU ms/req: app server and PostgreSQL together (wrk's own share not counted)")
    compared = info["pdf_compare"]
    result: dict[str, Any] = {
        "step_page_ratio": round(rps["step_page"] / bare, 3),
        "step_page_first_view_ratio": round(rps["step_page_first_view"] / bare, 3),
        "step_page_first_view_p50_ms": round(p50["step_page_first_view"], 1),
        "tick_ratio": round(rps["tick"] / bare, 3),
        "tick_write_floor_ratio": round(rps["tick_write_floor"] / bare, 3),
        # How many times the write floor's cost a tick takes (throughput: floor ÷ tick).
        "tick_over_write_floor": round(rps["tick_write_floor"] / rps["tick"], 3),
        "overview_10k_p95_ms": round(p95["overview_999"], 1),
        "overview_10k_operator_p95_ms": round(p95["overview_10k_operator"], 1),
        "dashboard_10k_p95_ms": round(p95["dashboard_10k"], 1),
        "onboarding_page_ratio": round(rps["onboarding_page"] / bare, 3),
        "overview_ratio": round(rps["overview_999"] / bare, 3),
        # How many times an anonymous request's cost a signed-in one takes.
        "signed_in_over_anonymous": round(rps["bare_anonymous"] / bare, 3),
        "api_get_ratio": round(rps["api_get"] / bare, 3),
        "api_list_100_ratio": round(rps["api_list_100"] / bare, 3),
        "api_list_100_p95_ms": round(p95["api_list_100"], 1),
        "api_list_100_p50_ms": round(p50["api_list_100"], 1),
        "pdf_first_s": round(pdf_first, 3),
        "pdf_later_s": round(pdf_later, 3),
        "pdf_first_over_later": round(pdf_first / pdf_later, 3),
        "pdf_cached_ms": round(p50["pdf_cached"], 1),
        "pdf_over_plain": round(compared["export_s"] / compared["plain_s"], 3),
        "pdf_over_plain_cpu": round(compared["export_cpu_s"] / compared["plain_cpu_s"], 3),
        "pdf_compare": compared,
        "worker_rss_mib": round(worker_rss, 1),
        "requests_per_second": {name: round(value, 1) for name, value in rps.items()},
        # CPU per request barely depends on the neighbours on a shared machine: the ratios
        # by CPU back up those by throughput, which swing with them.
        "cpu_ms_per_request": {
            name: {part: round(value, 3) for part, value in parts.items()}
            for name, parts in cpu.items()
        },
        "tick_cpu_ratio": round(bare_cpu / total["tick"], 3),
        "tick_write_floor_cpu_ratio": round(bare_cpu / total["tick_write_floor"], 3),
        "tick_cpu_over_floor": round(total["tick"] / total["tick_write_floor"], 3),
        "step_page_cpu_ratio": round(bare_cpu / total["step_page"], 3),
        "step_first_cpu_ratio": round(bare_cpu / total["step_page_first_view"], 3),
        # What the first view's ratio would be if building and rendering the page cost
        # nothing: the goal of 0.50 lies below it where this is under 0.50.
        "step_read_floor_ratio": round(rps["step_page_read_floor"] / bare, 3),
        "step_read_floor_cpu_ratio": round(bare_cpu / total["step_page_read_floor"], 3),
        "step_first_cpu_over_read_floor": round(
            total["step_page_first_view"] / total["step_page_read_floor"], 3
        ),
        # Reads plus templates, the bare request in both counted once: the least a first view
        # costs while these templates render the page.
        "step_floor_cpu_ms": round(
            total["step_page_read_floor"] + total["step_page_render_floor"] - bare_cpu, 2
        ),
        "step_floor_cpu_ratio": round(
            bare_cpu / (total["step_page_read_floor"] + total["step_page_render_floor"] - bare_cpu),
            3,
        ),
        "signed_in_over_anonymous_cpu_ratio": round(total["bare_anonymous"] / bare_cpu, 3),
        "signed_in_cpu_over_anonymous": round(bare_cpu / total["bare_anonymous"], 3),
        "api_get_cpu_ratio": round(bare_cpu / total["api_get"], 3),
        "api_list_100_cpu_ms": round(total["api_list_100"], 2),
        "overview_999_cpu_ms": round(total["overview_999"], 2),
        "overview_10k_cpu_ms": round(total["overview_10k_operator"], 2),
        "rounds": ROUNDS,
        "seconds_per_run": SECONDS,
        "onboardings": ONBOARDINGS,
    }
    print()
    print(
        f"PDF: first after the worker started {pdf_first:.2f} s, later ones {pdf_later:.2f} s"
        f" (request to download, through the worker); worker RSS after them {worker_rss:.0f} MiB"
    )
    print(
        f"PDF export {compared['export_s']:.3f} s (CPU {compared['export_cpu_s']:.3f} s) against"
        f" plain WeasyPrint on the same record {compared['plain_s']:.3f} s (CPU "
        f"{compared['plain_cpu_s']:.3f} s), {compared['slug']}, {compared['html_kib']} KiB HTML"
    )
    print(
        f"Tick {result['tick_ratio']:.2f}× bare (by CPU {result['tick_cpu_ratio']:.2f}×); its"
        " write floor (its four statements in raw SQL, no page) "
        f"{result['tick_write_floor_ratio']:.2f}× (by CPU "
        f"{result['tick_write_floor_cpu_ratio']:.2f}×): the tick costs "
        f"{result['tick_over_write_floor']:.2f}× its floor (by CPU "
        f"{result['tick_cpu_over_floor']:.2f}×)"
    )
    print(
        f"Step page seen for the first time {result['step_page_first_view_ratio']:.2f}× bare"
        f" (by CPU {result['step_first_cpu_ratio']:.2f}×); its read floor (the page's"
        f" statements in raw SQL, nothing built or rendered) {result['step_read_floor_ratio']:.2f}×"
        f" (by CPU {result['step_read_floor_cpu_ratio']:.2f}×): the first view costs "
        f"{result['step_first_cpu_over_read_floor']:.1f}× its floor by CPU; reads and templates"
        f" (rendered from a context built ahead) together {result['step_floor_cpu_ms']:.2f} ms"
        f" CPU, {bare_cpu / result['step_floor_cpu_ms']:.2f}× bare"
    )
    print(
        f"Later PDF {pdf_later:.2f} s through the worker; WeasyPrint alone on the same record "
        f"{compared['plain_s']:.2f} s here (CPU {compared['plain_cpu_s']:.2f} s): the floor of "
        "any export"
    )
    print()
    met = below_floor = 0
    for key, sense, goal, cpu_key in GOALS:
        ok = meets(result[key], sense, goal)
        met += ok
        by_cpu = ""
        if cpu_key is not None:
            verdict = "met" if meets(result[cpu_key], sense, goal) else "MISSED"
            by_cpu = f"   by CPU {result[cpu_key]:>7}: {verdict}"
        if key in FLOORS and not ok and not meets(result[FLOORS[key]], sense, goal):
            below_floor += 1
            by_cpu += f"; its floor by CPU {result[FLOORS[key]]}: the goal lies beyond it"
        print(
            f"  {key:<30}{result[key]:>9}   goal {sense} {goal:<6}"
            f"{'met' if ok else 'MISSED':<7}{by_cpu}"
        )
    print()
    print(
        f"SUMMARY: {met} of {len(GOALS)} goals met (by throughput or wall clock), "
        f"{below_floor} beyond its measured floor – "
        f"signed-in/anonymous {result['signed_in_over_anonymous']:.2f}× "
        f"(CPU {result['signed_in_cpu_over_anonymous']:.2f}×), first-view step page "
        f"{result['step_page_first_view_ratio']:.2f}× (CPU {result['step_first_cpu_ratio']:.2f}×), "
        f"tick/floor {result['tick_over_write_floor']:.2f}× "
        f"(CPU {result['tick_cpu_over_floor']:.2f}×), overview p95 "
        f"{result['overview_10k_p95_ms']:.0f}/{result['overview_10k_operator_p95_ms']:.0f} ms "
        f"(CPU {result['overview_999_cpu_ms']:.0f}/{result['overview_10k_cpu_ms']:.0f} ms), "
        f"API GET {result['api_get_ratio']:.2f}× (CPU {result['api_get_cpu_ratio']:.2f}×), "
        f"API list of 100 p95 {result['api_list_100_p95_ms']:.0f} ms, PDF/plain "
        f"{result['pdf_over_plain']:.2f}× (CPU {result['pdf_over_plain_cpu']:.2f}×), later PDF "
        f"{result['pdf_later_s']:.2f} s (2 shared cores: noisy)"
    )
    (ROOT / "var" / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    print("written: var/bench.json")


if __name__ == "__main__":
    main()
