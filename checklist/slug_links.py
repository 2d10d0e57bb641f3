"""Links to many onboardings' pages on one page, each address reversed once.

A list of onboardings links each row to its page (and the dashboard's rows to their
reminder and step too). Reversing a URL costs about as much as rendering the row, and the
addresses differ only by the slug: each is reversed once per page with a stand-in for the
slug, and the row's slug put in its place.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

_STAND_IN = "stand-in"  # in the reversed address once, where the slug goes


class SlugLinks:
    """The addresses of a page's rows, each URL name (and further arguments) reversed once."""

    def __init__(self) -> None:
        self.reversed: dict[tuple[Any, ...], str] = {}

    def of(self, name: str, slug: str, *args: Any) -> str:
        """``reverse(name, args=[slug, *args])``."""
        key = (name, *args)
        if key not in self.reversed:
            self.reversed[key] = reverse(name, args=[_STAND_IN, *args])
        return self.reversed[key].replace(f"/{_STAND_IN}/", f"/{slug}/", 1)
