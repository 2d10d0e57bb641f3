"""Inputs from an outside probe that once caused server errors now get a clear answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import World

HUGE = 2**64


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("null", "/"),
        ("home", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/vorhaben/?sort=progress", "/vorhaben/?sort=progress"),
    ],
)
def test_switching_organisation_returns_only_to_paths_of_this_site(
    world: World, client_for: Callable[[str], Client], target: str, expected: str
) -> None:
    response = client_for("authority_admin").post(
        reverse("switch_organisation"), {"organisation": world.authority.pk, "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == expected


@pytest.mark.parametrize(
    "path",
    [
        f"/organisationen/{HUGE}/",
        f"/organisationen/{2**63}/",
        f"/vorhaben/musterstadt-gewerbe/leistungen/{HUGE}/",
        f"/vorhaben/musterstadt-gewerbe/pruefungen/{HUGE}/",
    ],
)
def test_ids_beyond_the_database_range_are_not_found(
    world: World, client_for: Callable[[str], Client], path: str
) -> None:
    assert client_for("authority_admin").get(path).status_code == 404


@pytest.mark.parametrize("person", [str(HUGE), "²", "-1", "9" * 40])
def test_the_audit_trail_ignores_a_person_filter_it_cannot_read(
    world: World, client_for: Callable[[str], Client], person: str
) -> None:
    response = client_for("authority_admin").get(
        reverse("audit_trail", args=["musterstadt-gewerbe"]), {"person": person, "step": person}
    )
    assert response.status_code == 200
    assert "hat das Anbindungsvorhaben „Gewerbeanmeldung“ angelegt." in response.content.decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 5000 + "]" * 5000, "mehr als 20 Ebenen tief verschachtelt"),
        ('{"kty": ' + "[" * 30 + "]" * 30 + "}", "mehr als 20 Ebenen tief verschachtelt"),
        ('{"kty": "' + "x" * 70_000 + '"}', "länger als 64 KB"),
        ("[]", "Ein JWK ist ein JSON-Objekt"),
    ],
)
def test_the_key_checker_limits_size_and_depth_with_a_message(
    world: World, client_for: Callable[[str], Client], text: str, message: str
) -> None:
    response = client_for("provider_staff").post(
        reverse("jwk_validator"), {"jwk": text, "purpose": "encryption"}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
