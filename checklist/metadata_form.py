"""Step 2's metadata versions form, unbound, rendered once per language and choice.

Step 2 offers the form to choose the metadata versions; rendering it through Django's form
renderer (the form, its field group, the checkbox list) cost about a millisecond, a tenth
of the whole page. Unbound, its HTML depends only on the language and the versions chosen
(read from the onboarding with every page), so it is rendered once per both and kept. A
bound form (a choice refused) is rendered as it is (``checklist.views.metadata_versions``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import get_language

from checklist.forms import MetadataVersionsForm
from checklist.stand_ins import kept


@kept(64)
def _html(language: str | None, versions: tuple[str, ...]) -> SafeString:
    return SafeString(MetadataVersionsForm(initial={"versions": list(versions)}))


class BlankMetadataVersionsForm:
    """What the step page asks of ``MetadataVersionsForm(initial={"versions": …})``: no
    errors, and its HTML."""

    def __init__(self, versions: Sequence[Any]) -> None:
        self.versions = list(versions)
        self.errors: dict[str, list[str]] = {}  # an unbound form has none

    def __str__(self) -> str:
        return self.__html__()

    def __html__(self) -> SafeString:
        if all(isinstance(version, str) for version in self.versions):
            return _html(get_language(), tuple(self.versions))
        # Not kept: stored versions that are not plain names (never from the portal's form).
        return SafeString(MetadataVersionsForm(initial={"versions": self.versions}))
