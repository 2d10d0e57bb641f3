"""The versioned checklist catalogue (``catalogue.json``) and its items.

A newer version may move or rename items: an item lists the keys it takes over in
``replaces``, and ``services.ensure_catalogue`` carries their state (tick, note, comments)
over when an onboarding adopts the version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from django.utils.translation import get_language

from checklist.kinds import KINDS, ItemKind

CATALOGUE_FILE = Path(__file__).with_name("catalogue.json")

Role = Literal["authority", "provider", "both"]


@dataclass(frozen=True)
class Item:
    key: str
    step: int
    role: Role
    title_de: str
    title_en: str
    help_de: str
    help_en: str
    docs_url: str
    condition: dict[str, Any] | None
    # How it becomes done (``checklist.kinds``; "completion" in the JSON).
    kind: ItemKind
    binding: str | None
    required: bool
    # Keys of older catalogue versions this item takes over (moved or renamed items).
    replaces: tuple[str, ...] = ()

    @property
    def dom_id(self) -> str:
        """Return the key as an HTML id that is also a plain CSS selector (no dots)."""
        return self.key.replace(".", "-")

    @property
    def title(self) -> str:
        return self.title_en if get_language() == "en" else self.title_de

    @property
    def help(self) -> str:
        return self.help_en if get_language() == "en" else self.help_de


@dataclass(frozen=True)
class Catalogue:
    version: int
    items: tuple[Item, ...]

    def by_key(self) -> dict[str, Item]:
        return {item.key: item for item in self.items}

    def for_step(self, step: int) -> list[Item]:
        return [item for item in self.items if item.step == step]

    def successors(self) -> dict[str, str]:
        """Return the key that took over each old key (``replaces``), by old key."""
        return {old: item.key for item in self.items for old in item.replaces}

    def resolve(self, key: str) -> Item | None:
        """Return the item of a key, also of an old key an item took over (audit trail)."""
        items = self.by_key()
        return items.get(key) or items.get(self.successors().get(key, ""))


def parse(data: dict[str, Any]) -> Catalogue:
    """Build a catalogue from its JSON form, refusing malformed items."""
    items = []
    seen: set[str] = set()
    replaced: set[str] = set()
    for raw in data["items"]:
        key = raw["key"]
        if key in seen:
            raise ValueError(f"Catalogue key {key!r} appears twice.")
        seen.add(key)
        if raw["step"] not in range(1, 6):
            raise ValueError(f"Catalogue item {key!r} has step {raw['step']}, not 1 to 5.")
        if raw["completion"] not in KINDS:
            raise ValueError(f"Catalogue item {key!r} has unknown kind {raw['completion']!r}.")
        kind = KINDS[raw["completion"]]
        if kind.bindings is not None and raw.get("binding") not in kind.bindings:
            raise ValueError(f"Catalogue item {key!r} has unknown data binding {raw['binding']!r}.")
        replaces = tuple(raw.get("replaces", ()))
        for old in replaces:
            if old in replaced:
                raise ValueError(f"Catalogue key {old!r} is replaced by two items.")
            replaced.add(old)
        items.append(
            Item(
                key=key,
                step=raw["step"],
                role=raw["role"],
                title_de=raw["title"],
                title_en=raw.get("title_en") or raw["title"],
                help_de=raw.get("help", ""),
                help_en=raw.get("help_en") or raw.get("help", ""),
                docs_url=raw.get("docs_url", ""),
                condition=raw.get("condition"),
                kind=kind,
                binding=raw.get("binding"),
                required=bool(raw.get("required", True)),
                replaces=replaces,
            )
        )
    if still_there := replaced & seen:
        raise ValueError(f"Replaced catalogue keys are still items: {sorted(still_there)}.")
    return Catalogue(version=int(data["version"]), items=tuple(items))


@cache
def load() -> Catalogue:
    """Return the catalogue shipped with the portal (parsed once per process)."""
    return parse(json.loads(CATALOGUE_FILE.read_text(encoding="utf-8")))
