"""The unbound forms a step page renders once and keeps show what each onboarding needs.

Step 2's metadata versions form and the connection check's form of each "Verbindung
prüfen" panel are rendered once per what their HTML depends on (``checklist.metadata_form``,
``checklist.blank_verify_form``). These tests look at two onboardings side by side and in
both languages: each page shows its own stored secrets' hints, never the other's.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client
from django.urls import reverse

from checklist import verification
from checklist.models import EnvironmentRecord
from tests.conftest import World, make_onboarding

HINT_DE = "Es gibt ein gespeichertes Secret. Lassen Sie das Feld leer, um es zu verwenden."
HINT_EN = "A stored secret exists; leave empty to use it."


def _subscriber_group(html: str) -> str:
    start = html.index('for="id_subscriber_secret"')
    return html[start : html.index('for="id_sender_id"', start)]


def test_each_panel_hints_at_its_own_stored_secrets_in_the_readers_language(
    world: World, client_for: Any
) -> None:
    other = make_onboarding(world.authority, world.provider, world.authority_admin, slug="zwei")
    for onboarding in (world.onboarding, other):
        EnvironmentRecord.objects.create(
            onboarding=onboarding,
            environment="test",
            client_id="client-1",
            destination_id="3fa85f64-5717-4562-b3fc-2c963f66afa6",
        )
    verification.store_secret(
        world.onboarding, "test", "subscriber", "geheim", world.provider_staff
    )
    clara: Client = client_for("provider_staff")
    mine = clara.get(reverse("step", args=[world.onboarding.slug, 3])).content.decode()
    theirs = clara.get(reverse("step", args=[other.slug, 3])).content.decode()
    assert HINT_DE in _subscriber_group(mine)
    assert HINT_DE not in _subscriber_group(theirs)
    assert 'name="handling" value="once"' in theirs
    clara.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = clara.get(reverse("step", args=[world.onboarding.slug, 3])).content.decode()
    assert HINT_EN in _subscriber_group(english)
    theirs_english = clara.get(reverse("step", args=[other.slug, 3])).content.decode()
    assert HINT_EN not in _subscriber_group(theirs_english)
    assert "Client secret of the Subscriber client" in theirs_english
