"""How a checklist item becomes done: one class per kind, in one registry.

The catalogue names each item's kind (``"completion"`` in ``catalogue.json``); everything
else asks the kind, never compares its name: whether a person may tick it, how it counts as
done, what the step page says under it (its template snippet ``checklist/kinds/<name>.html``),
how the PDF names who did it, its name in the API. Adding a kind means a class here, its
snippet and its tests.

Below ``checklist.state``: the kinds get the onboarding's state passed in and ask it for
facts (``data_done``, ``signoff_valid``, ``done_keys``), they import nothing of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.utils import dateformat, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from checklist.catalogue import Item
    from checklist.state import ItemView, OnboardingState


class ItemKind:
    """A kind of item. Subclasses set the class attributes and, where needed, ``is_done``."""

    name: ClassVar[str]
    # What the API documentation says of it (English, like the API's schema).
    description: ClassVar[str]
    # A person ticks and unticks it (by hand, in the portal or through the API).
    tickable: ClassVar[bool] = True
    # A passed connection check ticks it, a contradicting one reopens it.
    proven_by_run: ClassVar[bool] = False
    # Follows from the sign-off of its environment: not among what is declared or frozen.
    is_signoff: ClassVar[bool] = False
    # Why a person cannot tick it (only for kinds that are not tickable).
    refusal: ClassVar[Promise | None] = None
    # The bindings an item of this kind may name (None: any, or none).
    bindings: ClassVar[frozenset[str] | None] = None

    @property
    def template(self) -> str:
        """The snippet that says under the item how it becomes (or became) done."""
        return f"checklist/kinds/{self.name}.html"

    @property
    def automatic(self) -> bool:
        return not self.tickable

    def is_done(self, state: OnboardingState, item: Item) -> bool:
        return item.key in state.done_keys

    def pdf_done_by(self, view: ItemView) -> str:
        """Who did it, for the PDF's table (the record is German)."""
        if not view.done:
            return "–"
        who = view.done_by or "ehemaliges Mitglied"
        if view.done_at is None:
            return who
        return f"{who}, {dateformat.format(timezone.localtime(view.done_at), 'd.m.Y H:i')}"

    def __str__(self) -> str:
        return self.name


class ManualKind(ItemKind):
    name = "manual"
    description = "ticked by people"


class CheckKind(ItemKind):
    name = "check"
    description = "ticked by a passed connection check, or by hand until a check has run"
    proven_by_run = True


class DataKind(ItemKind):
    name = "data"
    description = "ticks itself from the recorded data"
    tickable = False
    refusal = gettext_lazy("This item ticks itself from the recorded data.")
    bindings = frozenset(
        {
            "leistungen",
            "schemas",
            "reply_channels",
            "regions",
            "provider",
            "metadata_versions",
            "test_environment",
            "reference_environment",
            "production_environment",
            "contacts",
            "go_live",
        }
    )

    def is_done(self, state: OnboardingState, item: Item) -> bool:
        return state.data_done(item.binding or "")

    def pdf_done_by(self, view: ItemView) -> str:
        return "aus den erfassten Daten" if view.done else "–"


class SignOffKind(ItemKind):
    name = "signoff"
    description = "done by the sign-off of its environment"
    tickable = False
    is_signoff = True
    refusal = gettext_lazy("This item is done by the sign-off of its environment.")

    def is_done(self, state: OnboardingState, item: Item) -> bool:
        return state.signoff_valid(item.binding or "")


KINDS: dict[str, ItemKind] = {
    kind.name: kind for kind in (ManualKind(), CheckKind(), DataKind(), SignOffKind())
}


def kind_named(name: str) -> ItemKind:
    """Return the kind the catalogue names; KeyError for an unknown one."""
    return KINDS[name]
