"""The Leistung form as a clerk meets it: labels, one message per problem, the summary in
field order, BundID, removal with confirmation and the Leistungsschlüssel lookup."""

from __future__ import annotations

import re
import subprocess
from typing import Any

from django.test import Client
from django.urls import reverse

from checklist.models import AuditEvent, Leistung
from checklist.state import OnboardingState
from portal.models import User
from tests.conftest import World

SLUG = "musterstadt-gewerbe"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def leistung_data(**overrides: str) -> dict[str, str]:
    data = {
        "key": "99102013104000",  # "Hundesteuer Anmeldung", checklist/data/leika.csv
        "name": "Hundesteuer Anmeldung",
        "regions_text": "064350014014",
        "schema_kind": "fim",
        "schema_uri": "https://schema.fitko.de/fim/s00000114_1.1.schema.json",
        "mime_type": "",
    }
    data.update(overrides)
    return data


def errors_of(html: str, field: str) -> list[str]:
    match = re.search(rf'<p class="kern-error" id="id_{field}_error">(.*?)</p>', html, re.S)
    if match is None:
        return []
    text = re.sub(r"<[^>]+>", "", match.group(1)).strip()
    return [text] if text else []


def summary_targets(html: str) -> list[str]:
    summary = html[html.index('id="error-summary"') :]
    summary = summary[: summary.index("</ul>")]
    return re.findall(r'href="#(id_[a-z_0-9]+)"', summary)


def test_the_process_standards_label_says_when_they_are_needed(world: World) -> None:
    html = signed_in(world.authority_admin).get(reverse("leistung_create", args=[SLUG]))
    page = html.content.decode()
    label = page[page.index('for="id_process_standards_text"') :]
    label = label[: label.index("</label>")]
    assert "nötig, wenn FIT-Connect als Antwortkanal gewählt ist" in label
    assert "– optional" not in label


def test_a_wrong_process_standard_gets_one_message_not_two(world: World) -> None:
    response = signed_in(world.authority_admin).post(
        reverse("leistung_create", args=[SLUG]),
        leistung_data(reply_fitconnect="on", process_standards_text="xbau"),
    )
    html = response.content.decode()
    assert html.count('href="#id_process_standards_text"') == 1
    (message,) = errors_of(html, "process_standards_text")
    assert "xbau" in message
    assert "mindestens einen Prozessstandard" not in html


def test_the_error_summary_follows_the_order_of_the_fields_on_the_page(world: World) -> None:
    response = signed_in(world.authority_admin).post(
        reverse("leistung_create", args=[SLUG]),
        {"key": "12345", "reply_fitconnect": "on"},
    )
    html = response.content.decode()
    targets = summary_targets(html)
    assert targets == [
        "id_key",
        "id_name",
        "id_regions_text",
        "id_schema_kind_0",
        "id_schema_uri",
        "id_process_standards_text",
    ]
    form = html[html.index('<form method="post" class="portal-form"') :]
    positions = [form.index(f'id="{target}"') for target in targets]
    assert positions == sorted(positions)


def test_missing_regions_get_a_message_that_says_what_to_enter(world: World) -> None:
    response = signed_in(world.authority_admin).post(
        reverse("leistung_create", args=[SLUG]), leistung_data(regions_text="")
    )
    (message,) = errors_of(response.content.decode(), "regions_text")
    assert "Amtlichen Regionalschlüssel" in message
    assert "zwingend erforderlich" not in message


def test_an_ags_in_the_form_is_explained_and_de_prefixed_ars_are_saved_plain(
    world: World,
) -> None:
    admin = signed_in(world.authority_admin)
    response = admin.post(
        reverse("leistung_create", args=[SLUG]), leistung_data(regions_text="09162000")
    )
    (message,) = errors_of(response.content.decode(), "regions_text")
    assert "091620000000" in message
    admin.post(reverse("leistung_create", args=[SLUG]), leistung_data(regions_text="DE06435"))
    assert Leistung.objects.get(key="99102013104000").regions == ["06435"]


def test_a_service_named_by_another_urn_can_be_recorded(world: World) -> None:
    admin = signed_in(world.authority_admin)
    response = admin.post(
        reverse("leistung_create", args=[SLUG]),
        leistung_data(key="urn:de:govos:parent:s16000413", name="Antrag auf Beihilfe"),
    )
    assert response.status_code == 302
    leistung = Leistung.objects.get(key="urn:de:govos:parent:s16000413")
    assert leistung.urn == "urn:de:govos:parent:s16000413"
    assert not leistung.has_leika_key
    page = admin.get(reverse("audit_trail", args=[SLUG])).content.decode()
    assert "Leistung urn:de:govos:parent:s16000413" in page


def test_a_service_urn_in_upper_case_is_refused_in_german_at_the_field(world: World) -> None:
    # Submission API 1.1.3 allows a service identifier in lower case only
    # (pattern ^urn:[a-z0-9][a-z0-9-]{0,31}:[a-z0-9()+,.:=@;$_!*'%/?#-]+$, docs/fitko-facts.md §12).
    admin = signed_in(world.authority_admin)
    response = admin.post(
        reverse("leistung_create", args=[SLUG]),
        leistung_data(key="urn:de:GovOS:parent:S16000413", name="Antrag auf Beihilfe"),
    )
    assert response.status_code == 200
    (error,) = errors_of(response.content.decode(), "key")
    assert "Großbuchstaben" in error
    assert "urn:de:govos:parent:s16000413" in error
    assert not Leistung.objects.filter(name="Antrag auf Beihilfe").exists()


def test_bundid_is_a_reply_channel_from_the_form_to_the_snapshot(world: World) -> None:
    admin = signed_in(world.authority_admin)
    admin.post(reverse("leistung_create", args=[SLUG]), leistung_data(reply_bundid="on"))
    leistung = Leistung.objects.get(key="99102013104000")
    assert leistung.reply_bundid
    assert leistung.reply_channels() == {"idBundDeMailbox": {}}
    assert "BundID-Postfach" in admin.get(reverse("step", args=[SLUG, 1])).content.decode()
    snapshot = OnboardingState(world.onboarding).snapshot("test")
    assert snapshot["leistungen"]["99102013104000"]["reply_channels"] == {"idBundDeMailbox": {}}
    event = world.onboarding.audit_events.get(action=AuditEvent.Action.LEISTUNG_ADDED)
    assert event.subject == "leistung.99102013104000"


def test_bundid_is_in_the_pdf(world: World) -> None:
    leistung = world.onboarding.leistungen.get()
    leistung.reply_bundid = True
    leistung.save()
    response = signed_in(world.authority_admin).get(reverse("onboarding_pdf", args=[SLUG]))
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    letters = re.sub(r"[\s\-\u2010\u00ad]", "", text)  # hyphenated across lines
    assert "BundIDPostfach" in letters


def test_removing_a_service_asks_first_on_a_page_of_its_own(world: World) -> None:
    admin = signed_in(world.authority_admin)
    leistung = world.onboarding.leistungen.get()
    url = reverse("leistung_delete", args=[SLUG, leistung.pk])
    page = admin.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Leistung 99050012104000 entfernen?" in html
    assert f'<form method="post" action="{url}">' in html
    assert Leistung.objects.filter(pk=leistung.pk).exists()  # a GET changes nothing
    response = admin.post(url)
    assert response.status_code == 302
    assert not Leistung.objects.filter(pk=leistung.pk).exists()


def test_the_step_page_links_to_the_confirmation_and_offers_a_dialog(world: World) -> None:
    html = signed_in(world.authority_admin).get(reverse("step", args=[SLUG, 1])).content.decode()
    leistung = world.onboarding.leistungen.get()
    url = reverse("leistung_delete", args=[SLUG, leistung.pk])
    assert f'href="{url}" data-confirm-dialog="remove-{leistung.pk}"' in html
    dialog = html[html.index('<dialog class="kern-dialog portal-confirm-dialog" id="remove-') :]
    dialog = dialog[: dialog.index("</dialog>")]
    assert f'action="{url}"' in dialog
    assert '<form method="dialog">' in dialog
    assert "<script" not in dialog


# Leistungsschlüssel lookup ----------------------------------------------------------------


def test_known_keys_are_offered_while_typing(world: World) -> None:
    html = signed_in(world.authority_admin).get(reverse("leistung_create", args=[SLUG]))
    page = html.content.decode()
    assert 'list="leika-suggestions"' in page
    assert '<option value="99050012104000">Gewerbe anmelden</option>' in page
    assert f'hx-get="{reverse("leika_lookup")}"' in page


def test_the_lookup_names_a_key_for_htmx(world: World, client_for: Any) -> None:
    client = client_for("authority_staff")
    partial = client.get(
        reverse("leika_lookup"), {"key": "99107023037000"}, headers={"HX-Request": "true"}
    )
    html = partial.content.decode()
    assert "<html" not in html
    assert "Wohngeld - Mietzuschuss beantragen" in html
    assert 'data-fill-target="id_name"' in html
    unknown = client.get(
        reverse("leika_lookup"), {"key": "99999999999999"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "nicht im kleinen Auszug" in unknown


def test_the_lookup_page_works_without_javascript(world: World, client_for: Any) -> None:
    page = client_for("provider_staff").get(reverse("leika_lookup"), {"q": "Wohngeld"})
    html = page.content.decode()
    assert page.status_code == 200
    results = html[html.index('id="leika-results-heading"') : html.index('id="leika-all-heading"')]
    assert "99107023037000" in results
    assert "99107032017005" in results  # Bildung und Teilhabe … bei Wohngeld
    assert "99050012104000" not in results
    assert "fimportal.de" in html


def test_the_lookup_requires_sign_in(db: None) -> None:
    response = Client().get(reverse("leika_lookup"), {"q": "Gewerbe"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
