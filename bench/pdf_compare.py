"""The PDF export against plain WeasyPrint on the same record (``make bench``, in the bench's
database, run through ``manage.py shell``).

The export is what the worker does for a person: the record built from the database, its
template, and WeasyPrint with the project's layout (stylesheet, embedded fonts, PDF/UA-1).
Plain WeasyPrint gets the same record's HTML and nothing else: its default stylesheet and
fonts, an ordinary PDF. Both are timed in turns, by wall clock and by this process's CPU.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from checklist.export import export_record, record_html
from checklist.models import Onboarding
from checklist.pdf import warm_up

ROUNDS = 5


def plain_weasyprint(html: str) -> bytes:
    """The record's HTML rendered by WeasyPrint as it comes: no stylesheet, fonts or PDF/UA."""
    from weasyprint import HTML

    pdf = HTML(string=html).write_pdf()
    assert pdf is not None
    return pdf  # type: ignore[no-any-return]


def _timed(action: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def compare(candidates: list[str]) -> dict[str, Any]:
    """Time the export of the largest of ``candidates`` (slugs) against plain WeasyPrint."""
    warm_up()
    onboardings = list(Onboarding.objects.filter(slug__in=candidates))
    onboarding = max(onboardings, key=lambda o: len(record_html(o)))
    html = record_html(onboarding)
    plain_weasyprint(html)  # WeasyPrint's own first-use costs are not the export's
    export_record(onboarding)
    times: dict[str, list[tuple[float, float]]] = {"export": [], "plain": []}
    for _ in range(ROUNDS):
        times["export"].append(_timed(lambda: export_record(onboarding)))
        times["plain"].append(_timed(lambda: plain_weasyprint(html)))
    wall = {name: statistics.median(t[0] for t in runs) for name, runs in times.items()}
    cpu = {name: statistics.median(t[1] for t in runs) for name, runs in times.items()}
    return {
        "slug": onboarding.slug,
        "html_kib": round(len(html.encode()) / 1024, 1),
        "export_s": round(wall["export"], 3),
        "plain_s": round(wall["plain"], 3),
        "export_cpu_s": round(cpu["export"], 3),
        "plain_cpu_s": round(cpu["plain"], 3),
    }
