"""A person downloads her own data (DSGVO Art. 15) from her settings page: hers, nobody
else's, and no secret."""

from __future__ import annotations

import json

from django.test import Client
from django.urls import reverse

from checklist import catalogue, services
from notifications.models import Kind, Notification
from portal.models import ApiToken
from tests.conftest import World


def test_a_person_downloads_her_own_data_as_json_without_secrets(world: World) -> None:
    clara = world.provider_staff
    onboarding = world.onboarding
    item = catalogue.load().by_key()["step2.client"]
    services.add_comment(onboarding, item, "Termin steht am Montag.", clara)
    services.add_comment(onboarding, item, "Fremder Kommentar von Anna.", world.authority_admin)
    services.set_item_done(onboarding, item, True, clara)
    Notification.objects.create(recipient=clara, kind=Kind.SIGNOFF_APPROVED, onboarding=onboarding)
    token, plain = ApiToken.create(
        organisation=world.provider,
        name="Pipeline Clara",
        scopes=[],
        valid_days=30,
        created_by=clara,
    )

    client = Client()
    client.force_login(clara)
    page = client.get(reverse("notification_settings")).content.decode()
    assert reverse("my_data") in page
    assert "Art. 15 DSGVO" in page
    response = client.get(reverse("my_data"))
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    data = json.loads(body)

    assert data["account"]["email"] == clara.email
    assert [m["organisation"] for m in data["memberships"]] == [world.provider.name]
    assert [c["text"] for c in data["comments"]] == ["Termin steht am Montag."]
    assert data["comments"][0]["item"] == item.title
    entries = [entry["entry"] for entry in data["audit_entries"]]
    assert any(f"„{item.title}“ abgehakt" in entry for entry in entries)
    assert [n["kind"] for n in data["notifications"]] == ["Abnahme erteilt"]
    [kept] = data["api_tokens_created"]
    assert kept["name"] == "Pipeline Clara"
    # Nobody else's data and no secret: not the token, not its hash, not a password hash.
    assert "Fremder Kommentar" not in body
    assert plain not in body
    assert token.token_hash not in body
    assert clara.password not in body
