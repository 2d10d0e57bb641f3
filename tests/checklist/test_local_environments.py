"""Only environment rows marked local reach internal addresses: never production, always
visibly badged "lokal", and callback URLs are checked at the field."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from checklist.demo import ensure_sandbox_environment
from checklist.models import EnvironmentRecord, FitConnectEnvironment
from checklist.verification import target_for
from tests.checklist.helpers import admin_change
from tests.conftest import World

SLUG = "musterstadt-gewerbe"
BADGE = '<span class="kern-label">lokal</span>'


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_a_production_environment_cannot_be_marked_local(world: World) -> None:
    production = FitConnectEnvironment.objects.get(key="production")
    production.allow_private_addresses = True
    with pytest.raises(ValidationError) as error:
        production.full_clean()
    assert "allow_private_addresses" in error.value.message_dict
    # Even a row saved without validation never lets production checks call internal hosts.
    production.save()
    assert target_for(production).allow_private_addresses is False
    sandbox = ensure_sandbox_environment("http://127.0.0.1:8765")
    assert target_for(sandbox).allow_private_addresses is True
    test = FitConnectEnvironment.objects.get(key="test")
    assert target_for(test).allow_private_addresses is False


def test_the_admin_refuses_a_local_production_environment(world: World) -> None:
    production = FitConnectEnvironment.objects.get(key="production")
    url = reverse("admin:checklist_fitconnectenvironment_change", args=[production.pk])
    data = admin_change(production, allow_private_addresses="on")
    response = signed_in(world.site_operator).post(url, data)
    assert response.status_code == 200
    assert "Eine Produktivumgebung kann nicht lokal sein" in response.content.decode()
    production.refresh_from_db()
    assert production.allow_private_addresses is False


def test_local_environments_carry_a_visible_badge(world: World) -> None:
    ensure_sandbox_environment("http://127.0.0.1:8765")
    provider = signed_in(world.provider_staff)
    step2 = provider.get(reverse("step", args=[SLUG, 2])).content.decode()
    assert step2.count(BADGE) == 1  # the sandbox, not FITKO's three
    EnvironmentRecord.objects.create(
        onboarding=world.onboarding,
        environment="sandbox",
        client_id="sandbox-client",
        destination_id="3fa85f64-5717-4562-b3fc-2c963f66afa6",
    )
    step3 = provider.get(reverse("step", args=[SLUG, 3])).content.decode()
    assert BADGE in step3
    assert "unter internen Adressen" in step3


@pytest.mark.parametrize(
    ("environment", "callback_url", "message"),
    [
        ("test", "https://fachverfahren.example:99999/callback", "Zahl von 1 bis 65535"),
        ("test", "https://10.0.0.8/callback", "Diese Adresse ist intern (10.0.0.8)"),
        ("test", "https://[::1]/callback", "Diese Adresse ist intern (::1)"),
        ("test", "https://100.100.100.200/callback", "intern (100.100.100.200)"),
        ("test", "http://127.0.0.1:8765/callback", "https://"),
        ("sandbox", "https://fachverfahren.example:99999/callback", "Zahl von 1 bis 65535"),
    ],
)
def test_callback_urls_are_checked_at_the_field(
    world: World, environment: str, callback_url: str, message: str
) -> None:
    ensure_sandbox_environment("http://127.0.0.1:8765")
    response = signed_in(world.provider_staff).post(
        reverse("environment_edit", args=[SLUG, environment]),
        {
            "client_id": "abc",
            "destination_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "callback_url": callback_url,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_callback_url_error"' in page
    assert message in page
    assert not EnvironmentRecord.objects.exists()


def test_the_local_sandbox_accepts_its_loopback_callback(world: World) -> None:
    ensure_sandbox_environment("http://127.0.0.1:8765")
    response = signed_in(world.provider_staff).post(
        reverse("environment_edit", args=[SLUG, "sandbox"]),
        {
            "client_id": "abc",
            "destination_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "callback_url": "http://127.0.0.1:8765/fachverfahren/callback",
        },
    )
    assert response.status_code == 302
    assert EnvironmentRecord.objects.get().callback_url.startswith("http://127.0.0.1")
