"""The checklist catalogue: its content, its checks, and how a newer version is adopted."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from checklist import catalogue, services
from checklist.catalogue import CATALOGUE_FILE, parse
from checklist.models import AuditEvent, ItemState
from checklist.state import OnboardingState
from tests.conftest import World


def raw() -> dict[str, Any]:
    return json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_catalogue_covers_all_five_steps_with_complete_items() -> None:
    cat = catalogue.load()
    counts = Counter(item.step for item in cat.items)
    assert sorted(counts) == [1, 2, 3, 4, 5]
    for item in cat.items:
        assert item.key.startswith(f"step{item.step}.")
        assert item.title_de
        assert item.title_en
        assert item.help_de
        assert item.docs_url.startswith("https://")
        assert item.role in ("authority", "provider", "both")
    # the brief's step-1 decisions all tick themselves from recorded data
    step1 = {item.binding for item in cat.for_step(1)}
    assert {
        "leistungen",
        "schemas",
        "reply_channels",
        "regions",
        "provider",
        "metadata_versions",
    } <= step1
    # each environment has its sign-off item
    assert {(i.step, i.binding) for i in cat.items if i.completion == "signoff"} == {
        (3, "test"),
        (4, "reference"),
        (5, "production"),
    }


def test_parse_refuses_duplicate_keys_bad_steps_and_unknown_bindings() -> None:
    data = raw()
    data["items"].append(dict(data["items"][0]))
    with pytest.raises(ValueError, match="appears twice"):
        parse(data)
    data = raw()
    data["items"][0] = {**data["items"][0], "step": 6}
    with pytest.raises(ValueError, match="not 1 to 5"):
        parse(data)
    data = raw()
    data["items"][0] = {**data["items"][0], "completion": "data", "binding": "weather"}
    with pytest.raises(ValueError, match="unknown data binding"):
        parse(data)


def test_a_newer_catalogue_adds_its_items_without_losing_ticks(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    onboarding = world.onboarding
    item = catalogue.load().by_key()["step2.client"]
    services.set_item_done(onboarding, item, True, world.provider_staff)

    data = raw()
    data["version"] += 1
    data["items"].append(
        {
            "key": "step2.new_rule",
            "step": 2,
            "role": "provider",
            "title": "Neue Regel beachten",
            "help": "Neu im Katalog.",
            "docs_url": "https://docs.fitko.de/fit-connect/",
            "condition": None,
            "completion": "manual",
            "binding": None,
            "required": True,
        }
    )
    newer = parse(data)
    monkeypatch.setattr(catalogue, "load", lambda: newer)
    services.ensure_catalogue(onboarding, None)

    onboarding.refresh_from_db()
    assert onboarding.catalogue_version == newer.version
    assert ItemState.objects.filter(onboarding=onboarding, key="step2.new_rule").exists()
    kept = ItemState.objects.get(onboarding=onboarding, key="step2.client")
    assert kept.done
    assert kept.done_by == world.provider_staff
    assert onboarding.audit_events.filter(action=AuditEvent.Action.CATALOGUE_UPDATED).exists()
    state = OnboardingState(onboarding)
    assert "step2.new_rule" in [view.item.key for view in state.open_required(2)]
