"""Render accessible PDFs (PDF/UA-1) with WeasyPrint, fetching nothing but our own static files.

WeasyPrint is imported on first use, not at start-up. Fonts and the stylesheet are parsed
once per process and reused by every render.
"""

from __future__ import annotations

import atexit
import logging
import mimetypes
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string

if TYPE_CHECKING:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

logger = logging.getLogger(__name__)

# Documents are rendered against this made-up origin; only its /static/ path is served.
BASE_URL = "https://anbindungsportal.invalid/"
STATIC_PREFIX = f"{BASE_URL}static/"
STYLESHEET = "css/pdf.css"


class RefusedURL(ValueError):
    """A URL outside the project's static files; WeasyPrint skips the resource."""


def static_path(url: str) -> Path:
    """Return the file behind a URL under ``STATIC_PREFIX``, or raise ``RefusedURL``."""
    if not url.startswith(STATIC_PREFIX):
        raise RefusedURL(f"Only the portal's own static files are loaded, not {url!r}.")
    relative = url[len(STATIC_PREFIX) :].split("?", 1)[0].split("#", 1)[0]
    try:
        found = finders.find(relative)
    except SuspiciousFileOperation:
        found = None
    if not found or not isinstance(found, str):
        raise RefusedURL(f"No static file {relative!r}.")
    return Path(found)


@cache
def _fetcher() -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]
        """Serve the portal's static files; refuse every other URL (no file:, no network)."""

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
            try:
                path = static_path(url)
            except RefusedURL:
                logger.warning("PDF rendering refused to fetch %s", url[:200])
                raise
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                url, body=path.read_bytes(), headers={"Content-Type": content_type}
            )

    return StaticOnlyFetcher(fail_on_errors=False)


@cache
def _font_config() -> FontConfiguration:
    from weasyprint.text.fonts import FontConfiguration

    # Release the fonts before interpreter shutdown, while WeasyPrint can still clean up.
    atexit.register(_release_fonts)
    return FontConfiguration()


def _release_fonts() -> None:
    _stylesheet.cache_clear()
    _font_config.cache_clear()


@cache
def _stylesheet() -> CSS:
    from weasyprint import CSS

    return CSS(
        url=f"{STATIC_PREFIX}{STYLESHEET}",
        url_fetcher=_fetcher(),
        font_config=_font_config(),
    )


def warm_up() -> None:
    """Parse the fonts and the stylesheet now, so that the first render is not the slow one.

    A background worker calls it when it starts (settings.WORKER_WARM_UP).
    """
    render_html_to_pdf(
        '<!doctype html><html lang="de"><head><meta charset="utf-8"><title>-</title></head>'
        "<body><h1>Anbindungsportal</h1><p>Übersicht ☐ ☑</p></body></html>"
    )


def render_html_to_pdf(html: str) -> bytes:
    """Return the HTML document as a tagged PDF/UA-1."""
    return _render(html, "pdf/ua-1")


def render_html_to_pdf_a3(html: str, files: list[tuple[str, str, str]]) -> bytes:
    """Return the HTML document as PDF/A-3b with ``files`` embedded.

    Each file is (name, description, text); its ``AFRelationship`` is ``Data`` (the
    machine-readable form of what the pages show) and it is listed in the catalogue's
    ``/AF`` array, as PDF/A-3 asks.
    """
    from weasyprint import Attachment

    attachments = [
        Attachment(
            string=text,
            name=name,
            description=description,
            relationship="Data",
            url_fetcher=_fetcher(),
        )
        for name, description, text in files
    ]
    return _render(html, "pdf/a-3b", attachments)


def _render(html: str, variant: str, attachments: list[Any] | None = None) -> bytes:
    from weasyprint import HTML

    document = HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher())
    pdf = document.write_pdf(
        stylesheets=[_stylesheet()],
        font_config=_font_config(),
        pdf_variant=variant,
        attachments=attachments,
    )
    assert pdf is not None  # noqa: S101 - write_pdf returns bytes without a target
    return pdf  # type: ignore[no-any-return]


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render a Django template to a PDF/UA-1 document."""
    return render_html_to_pdf(render_to_string(template, context))
