"""The out-of-band part of a tick's answer: the step's and the onboarding's counters and the
announcement, as the step page's partials ``progress_oob`` and ``announce_oob`` render them.

Every tick answers with them. Rendered by the template engine they cost about as much as
the item's own status: each number is localised and each sentence translated on every
tick. Their HTML depends on nothing but the language, the seven values and the template, so
it is rendered once per language with stand-ins in place of the values
(``checklist.stand_ins``; the partials stay the one source of the markup), and each tick
puts its values in, converted and escaped as the template engine converts and escapes a
value (``render_value_in_context``). A test compares the result with the partials rendered
as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.template.loader import render_to_string
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from checklist.stand_ins import cut, fill, kept, stand_in
from checklist.state import Progress

_PARTIALS = ("checklist/step.html#progress_oob", "checklist/step.html#announce_oob")


@dataclass(frozen=True)
class _MarkedProgress:
    """Stands in for a ``Progress`` while the partials are rendered with stand-ins."""

    prefix: str

    @property
    def done(self) -> str:
        return stand_in(f"{self.prefix}_done")

    @property
    def total(self) -> str:
        return stand_in(f"{self.prefix}_total")

    @property
    def percent(self) -> str:
        return stand_in(f"{self.prefix}_percent")


@dataclass(frozen=True)
class _MarkedCard:
    progress: _MarkedProgress


@kept(maxsize=16)
def _pieces(language: str | None) -> tuple[str, ...]:
    """The partials' HTML in the language, cut at the stand-ins"""
    context = {
        "card": _MarkedCard(_MarkedProgress("step")),
        "overall": _MarkedProgress("overall"),
        "announcement": stand_in("announcement"),
        "error": False,
    }
    html = "".join(render_to_string(name, context) for name in _PARTIALS)
    return cut(html)


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
    return fill(
        _pieces(language), {name: _as_html(value, language) for name, value in values.items()}
    )
