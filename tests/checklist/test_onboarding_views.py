"""Creating onboardings, recording step-1 data and environments, the checklist with htmx."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from checklist.models import AuditEvent, EnvironmentRecord, Leistung, Onboarding
from tests.conftest import World

SLUG = "musterstadt-gewerbe"
FIM = "https://schema.fitko.de/fim/s00000092_1.0.schema.json"


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def leistung_data(**overrides: str) -> dict[str, str]:
    data = {
        "key": "urn:de:fim:leika:leistung:99102013104000",
        "name": "Hundesteuer Anmeldung",
        "regions_text": "064350014014, 06435",
        "schema_kind": "fim",
        "schema_uri": FIM,
        "mime_type": "",
    }
    data.update(overrides)
    return data


def test_authority_admin_creates_an_onboarding_the_provider_then_sees(world: World) -> None:
    admin = signed_in(world.authority_admin)
    response = admin.post(
        reverse("onboarding_create"),
        {"name": "Hundesteuer", "provider_choice": str(world.provider.pk), "product": ""},
    )
    onboarding = Onboarding.objects.get(name="Hundesteuer")
    assert response["Location"] == reverse("onboarding_detail", args=[onboarding.slug])
    assert onboarding.authority == world.authority
    assert onboarding.provider == world.provider
    assert onboarding.item_states.count() > 40
    provider = signed_in(world.provider_staff)
    assert provider.get(reverse("onboarding_detail", args=[onboarding.slug])).status_code == 200
    assert "Hundesteuer" in provider.get(reverse("overview")).content.decode()
    outsider = signed_in(world.outsider)
    assert outsider.get(reverse("onboarding_detail", args=[onboarding.slug])).status_code == 404
    assert "Hundesteuer" not in outsider.get(reverse("overview")).content.decode()
    actions = list(onboarding.audit_events.values_list("action", flat=True))
    assert AuditEvent.Action.CREATED in actions
    assert AuditEvent.Action.PROVIDER_CHANGED in actions


def test_a_missing_name_is_reported_at_the_field_and_nothing_is_created(world: World) -> None:
    response = signed_in(world.authority_admin).post(
        reverse("onboarding_create"), {"name": "", "technical_email": "kein-mail"}
    )
    html = response.content.decode()
    assert "<title>Fehler:" in html
    assert 'id="id_name_error"' in html
    assert 'id="id_technical_email_error"' in html
    assert Onboarding.objects.count() == 1


def test_reassigning_the_provider_revokes_the_old_providers_access(world: World) -> None:
    other_provider = world.provider.__class__.objects.create(
        name="Land-IT AöR", slug="land-it", kind="provider"
    )
    admin = signed_in(world.authority_admin)
    admin.post(
        reverse("onboarding_edit", args=[SLUG]),
        {"name": "Gewerbeanmeldung", "provider_choice": str(other_provider.pk)},
    )
    old = signed_in(world.provider_staff)
    assert old.get(reverse("onboarding_detail", args=[SLUG])).status_code == 404
    assert (
        old.post(reverse("item_toggle", args=[SLUG, "step2.client"]), {"done": "1"}).status_code
        == 404
    )
    event = world.onboarding.audit_events.filter(action=AuditEvent.Action.PROVIDER_CHANGED).first()
    assert event is not None  # the newest: the reassignment
    assert (event.old_value, event.new_value) == ("Kommunal-IT GmbH", "Land-IT AöR")


def test_authority_staff_may_edit_data_but_not_reassign_the_provider(world: World) -> None:
    page = signed_in(world.authority_staff).get(reverse("onboarding_edit", args=[SLUG]))
    assert 'name="provider_choice"' not in page.content.decode()
    signed_in(world.authority_staff).post(
        reverse("onboarding_edit", args=[SLUG]),
        {"name": "Gewerbeanmeldung", "provider_choice": "in_house", "technical_name": "Kim"},
    )
    world.onboarding.refresh_from_db()
    assert world.onboarding.provider == world.provider
    assert world.onboarding.technical_name == "Kim"


def test_a_leistung_is_recorded_with_normalised_key_and_suggested_mime_type(world: World) -> None:
    response = signed_in(world.authority_staff).post(
        reverse("leistung_create", args=[SLUG]), leistung_data(reply_email="on")
    )
    assert response.status_code == 302
    leistung = Leistung.objects.get(key="99102013104000")
    assert leistung.mime_type == "application/json"
    assert leistung.regions == ["064350014014", "06435"]
    assert leistung.reply_channels() == {"eMail": {"usePgp": False}}
    event = world.onboarding.audit_events.get(action=AuditEvent.Action.LEISTUNG_ADDED)
    assert event.new_value == "99102013104000 Hundesteuer Anmeldung"


def test_the_same_key_twice_is_an_error_at_the_field(world: World) -> None:
    response = signed_in(world.authority_admin).post(
        reverse("leistung_create", args=[SLUG]), leistung_data(key="99050012104000")
    )
    html = response.content.decode()
    assert "99050012104000 ist in diesem Anbindungsvorhaben bereits erfasst" in html
    assert 'id="id_key_error"' in html
    assert Leistung.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"key": "12345"}, "key"),
        ({"regions_text": "0643"}, "regions_text"),
        ({"schema_uri": "S00000000371"}, "schema_uri"),  # a FIM schema ID, not a URI
        ({"schema_kind": "xoev", "schema_uri": FIM}, "schema_uri"),
        (
            {"schema_uri": "urn:xoev-de:bmk:standard:xbau_2.2#" + "x" * 200, "schema_kind": "xoev"},
            "schema_uri",
        ),
        ({"reply_fitconnect": "on"}, "process_standards_text"),
        ({"reply_fitconnect": "on", "process_standards_text": "xbau"}, "process_standards_text"),
        ({"name": ""}, "name"),
    ],
)
def test_invalid_leistung_values_are_explained_and_nothing_is_saved(
    world: World, overrides: dict[str, str], field: str
) -> None:
    response = signed_in(world.authority_admin).post(
        reverse("leistung_create", args=[SLUG]), leistung_data(**overrides)
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in html
    assert f'href="#id_{field}"' in html
    assert "<title>Fehler:" in html
    assert Leistung.objects.count() == 1


def test_no_reply_channel_means_reply_by_letter(world: World) -> None:
    page = signed_in(world.authority_staff).get(reverse("step", args=[SLUG, 1])).content.decode()
    assert "Antwort per Brief" in page


def test_xoev_schema_suggests_xml_and_fitconnect_keeps_process_standards(world: World) -> None:
    signed_in(world.authority_admin).post(
        reverse("leistung_create", args=[SLUG]),
        leistung_data(
            schema_kind="xoev",
            schema_uri="urn:xoev-de:bmk:standard:xbau_2.2#baugenehmigung.antrag.0200",
            reply_fitconnect="on",
            process_standards_text="urn:xoev-de:bmk:standard:xbau_2.4",
            reply_demail="on",
        ),
    )
    leistung = Leistung.objects.get(key="99102013104000")
    assert leistung.mime_type == "application/xml"
    assert leistung.reply_channels() == {
        "fitConnect": {"processStandards": ["urn:xoev-de:bmk:standard:xbau_2.4"]},
        "deMail": {},
    }


def test_provider_records_the_test_environment(world: World) -> None:
    provider = signed_in(world.provider_staff)
    url = reverse("environment_edit", args=[SLUG, "test"])
    data = {
        "client_id": "abc-client",
        "destination_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "encryption_kid": "enc-key-2026",
        "signature_kid": "sig-key-2026",
        "callback_url": "https://fachverfahren.musterstadt.example/callback",
    }
    assert provider.post(url, data).status_code == 302
    record = EnvironmentRecord.objects.get()
    assert str(record.destination_id) == "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    assert record.certificate_expiry is None
    events = world.onboarding.audit_events.filter(action=AuditEvent.Action.FIELD_CHANGED)
    assert {e.subject for e in events} >= {
        "environment.test.client_id",
        "environment.test.callback_url",
    }


@pytest.mark.parametrize(
    ("environment", "overrides", "field"),
    [
        ("test", {"callback_url": "http://fachverfahren.example/callback"}, "callback_url"),
        ("test", {"destination_id": "not-a-uuid"}, "destination_id"),
        ("test", {"encryption_kid": "short"}, "encryption_kid"),
        ("reference", {}, "certificate_expiry"),
    ],
)
def test_invalid_environment_values_are_refused(
    world: World, environment: str, overrides: dict[str, str], field: str
) -> None:
    data = {"client_id": "abc", "destination_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}
    data.update(overrides)
    response = signed_in(world.provider_staff).post(
        reverse("environment_edit", args=[SLUG, environment]), data
    )
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not EnvironmentRecord.objects.exists()


def test_ticking_with_htmx_returns_the_items_status_progress_and_an_announcement(
    world: World,
) -> None:
    provider = signed_in(world.provider_staff)
    response = provider.post(
        reverse("item_toggle", args=[SLUG, "step2.client"]),
        {"done": "1"},
        headers={"hx-request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    # Only the item's status part (the notes and comments stay as they are on the page).
    assert html.lstrip().startswith('<div id="item-status-step2-client"')
    assert "Clara Code" in html
    assert "Mark as open" in html or "Als offen markieren" in html
    assert 'name="text"' not in html  # no comment form
    assert 'id="step-progress" class="portal-summary" hx-swap-oob="true"' in html
    assert 'hx-swap-oob="innerHTML:#messages"' in html
    assert "<html" not in html
    state = world.onboarding.item_states.get(key="step2.client")
    assert state.done
    assert state.done_by == world.provider_staff


def test_ticking_without_javascript_redirects_back_to_the_item(world: World) -> None:
    provider = signed_in(world.provider_staff)
    response = provider.post(reverse("item_toggle", args=[SLUG, "step2.client"]), {"done": "1"})
    assert response["Location"] == reverse("step", args=[SLUG, 2]) + "#item-step2-client"
    page = provider.get(reverse("step", args=[SLUG, 2])).content.decode()
    assert "Clara Code" in page
    provider.post(reverse("item_toggle", args=[SLUG, "step2.client"]), {"done": "0"})
    assert not world.onboarding.item_states.get(key="step2.client").done
    actions = list(
        world.onboarding.audit_events.filter(subject="item:step2.client").values_list(
            "action", flat=True
        )
    )
    assert actions == [AuditEvent.Action.ITEM_UNTICKED, AuditEvent.Action.ITEM_TICKED]


def test_items_bound_to_data_tick_themselves_and_cannot_be_ticked_by_hand(world: World) -> None:
    admin = signed_in(world.authority_admin)
    page = admin.get(reverse("step", args=[SLUG, 1])).content.decode()
    assert reverse("item_toggle", args=[SLUG, "step1.leistungen"]) not in page
    provider = signed_in(world.provider_staff)
    provider.post(reverse("item_toggle", args=[SLUG, "step2.metadata_versions"]), {"done": "1"})
    assert not world.onboarding.item_states.get(key="step2.metadata_versions").done
    provider.post(reverse("metadata_versions", args=[SLUG]), {"versions": ["1.2.0", "1.3.0"]})
    world.onboarding.refresh_from_db()
    assert world.onboarding.metadata_versions == ["1.2.0", "1.3.0"]
    from checklist import catalogue
    from checklist.state import OnboardingState

    state = OnboardingState(world.onboarding)
    assert state.item_view(catalogue.load().by_key()["step2.metadata_versions"]).done


def test_the_ui_hides_what_the_user_may_not_do(world: World) -> None:
    authority_view = signed_in(world.authority_staff).get(reverse("step", args=[SLUG, 2]))
    assert (
        reverse("item_toggle", args=[SLUG, "step2.client"]) not in authority_view.content.decode()
    )
    provider_view = signed_in(world.provider_staff).get(reverse("step", args=[SLUG, 2]))
    assert reverse("item_toggle", args=[SLUG, "step2.client"]) in provider_view.content.decode()
    provider_step1 = signed_in(world.provider_staff).get(reverse("step", args=[SLUG, 1]))
    assert reverse("leistung_create", args=[SLUG]) not in provider_step1.content.decode()


def test_notes_and_comments_are_kept_with_author_and_audited(world: World) -> None:
    provider = signed_in(world.provider_staff)
    provider.post(reverse("item_note", args=[SLUG, "step2.client"]), {"note": "Im SSP angelegt"})
    signed_in(world.authority_staff).post(
        reverse("item_comment", args=[SLUG, "step2.client"]), {"text": "Danke!"}
    )
    provider.post(reverse("item_comment", args=[SLUG, "step2.client"]), {"text": "Gern."})
    page = provider.get(reverse("step", args=[SLUG, 2])).content.decode()
    assert "Im SSP angelegt" in page
    assert page.index("Danke!") < page.index("Gern.")
    assert "Bernd Beispiel" in page
    subjects = world.onboarding.audit_events.filter(subject="item:step2.client")
    assert subjects.filter(
        action=AuditEvent.Action.NOTE_CHANGED, new_value="Im SSP angelegt"
    ).exists()
    assert subjects.filter(action=AuditEvent.Action.COMMENT_ADDED).count() == 2


def test_audit_trail_filters_by_step_and_person(world: World) -> None:
    signed_in(world.provider_staff).post(
        reverse("item_toggle", args=[SLUG, "step2.client"]), {"done": "1"}
    )
    signed_in(world.authority_admin).post(
        reverse("onboarding_edit", args=[SLUG]),
        {
            "name": "Gewerbeanmeldung",
            "provider_choice": str(world.provider.pk),
            "product": "GewerbePro",
        },
    )
    client = signed_in(world.authority_staff)
    clara_row = "Clara Code hat „"
    everything = client.get(reverse("audit_trail", args=[SLUG])).content.decode()
    assert "GewerbePro" in everything
    assert clara_row in everything
    step2 = client.get(reverse("audit_trail", args=[SLUG]), {"step": "2"}).content.decode()
    assert "GewerbePro" not in step2
    assert clara_row in step2
    anna = client.get(
        reverse("audit_trail", args=[SLUG]), {"person": str(world.authority_admin.pk)}
    ).content.decode()
    assert "GewerbePro" in anna
    assert clara_row not in anna


def test_overview_sorts_by_progress(world: World) -> None:
    from tests.checklist.helpers import complete_step_one
    from tests.conftest import make_onboarding

    make_onboarding(
        world.authority, world.provider, world.authority_admin, slug="a-zweites", name="Anfang"
    )
    complete_step_one(world.onboarding)
    client = signed_in(world.authority_admin)
    ascending = client.get(reverse("overview"), {"sort": "progress"}).content.decode()
    descending = client.get(reverse("overview"), {"sort": "-progress"}).content.decode()
    assert ascending.index("Anfang") < ascending.index("Gewerbeanmeldung")
    assert descending.index("Gewerbeanmeldung") < descending.index("Anfang")
    assert 'aria-sort="descending"' in descending


def test_metadata_versions_need_at_least_one_known_version(world: World) -> None:
    provider = signed_in(world.provider_staff)
    empty = provider.post(reverse("metadata_versions", args=[SLUG]), {})
    assert 'id="id_versions_error"' in empty.content.decode()
    unknown = provider.post(reverse("metadata_versions", args=[SLUG]), {"versions": ["9.9.9"]})
    assert 'id="id_versions_error"' in unknown.content.decode()
    world.onboarding.refresh_from_db()
    assert world.onboarding.metadata_versions == []


def test_the_metadata_form_shows_the_chosen_versions_in_the_readers_language(
    world: World,
) -> None:
    import re

    from django.conf import settings

    provider = signed_in(world.provider_staff)
    step = reverse("step", args=[SLUG, 2])

    def checked(html: str) -> list[str]:
        return re.findall(r'<input[^>]*value="([0-9.]+)"[^>]*checked', html)

    assert checked(provider.get(step).content.decode()) == []
    provider.post(reverse("metadata_versions", args=[SLUG]), {"versions": ["1.2.0", "1.3.0"]})
    html = provider.get(step).content.decode()
    assert checked(html) == ["1.2.0", "1.3.0"]
    assert "Metadatenversionen, die das Fachverfahren unterstützt" in html
    provider.post(reverse("metadata_versions", args=[SLUG]), {"versions": ["2.0.0"]})
    assert checked(provider.get(step).content.decode()) == ["2.0.0"]
    provider.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # as the language switcher sets it
    english = provider.get(step).content.decode()
    assert "Metadata versions the Fachverfahren supports" in english
    assert checked(english) == ["2.0.0"]
