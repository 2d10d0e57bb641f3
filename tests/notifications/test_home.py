"""Meine Aufgaben: what waits for each person, with a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from checklist import catalogue, services
from checklist.models import Environment, VerificationRun
from checklist.signoff import declare_ready
from checklist.verification import finish_run
from notifications.home import my_tasks
from notifications.models import Kind, Notification
from tests.checklist.helpers import ready_for_test
from tests.conftest import World, make_onboarding

SLUG = "musterstadt-gewerbe"


def test_a_declared_sign_off_waits_on_the_authoritys_home_not_the_declarers(
    world: World, client_for: Any
) -> None:
    ready_for_test(world.onboarding, world.provider_staff)
    declare_ready(world.onboarding, Environment.TEST, world.provider_staff)
    bernd = client_for("authority_staff").get(reverse("home")).content.decode()
    assert "Abnahme von Test freigeben" in bernd
    assert f"/vorhaben/{SLUG}/schritt/3/#abnahme" in bernd
    clara = client_for("provider_staff").get(reverse("home")).content.decode()
    assert "Abnahme von Test freigeben" not in clara


def test_assigned_items_and_overdue_steps_show_with_their_dates(
    world: World, client_for: Any
) -> None:
    today = timezone.localdate()
    item = catalogue.load().by_key()["step2.client"]
    services.assign_item(world.onboarding, item, world.provider_staff, world.authority_admin)
    services.set_due_dates(world.onboarding, {2: today + timedelta(days=1)}, world.authority_admin)
    html = client_for("provider_staff").get(reverse("home")).content.decode()
    assert item.title in html
    assert "Schritt 2 abschließen" in html
    assert "kern-badge--danger" not in html
    later = my_tasks(world.provider_staff)
    assert [t.title for t in later.assigned] == [item.title]
    # Two days later step 2 is overdue, on the home and on the onboarding page.
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        client = client_for("provider_staff")
        html = client.get(reverse("home")).content.decode()
        assert '<span class="kern-label">überfällig</span>' in html
        detail = client.get(reverse("onboarding_detail", args=[SLUG]))
        assert '<span class="kern-label">überfällig</span>' in detail.content.decode()


def test_a_failed_check_is_a_task_and_a_notification_for_the_provider(
    world: World, client_for: Any
) -> None:
    run = VerificationRun.objects.create(
        onboarding=world.onboarding,
        environment="test",
        started_by=world.provider_staff,
        results=[{"check": "token", "status": "failed", "evidence": {}}],
    )
    finish_run(run, None)
    assert Notification.objects.filter(
        recipient=world.provider_staff, kind=Kind.VERIFICATION_FAILED
    ).exists()
    assert not Notification.objects.filter(recipient=world.authority_staff).exists()
    html = client_for("provider_staff").get(reverse("home")).content.decode()
    assert "Verbindungsprüfung Test fehlgeschlagen" in html


def test_the_home_needs_the_same_queries_for_one_or_many_onboardings(world: World) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            my_tasks(world.authority_admin)
        return len(queries)

    one = count()
    for number in range(4):
        make_onboarding(
            world.authority, world.provider, world.authority_admin, slug=f"weitere-{number}"
        )
    assert count() == one
    assert one <= 12


def test_the_site_operator_gets_the_administration_and_the_dashboard(
    world: World, client_for: Any
) -> None:
    """The operator's home is the dashboard of all onboardings, not a list of every one."""
    html = client_for("site_operator").get(reverse("home")).content.decode()
    assert reverse("admin:index") in html
    assert "1 von 1 Vorhaben" in html
    assert reverse("overview") + "?step=1" in html
    assert "zu keiner Organisation" not in html


def test_the_next_action_links_to_the_item(world: World, client_for: Any) -> None:
    html = client_for("authority_admin").get(reverse("onboarding_detail", args=[SLUG]))
    assert f"/vorhaben/{SLUG}/schritt/1/#item-" in html.content.decode()


def test_a_past_go_live_date_is_refused_and_due_dates_follow_it(
    world: World, client_for: Any
) -> None:
    client = client_for("authority_admin")
    data = {"name": "Gewerbeanmeldung", "provider_choice": str(world.provider.pk)}
    past = timezone.localdate() - timedelta(days=1)
    response = client.post(
        reverse("onboarding_edit", args=[SLUG]), {**data, "target_go_live": past.isoformat()}
    )
    assert "liegt in der Vergangenheit" in response.content.decode()
    world.onboarding.refresh_from_db()
    assert world.onboarding.target_go_live is None
    go_live = timezone.localdate() + timedelta(weeks=20)
    client.post(
        reverse("onboarding_edit", args=[SLUG]), {**data, "target_go_live": go_live.isoformat()}
    )
    page = client.get(reverse("deadlines", args=[SLUG])).content.decode()
    proposed = (go_live - timedelta(weeks=11)).strftime("%d.%m.%Y")
    assert proposed in page


def test_only_the_authority_admin_sets_due_dates_and_not_in_the_past(
    world: World, client_for: Any
) -> None:
    url = reverse("deadlines", args=[SLUG])
    soon = timezone.localdate() + timedelta(days=30)
    assert client_for("authority_staff").post(url, {"step3": soon.isoformat()}).status_code == 403
    admin = client_for("authority_admin")
    refused = admin.post(url, {"step3": "2001-01-01"})
    assert "Dieses Datum liegt in der Vergangenheit" in refused.content.decode()
    assert not world.onboarding.deadlines.exists()
    admin.post(url, {"step3": soon.isoformat()})
    assert world.onboarding.deadlines.get().due_date == soon
    trail = admin.get(reverse("audit_trail", args=[SLUG])).content.decode()
    assert "Fälligkeit von Schritt 3" in trail
    assert soon.strftime("%d.%m.%Y") in trail
