"""The connection check's form of a "Verbindung prüfen" panel, unbound, rendered once.

A stage's step page shows the form for each environment the provider can check; rendering
its fields through Django's form renderer (a field group and a widget template per field)
cost more than the rest of the panel. Unbound, its HTML depends only on the language, on
whether the environment is production (fewer fields) and on which secrets are stored (their
hint), so each field group is rendered once per these and kept. A bound form (secrets
refused) is rendered as it is (``checklist.verification_views``).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.safestring import SafeString
from django.utils.translation import get_language

from checklist.stand_ins import kept
from checklist.verification_forms import VerifyForm


@kept(256)
def _field_groups(
    language: str | None, stored: frozenset[str], withheld: frozenset[str], production: bool
) -> tuple[SafeString, ...]:
    form = VerifyForm(stored=set(stored), withheld=set(withheld), production=production)
    return tuple(SafeString(field.as_field_group()) for field in form)


class BlankField:
    def __init__(self, html: SafeString) -> None:
        self.html = html

    def as_field_group(self) -> SafeString:
        return self.html


class BlankVerifyForm:
    """What a panel asks of ``VerifyForm(stored=…, withheld=…, production=…)`` unbound: its
    field groups, in order, and no errors."""

    def __init__(self, *, stored: set[str], withheld: set[str], production: bool) -> None:
        self.key = (frozenset(stored), frozenset(withheld), production)

    def non_field_errors(self) -> list[str]:
        return []  # an unbound form has none

    def __iter__(self) -> Iterator[BlankField]:
        return iter([BlankField(html) for html in _field_groups(get_language(), *self.key)])
