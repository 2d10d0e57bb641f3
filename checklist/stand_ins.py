"""HTML rendered once, with stand-ins where a few values go, and those values put in per use.

A step page repeats the same few fragments for every item (a form field, a button, the
counters of a tick's answer), differing only by an id, a title or a number. Each is
rendered once per language (and the few choices it depends on) with ``stand_in(name)`` where
a value goes, ``cut`` at the stand-ins and kept (``kept``); ``fill`` puts each use's values
in. The templates stay the one source of the markup.

Stand-ins are private-use characters: neither the template engine's escaping, nor
localising, nor a form's ids change them. The development server reloads a changed template
without a restart: the kept fragments are then made anew, as the template loaders are.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from django.dispatch import receiver
from django.utils.autoreload import file_changed
from django.utils.safestring import SafeString, mark_safe

_STAND_IN = re.compile("\ue000([a-z_]+)\ue001")
_KEPT: list[Any] = []


def stand_in(name: str) -> str:
    """What to render where the value ``name`` goes."""
    return f"\ue000{name}\ue001"


def cut(html: str) -> tuple[str, ...]:
    """The HTML cut at its stand-ins: text, name, text, name, …, text."""
    return tuple(_STAND_IN.split(html))


def fill(pieces: tuple[str, ...], values: Mapping[str, str]) -> SafeString:
    """The HTML ``cut`` made, each stand-in replaced by its value (HTML, escaped already)."""
    return mark_safe(  # noqa: S308 (the template's text and escaped values)
        "".join(piece if number % 2 == 0 else values[piece] for number, piece in enumerate(pieces))
    )


def kept[F: Callable[..., Any]](maxsize: int | None) -> Callable[[F], F]:
    """``functools.lru_cache(maxsize)`` for what a template renders, forgotten when the
    development server sees a template change."""

    def decorate(function: F) -> F:
        cached = functools.lru_cache(maxsize=maxsize)(function)
        _KEPT.append(cached)
        return cached  # type: ignore[return-value]

    return decorate


@receiver(file_changed, dispatch_uid="stand_ins_template_changed")
def _template_changed(sender: Any, file_path: Any, **kwargs: Any) -> None:
    if file_path.suffix != ".py":
        for cached in _KEPT:
            cached.cache_clear()
