"""The hand-tick reason field of a step page's items, rendered once per language.

A step page offers a reason field for every open item a connection check proves; rendering
each through Django's form renderer cost more than the rest of the item. An unbound field
differs between items only by the item's id, so it is rendered once per language with a
stand-in for the id and the item's id put in. A bound form (a reason refused) is rendered
as it is (``checklist.view_support``).
"""

from __future__ import annotations

import functools

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from checklist.forms import HandTickForm

_STAND_IN = "hand-tick-item-id-stand-in"


@functools.cache
def _parts(language: str | None) -> tuple[str, ...]:
    html = str(HandTickForm(dom_id=_STAND_IN)["reason"].as_field_group())
    return tuple(html.split(_STAND_IN))


class BlankReason:
    def __init__(self, dom_id: str) -> None:
        self.dom_id = dom_id

    def as_field_group(self) -> SafeString:
        """``HandTickForm(dom_id=…)["reason"].as_field_group()``, the same HTML."""
        escaped = str(conditional_escape(self.dom_id))
        return mark_safe(escaped.join(_parts(get_language())))  # noqa: S308 (escaped parts)


class BlankHandTickForm:
    """What the step page asks of an unbound ``HandTickForm``: no errors, its reason field."""

    def __init__(self, dom_id: str) -> None:
        self.reason = BlankReason(dom_id)
        self.errors: dict[str, list[str]] = {}  # an unbound form has none
