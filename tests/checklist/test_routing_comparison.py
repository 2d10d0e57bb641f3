""" "Mit FIT-Connect abgleichen": the Routing API (the test sandbox) asked per expected Leistung
× region; known, unknown and no destinations, network faults in words, the bound."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from checklist.models import (
    EnvironmentRecord,
    ExpectedRegion,
    FitConnectEnvironment,
    RoutingAnswer,
)
from fitconnect import demo
from fitconnect.sandbox import Sandbox
from tests.checklist.test_verification import point_sandbox_at
from tests.conftest import World

GEWERBE = "99050012104000"


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _setup(world: World, sandbox: Sandbox, settings: Any) -> Client:
    settings.COVERAGE_ROUTING_ENVIRONMENT = "sandbox"
    point_sandbox_at(sandbox.base)
    # Main-Kinzig-Kreis contains Musterstadt, where the sandbox's demo destination serves
    # Gewerbe anmelden; Darmstadt has no destination for it.
    ExpectedRegion.objects.create(office=world.coordination, ars="06435", name="Main-Kinzig-Kreis")
    ExpectedRegion.objects.create(office=world.coordination, ars="06411", name="Stadt Darmstadt")
    return signed_in(world.coordinator)


def _compare(client: Client) -> str:
    response = client.post(reverse("coverage_compare"), follow=True)
    assert response.status_code == 200
    return response.content.decode()


def _outcomes(world: World) -> dict[str, str]:
    answers = RoutingAnswer.objects.filter(comparison__office=world.coordination).order_by(
        "-comparison__pk"
    )
    found: dict[str, str] = {}
    for answer in answers:
        found.setdefault(answer.ars, answer.outcome)
    return found


def test_routes_to_an_unknown_destination_then_to_a_known_one_and_nowhere(
    world: World, sandbox: Sandbox, settings: Any
) -> None:
    client = _setup(world, sandbox, settings)
    html = _compare(client)
    assert _outcomes(world) == {"06435": "unknown", "06411": "nowhere"}
    answers = html.split('id="answers-caption"')[1].split("</table>")[0]
    assert "leitet an einen Zustellpunkt, den das Portal nicht kennt" in answers
    assert demo.DESTINATION_ID in answers
    assert "Gewerbe anmelden" in answers  # the service by its name, not only its key
    assert "leitet nirgendwohin" in answers
    assert "Abgleich vom" in html
    # Once an onboarding records the destination for the sandbox, the portal knows it.
    EnvironmentRecord.objects.create(
        onboarding=world.onboarding, environment="sandbox", destination_id=demo.DESTINATION_ID
    )
    html = _compare(client)
    assert _outcomes(world) == {"06435": "known", "06411": "nowhere"}
    assert "leitet an einen Zustellpunkt, den das Portal kennt" in html


def test_a_network_fault_is_said_in_words_and_never_an_error_page(
    world: World, sandbox: Sandbox, settings: Any
) -> None:
    client = _setup(world, sandbox, settings)
    FitConnectEnvironment.objects.filter(key="sandbox").update(
        routing_base="http://127.0.0.1:9/routing-api"
    )
    html = _compare(client)
    assert set(_outcomes(world).values()) == {"fault"}
    answers = html.split('id="answers-caption"')[1].split("</table>")[0]
    assert "konnte nicht gefragt werden" in answers
    assert "127.0.0.1" in answers  # the fault names the host it could not reach


def test_without_an_environment_the_comparison_says_so(world: World, settings: Any) -> None:
    settings.COVERAGE_ROUTING_ENVIRONMENT = "nirgends"
    ExpectedRegion.objects.create(office=world.coordination, ars="06411", name="Stadt Darmstadt")
    html = _compare(signed_in(world.coordinator))
    assert "Für den Abgleich ist keine FIT-Connect-Umgebung mit Routing API eingerichtet" in html


def test_the_number_of_requests_is_bounded_and_the_page_says_so(
    world: World, sandbox: Sandbox, settings: Any
) -> None:
    client = _setup(world, sandbox, settings)
    settings.COVERAGE_ROUTING_MAX_REQUESTS = 1
    html = _compare(client)
    assert RoutingAnswer.objects.count() == 1
    assert "Höchstens 1 Paare je Abgleich" in html
    assert "Nur die ersten 1 von 2 Paaren wurden abgefragt" in html


def test_progress_polls_until_the_comparison_is_finished(
    world: World, sandbox: Sandbox, settings: Any
) -> None:
    from checklist.models import RoutingComparison

    client = _setup(world, sandbox, settings)
    running = RoutingComparison.objects.create(
        office=world.coordination, environment="sandbox", pairs_total=2, pairs_planned=2
    )
    url = reverse("coverage_progress", args=[running.pk])
    panel = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Abgleich läuft: 0 von 2 Paaren abgefragt." in panel
    assert f'hx-get="{url}"' in panel
    # The same page without JavaScript, and no second run while one is running.
    assert client.get(url).status_code == 302
    _compare(client)
    assert RoutingComparison.objects.count() == 1
