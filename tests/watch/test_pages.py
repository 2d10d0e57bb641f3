"""The Betrieb page, the state on the onboarding's page, the overview, the dashboard and
"Meine Aufgaben", and the outages the provider records."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fitconnect.sandbox import Sandbox
from tests.conftest import World, make_onboarding
from tests.watch.helpers import make_live
from watch.cycle import run_cycle
from watch.models import Outage


@pytest.fixture(autouse=True)
def _no_pause(settings: Any) -> None:
    settings.WATCH_RETRY_BACKOFF = 0


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_betrieb_page_shows_each_check_its_days_and_what_fitko_does_on_which_day(
    world: World, sandbox: Sandbox
) -> None:
    _, destination_id = make_live(world, sandbox)
    sandbox.add_waiting_submission(destination_id, 10)
    run_cycle(timezone.now())
    html = (
        signed_in(world.authority_staff)
        .get(reverse("watch_page", args=[world.onboarding.slug]))
        .content.decode()
    )
    assert "gestört" in html
    assert "Wartende Einreichungen" in html
    submitted = timezone.localdate() - timedelta(days=10)
    rejection = (submitted + timedelta(days=14)).strftime("%d.%m.%Y")
    assert f"Am {rejection} weist der Zustelldienst die Einreichung zurück" in html
    # The timeline as a table too, 30 days per check.
    assert html.count("Zustand je Tag") == 6
    assert "Token" in html


def test_the_state_shows_on_the_onboarding_the_overview_the_dashboard_and_the_providers_tasks(
    world: World, sandbox: Sandbox
) -> None:
    _, destination_id = make_live(world, sandbox)
    sandbox.set_destination_status(destination_id, "inactive")
    run_cycle(timezone.now())
    slug = world.onboarding.slug
    detail = signed_in(world.authority_staff).get(reverse("onboarding_detail", args=[slug]))
    assert "Produktion:" in detail.content.decode()
    assert reverse("watch_page", args=[slug]) in detail.content.decode()
    overview = signed_in(world.authority_staff).get(reverse("overview")).content.decode()
    assert "gestört" in overview
    dashboard = signed_in(world.coordinator).get(reverse("dashboard")).content.decode()
    assert "Gestört: 1 von 1 Live-Anbindungen" in dashboard
    home = signed_in(world.provider_staff).get(reverse("home")).content.decode()
    assert "Produktivanbindung gestört: bitte beheben" in home
    clerk_home = signed_in(world.authority_staff).get(reverse("home")).content.decode()
    assert "Produktivanbindung gestört: bitte beheben" not in clerk_home  # the provider's task
    assert "gestört" in clerk_home  # but the clerk sees the state


def test_the_dashboard_counts_live_connections_of_all_and_links_the_filtered_overview(
    world: World, sandbox: Sandbox
) -> None:
    _, disrupted = make_live(world, sandbox)
    sandbox.set_destination_status(disrupted, "inactive")
    second = make_onboarding(
        world.authority, world.provider, world.authority_admin, "musterstadt-hund", "Hundesteuer"
    )
    make_live(world, sandbox, second)
    make_onboarding(
        world.authority, world.provider, world.authority_admin, "musterstadt-kfz", "Kfz-Zulassung"
    )  # not live: not counted
    run_cycle(timezone.now())
    coordinator = signed_in(world.coordinator)
    dashboard = coordinator.get(reverse("dashboard")).content.decode()
    overview = reverse("overview")
    assert (
        f'<a class="kern-link" href="{overview}?watch=red">Gestört: 1 von 2 Live-Anbindungen</a>'
        in dashboard
    )
    assert "In Ordnung: 1 von 2 Live-Anbindungen" in dashboard
    red = coordinator.get(overview, {"watch": "red"}).content.decode()
    assert "Gewerbeanmeldung" in red
    assert "Hundesteuer" not in red
    assert "Kfz-Zulassung" not in red
    green = coordinator.get(overview, {"watch": "green"}).content.decode()
    assert "Hundesteuer" in green
    assert "Gewerbeanmeldung" not in green


def test_the_provider_records_an_outage_and_a_long_one_asks_to_deactivate_the_zustellpunkt(
    world: World,
) -> None:
    slug = world.onboarding.slug
    provider = signed_in(world.provider_staff)
    starts = timezone.localdate() - timedelta(days=20)
    response = provider.post(
        reverse("watch_outage", args=[slug]),
        {"kind": "unplanned", "starts_on": starts.isoformat(), "note": "Rechenzentrum"},
        follow=True,
    )
    html = response.content.decode()
    assert "Der Ausfall ist erfasst." in html
    assert "muss deaktiviert werden" in html
    outage = Outage.objects.get()
    provider.post(reverse("watch_outage_deactivated", args=[slug, outage.pk]))
    outage.refresh_from_db()
    assert outage.deactivated_by == world.provider_staff
    html = provider.get(reverse("watch_page", args=[slug])).content.decode()
    assert "Zustellpunkt deaktiviert, festgehalten am" in html


def test_the_protokoll_shows_the_recorded_outage_and_the_confirmed_deactivation(
    world: World,
) -> None:
    slug = world.onboarding.slug
    provider = signed_in(world.provider_staff)
    starts = timezone.localdate() - timedelta(days=20)
    provider.post(
        reverse("watch_outage", args=[slug]),
        {"kind": "unplanned", "starts_on": starts.isoformat()},
    )
    outage = Outage.objects.get()
    provider.post(reverse("watch_outage_deactivated", args=[slug, outage.pk]))
    provider.post(reverse("watch_outage_deactivated", args=[slug, outage.pk]))  # once only
    html = (
        signed_in(world.authority_staff).get(reverse("audit_trail", args=[slug])).content.decode()
    )
    name = str(world.provider_staff)
    day = starts.strftime("%d.%m.%Y")
    assert f"{name} hat einen Ausfall (ungeplant) ab dem {day} erfasst." in html
    confirmed = f"{name} hat bestätigt, dass der Zustellpunkt für den Ausfall ab dem {day}"
    assert html.count(confirmed) == 1
    assert "outage" not in html


def test_a_bad_outage_gets_a_german_message_at_the_field_and_nothing_is_saved(world: World) -> None:
    response = signed_in(world.provider_staff).post(
        reverse("watch_outage", args=[world.onboarding.slug]),
        {"kind": "planned", "starts_on": "2026-12-10", "ends_on": "2026-12-01"},
    )
    assert response.status_code == 400
    assert "Das Ende kann nicht vor dem Beginn liegen." in response.content.decode()
    assert not Outage.objects.exists()


def test_the_authority_reads_outages_but_does_not_record_them(world: World) -> None:
    Outage.objects.create(onboarding=world.onboarding, kind="planned", starts_on=date(2026, 12, 1))
    html = (
        signed_in(world.authority_staff)
        .get(reverse("watch_page", args=[world.onboarding.slug]))
        .content.decode()
    )
    assert "Geplant" in html or "geplant" in html
    assert "Ausfall erfassen" not in html


def test_an_outage_longer_than_14_days_reminds_the_provider_once_until_confirmed(
    world: World,
) -> None:
    from notifications.describe import describe
    from notifications.models import Notification

    today = timezone.localdate()
    Outage.objects.create(
        onboarding=world.onboarding, kind="planned", starts_on=today - timedelta(days=10)
    )
    long = Outage.objects.create(
        onboarding=world.onboarding, kind="unplanned", starts_on=today - timedelta(days=15)
    )
    run_cycle(timezone.now())
    run_cycle(timezone.now())
    told = Notification.objects.filter(kind="watch_outage")
    assert [n.recipient for n in told] == [world.provider_staff]
    text = describe(told.get())
    assert "Zustellpunkt" in text.title
    assert "Deaktivieren Sie den Zustellpunkt" in text.body
    long.deactivated_at = timezone.now()
    long.save()
    Notification.objects.all().delete()
    run_cycle(timezone.now())
    assert not Notification.objects.filter(kind="watch_outage").exists()
