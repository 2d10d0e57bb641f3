"""The hand-tick reason field of a step page's items, rendered once per language.

A step page offers a reason field for every open item a connection check proves; rendering
each through Django's form renderer cost more than the rest of the item. An unbound field
differs between items only by the item's id, so it is rendered once per language with a
stand-in for the id and the item's id put in. A bound form (a reason refused) is rendered
as it is (``checklist.view_support``).
"""

from __future__ import annotations

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from checklist.forms import HandTickForm
from checklist.stand_ins import cut, fill, kept, stand_in


@kept(maxsize=None)
def _parts(language: str | None) -> tuple[str, ...]:
    return cut(str(HandTickForm(dom_id=stand_in("dom_id"))["reason"].as_field_group()))


class BlankReason:
    def __init__(self, dom_id: str) -> None:
        self.dom_id = dom_id

    def as_field_group(self) -> SafeString:
        """``HandTickForm(dom_id=…)["reason"].as_field_group()``, the same HTML."""
        return fill(_parts(get_language()), {"dom_id": conditional_escape(self.dom_id)})


class BlankHandTickForm:
    """What the step page asks of an unbound ``HandTickForm``: no errors, its reason field."""

    def __init__(self, dom_id: str) -> None:
        self.reason = BlankReason(dom_id)
        self.errors: dict[str, list[str]] = {}  # an unbound form has none
