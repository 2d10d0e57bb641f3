"""Benchmark: the checklist PDF export against a plain WeasyPrint render of equal length.

Renders the largest demo onboarding through the real export (database, template, fonts,
PDF/UA), then a plain HTML document with the same page count and the same fonts through
the same WeasyPrint pipeline, in one run, and prints both times and their ratio.
Targets: ratio at most 1.3; the export under 0.6 s for a record of about five pages.

Run with `make bench-pdf`.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "true")
os.environ["DATABASE_URL"] = "sqlite:///:memory:"

import django

django.setup()

import pikepdf
from django.core.management import call_command
from django.template.loader import render_to_string
from django.utils import translation

from checklist.export import export_record, record_context
from checklist.models import Onboarding
from checklist.pdf import render_html_to_pdf

ROUNDS = 7
PARAGRAPH = (
    "<p>Die Behörde legt fest, welche Leistungen online beantragt werden können, notiert "
    "ihre Leistungsschlüssel und wählt den Antwortkanal des Fachverfahrens. Der "
    "IT-Dienstleister richtet den Zustellpunkt ein und prüft die Schlüssel.</p>"
)


def pages(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(document.pages)


def plain_html(paragraphs: int) -> str:
    body = "".join(
        f"<h2>Abschnitt {n}</h2>{PARAGRAPH * 3}" if n % 4 == 0 else PARAGRAPH
        for n in range(paragraphs)
    )
    return (
        '<!doctype html><html lang="de"><head><meta charset="utf-8">'
        f"<title>Vergleichsdokument</title></head><body><h1>Vergleich</h1>{body}</body></html>"
    )


def plain_with_pages(target: int) -> str:
    """Return plain HTML that renders to exactly ``target`` pages (same fonts and styles)."""
    low, high = 1, 400
    while low < high:
        middle = (low + high) // 2
        if pages(render_html_to_pdf(plain_html(middle))) < target:
            low = middle + 1
        else:
            high = middle
    return plain_html(low)


def median_seconds(action: object) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    records = {o: export_record(o) for o in Onboarding.objects.all()}  # also warms fonts
    onboarding, pdf = max(records.items(), key=lambda pair: (pages(pair[1]), len(pair[1])))
    page_count = pages(pdf)
    plain = plain_with_pages(page_count)
    assert pages(render_html_to_pdf(plain)) == page_count

    with translation.override("de"):
        same_html = render_to_string("checklist/pdf/record.html", record_context(onboarding))

        def prepare() -> str:
            context = record_context(onboarding)
            return render_to_string("checklist/pdf/record.html", context)

        prepare_time = median_seconds(prepare)
    export_time = median_seconds(lambda: export_record(onboarding))
    plain_time = median_seconds(lambda: render_html_to_pdf(plain))
    same_time = median_seconds(lambda: render_html_to_pdf(same_html))
    ratio = export_time / plain_time
    per_page = export_time / page_count

    print(f"largest demo onboarding: {onboarding.slug} ({page_count} pages)")
    print(f"export (median of {ROUNDS}):        {export_time:.3f} s")
    print(f"plain render, same pages and fonts: {plain_time:.3f} s")
    verdict = "met" if ratio <= 1.3 else "MISSED"
    print(f"ratio export / plain:               {ratio:.2f} (target <= 1.30: {verdict})")
    print(f"WeasyPrint alone on the same HTML: {same_time:.3f} s")
    print(f"portal's own share (queries, template): {prepare_time:.3f} s")
    five_pages = per_page * 5
    print(
        f"export time scaled to 5 pages:      {five_pages:.3f} s "
        f"(target < 0.6 s: {'met' if five_pages < 0.6 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
