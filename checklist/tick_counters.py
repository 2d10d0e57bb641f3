"""The out-of-band part of a tick's answer: the step's and the onboarding's counters and the
announcement, as the step page's partials ``progress_oob`` and ``announce_oob`` render them.

Every tick answers with them. Rendered by the template engine they cost about as much as
the item's own status: each number is localised and each sentence translated on every
tick. Their HTML depends on nothing but the language, the seven values and the template, so
it is rendered once per language with markers in place of the values (the partials stay
the one source of the markup), and each tick puts its values in, converted and escaped as
the template engine converts and escapes a value (``render_value_in_context``). A test
compares the result with the partials rendered as usual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils.autoreload import file_changed
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from checklist.state import Progress

# Private-use characters: neither the template engine's escaping nor localising changes them.
_MARK = re.compile("\ue000([a-z_]+)\ue001")
_PARTIALS = ("checklist/step.html#progress_oob", "checklist/step.html#announce_oob")


def _marker(name: str) -> str:
    return f"\ue000{name}\ue001"


@dataclass(frozen=True)
class _MarkedProgress:
    """Stands in for a ``Progress`` while the partials are rendered with markers."""

    prefix: str

    @property
    def done(self) -> str:
        return _marker(f"{self.prefix}_done")

    @property
    def total(self) -> str:
        return _marker(f"{self.prefix}_total")

    @property
    def percent(self) -> str:
        return _marker(f"{self.prefix}_percent")


@dataclass(frozen=True)
class _MarkedCard:
    progress: _MarkedProgress


@lru_cache(maxsize=16)
def _pieces(language: str | None) -> tuple[str, ...]:
    """The partials' HTML in the language, split at the markers: text, name, text, …"""
    context = {
        "card": _MarkedCard(_MarkedProgress("step")),
        "overall": _MarkedProgress("overall"),
        "announcement": _marker("announcement"),
        "error": False,
    }
    html = "".join(render_to_string(name, context) for name in _PARTIALS)
    return tuple(_MARK.split(html))


@receiver(file_changed, dispatch_uid="tick_counters_template_changed")
def _template_changed(sender: Any, file_path: Any, **kwargs: Any) -> None:
    """The development server reloads a changed template without a restart: so do these."""
    if file_path.suffix != ".py":
        _pieces.cache_clear()


def _as_html(value: Any, language: str | None) -> str:
    # As the template engine shows a value: localised, then escaped (``autoescape``).
    if type(value) is int:
        return _number(value, language)
    value = localize(value)
    return conditional_escape(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=1024)
def _number(value: int, language: str | None) -> str:
    """A count as the language shows it (counts are small: the same few again and again)."""
    return conditional_escape(str(localize(value)))


def counters(step: Progress, overall: Progress, announcement: str) -> SafeString:
    """The HTML of ``progress_oob`` and ``announce_oob`` for a tick's answer."""
    values = {
        "step_done": step.done,
        "step_total": step.total,
        "step_percent": step.percent,
        "overall_done": overall.done,
        "overall_total": overall.total,
        "overall_percent": overall.percent,
        "announcement": announcement,
    }
    language = get_language()
    pieces = _pieces(language)
    parts = [
        piece if number % 2 == 0 else _as_html(values[piece], language)
        for number, piece in enumerate(pieces)
    ]
    return mark_safe("".join(parts))  # noqa: S308  (the template's text, values escaped)
