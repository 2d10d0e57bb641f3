"""The checklist catalogue: its content, its checks, and how a newer version is adopted."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from checklist import catalogue, services
from checklist.audit_sentences import sentence
from checklist.catalogue import CATALOGUE_FILE, parse
from checklist.models import AuditEvent, ItemState, Onboarding, SignOff
from checklist.state import OnboardingState
from tests.checklist.helpers import signed_off_test
from tests.conftest import World, make_onboarding


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
    # FITKO's step-1 questions all tick themselves from recorded data
    step1 = {item.binding for item in cat.for_step(1)}
    assert {"leistungen", "schemas", "reply_channels", "regions", "provider"} <= step1
    # activating metadata versions is an SSP setting of the provider (step 2)
    assert cat.by_key()["step2.metadata_versions"].role == "provider"
    assert "metadata_versions" not in step1
    # each environment has its sign-off item
    assert {(i.step, i.binding) for i in cat.items if i.kind.is_signoff} == {
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


# Catalogue version 2 ----------------------------------------------------------------------

V1_FILE = Path(__file__).with_name("catalogue_v1.json")


def v1() -> catalogue.Catalogue:
    """The catalogue as shipped before version 2 (a copy kept for the upgrade tests)."""
    return parse(json.loads(V1_FILE.read_text(encoding="utf-8")))


def test_version_2_has_the_items_fitko_asks_for_with_fitko_pages() -> None:
    cat = catalogue.load()
    assert cat.version >= 2
    items = cat.by_key()
    expected = {
        # "Jeder Zustellpunkt muss einem Subscriber-API-Client zugeordnet werden"
        "step2.client_assignment": (2, "provider", "/docs/receiving/destination/"),
        "step2.sender_client": (2, "provider", "/docs/getting-started/account"),
        "step2.keys_upload": (2, "provider", "/docs/details/destination-management/"),
        "step2.metadata_versions": (2, "provider", "/docs/receiving/destination/"),
        "step3.reject": (3, "provider", "/docs/apis/submission-api"),
        "step1.vpki": (1, "authority", "/docs/organisation-tasks/certificates/"),
        "step1.fim_redaktion": (1, "authority", "zustellungskanal_destinationsignature"),
        "step1.go_live": (1, "authority", "leitfaden-fachverfahren-ueberblick"),
    }
    for key, (step, role, page) in expected.items():
        item = items[key]
        assert (item.step, item.role) == (step, role), key
        assert page in item.docs_url, key
    assert items["step1.go_live"].binding == "go_live"
    # moved items are gone from their old steps
    for old in ("step1.metadata_versions", "step4.vpki", "step5.vpki"):
        assert old not in items
        assert cat.resolve(old) is not None
    # corrected links: FITKO's callbacks page, the receiver's destination page, the account page
    for key in ("step2.impl_callback", "step3.callback", "step4.callback"):
        assert items[key].docs_url == "https://docs.fitko.de/fit-connect/docs/details/callbacks/"
    for key in ("step3.destination", "step4.destination"):
        assert items[key].docs_url.endswith("/docs/receiving/destination/")
    assert items["step2.client"].docs_url.endswith("/docs/getting-started/account")


def test_version_2_says_no_more_than_fitko_does() -> None:
    texts = " ".join(f"{item.title_de} {item.help_de}" for item in catalogue.load().items)
    assert "beginnt immer mit 99" not in texts
    assert "200 OK" not in texts.replace("200 OK oder 202 Accepted", "")
    assert "Datenschemas" not in texts
    assert "führen zur V-PKI" not in texts
    assert "BundID" in catalogue.load().by_key()["step1.reply_channels"].help_de


def test_parse_refuses_a_key_replaced_twice_or_replaced_but_still_there() -> None:
    data = raw()
    data["items"][0] = {**data["items"][0], "replaces": ["step4.vpki"]}
    with pytest.raises(ValueError, match="replaced by two items"):
        parse(data)
    data = raw()
    data["items"][0] = {**data["items"][0], "replaces": ["step1.schemas"]}
    with pytest.raises(ValueError, match="still items"):
        parse(data)


def _v1_onboarding(world: World, monkeypatch: pytest.MonkeyPatch) -> Onboarding:
    """Return an onboarding created and worked on under catalogue version 1."""
    old = v1()
    monkeypatch.setattr(catalogue, "load", lambda: old)
    onboarding = make_onboarding(
        world.authority, world.provider, world.authority_admin, slug="alt", name="Altvorhaben"
    )
    assert onboarding.catalogue_version == 1
    by_key = old.by_key()
    services.set_item_done(onboarding, by_key["step2.client"], True, world.provider_staff)
    services.set_item_done(onboarding, by_key["step5.vpki"], True, world.authority_admin)
    services.set_item_note(
        onboarding, by_key["step5.vpki"], "Antrag gestellt", world.authority_admin
    )
    services.add_comment(onboarding, by_key["step4.vpki"], "RA fragen", world.provider_staff)
    services.set_item_note(onboarding, by_key["step4.vpki"], "Stage später", world.provider_staff)
    services.set_item_note(
        onboarding, by_key["step1.metadata_versions"], "1.5.0 prüfen", world.authority_admin
    )
    monkeypatch.undo()
    return onboarding


def test_upgrade_from_version_1_keeps_ticks_and_moves_state_with_the_items(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    onboarding = _v1_onboarding(world, monkeypatch)
    vpki_done_at = ItemState.objects.get(onboarding=onboarding, key="step5.vpki").done_at

    services.ensure_catalogue(onboarding, world.authority_staff)

    onboarding.refresh_from_db()
    assert onboarding.catalogue_version == catalogue.load().version
    states = {s.key: s for s in onboarding.item_states.all()}
    assert states["step2.client"].done  # untouched ticks stay
    vpki = states["step1.vpki"]  # two V-PKI items became one, with all that was written
    assert (vpki.done, vpki.done_by, vpki.done_at) == (True, world.authority_admin, vpki_done_at)
    assert vpki.note == "Antrag gestellt\n\nStage später"
    assert [c.text for c in vpki.comments.all()] == ["RA fragen"]
    assert states["step2.metadata_versions"].note == "1.5.0 prüfen"
    assert not {"step4.vpki", "step5.vpki", "step1.metadata_versions"} & states.keys()
    assert {"step2.client_assignment", "step3.reject", "step1.fim_redaktion"} <= states.keys()
    event = onboarding.audit_events.get(action=AuditEvent.Action.CATALOGUE_UPDATED)
    current = str(catalogue.load().version)
    assert (event.old_value, event.new_value, event.actor) == ("1", current, world.authority_staff)
    # the audit trail still names the moved items by their title
    ticked = onboarding.audit_events.filter(subject="item:step5.vpki").first()
    assert ticked is not None
    with translation.override("de"):  # as a German page shows it, whatever ran before
        assert f"„{catalogue.load().by_key()['step1.vpki'].title}“" in sentence(ticked)
    # a second call (another request) changes nothing
    services.ensure_catalogue(onboarding, world.authority_staff)
    assert onboarding.audit_events.filter(action=AuditEvent.Action.CATALOGUE_UPDATED).count() == 1


def test_upgrade_on_a_page_view_keeps_a_valid_sign_off_valid(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    onboarding = world.onboarding
    old = v1()
    monkeypatch.setattr(catalogue, "load", lambda: old)
    onboarding.catalogue_version = 1
    onboarding.save(update_fields=["catalogue_version"])
    ItemState.objects.filter(onboarding=onboarding).delete()
    services.ensure_catalogue(onboarding)  # nothing to do: same version, items exist
    services._add_items(onboarding)
    signed_off_test(onboarding, world.provider_staff, world.authority_staff)
    monkeypatch.undo()

    client = Client()
    client.force_login(world.provider_staff)
    assert client.get(reverse("step", args=[onboarding.slug, 3])).status_code == 200
    # a later change re-checks the sign-offs: new and moved items alone do not invalidate
    services.set_item_done(
        onboarding, catalogue.load().by_key()["step2.client_assignment"], True, world.provider_staff
    )
    signoff = SignOff.objects.get(onboarding=onboarding, environment="test")
    assert signoff.is_valid
    # a change to an item the sign-off covered still does
    services.set_item_done(
        onboarding, catalogue.load().by_key()["step3.token"], False, world.provider_staff
    )
    signoff.refresh_from_db()
    assert not signoff.is_valid
