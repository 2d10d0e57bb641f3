"""The production watch against the sandbox: each check green, amber or red, the
escalation along FITKO's timeline, fault tolerance, and nothing secret stored."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.core import mail
from django.utils import timezone

from checklist.models import AuditEvent, ItemState, SignOff
from fitconnect.sandbox import Sandbox
from notifications.describe import describe
from notifications.models import Notification
from tests.conftest import World
from tests.watch.helpers import make_live
from watch.cycle import enrol, run_cycle
from watch.models import WatchDestination, WatchResult


@pytest.fixture(autouse=True)
def _no_pause(settings: Any) -> None:
    settings.WATCH_RETRY_BACKOFF = 0


def states(watched: WatchDestination) -> dict[str, str]:
    return dict(watched.results.values_list("check_key", "state"))


def test_a_connection_in_order_is_green_in_every_check_and_stores_no_secret(
    world: World, sandbox: Sandbox
) -> None:
    NOW = timezone.now()  # the sandbox dates keys and submissions by its clock
    watched, _ = make_live(world, sandbox)
    items, events = ItemState.objects.count(), AuditEvent.objects.count()
    assert run_cycle(NOW) == 1
    watched.refresh_from_db()
    assert states(watched) == {
        "token": "green",
        "destination": "green",
        "keys": "green",
        "jwks": "green",
        "routing": "green",
        "waiting": "green",
    }
    assert watched.state == "green"
    # Results never tick or untick an item, never touch a sign-off.
    assert (ItemState.objects.count(), AuditEvent.objects.count()) == (items, events)
    assert SignOff.objects.get().state == SignOff.State.APPROVED
    stored = json.dumps(list(WatchResult.objects.values("message", "details", "values")))
    for secret in ("secret-", "Bearer", "access_token"):
        assert secret not in stored


def test_each_destination_is_checked_once_per_cycle_and_keeps_one_row_per_check_a_day(
    world: World, sandbox: Sandbox
) -> None:
    NOW = timezone.now()  # the sandbox dates keys and submissions by its clock
    watched, _ = make_live(world, sandbox)
    assert run_cycle(NOW) == 1
    assert run_cycle(NOW + timedelta(minutes=10)) == 0  # the cycle is not over yet
    assert run_cycle(NOW + timedelta(hours=1)) == 1
    watched.refresh_from_db()
    assert watched.checks_done == 2
    days = {timezone.localdate(NOW), timezone.localdate(NOW + timedelta(hours=1))}
    assert WatchResult.objects.filter(destination=watched).count() == 6 * len(days)


def test_an_inactive_zustellpunkt_turns_red_at_once_and_tells_both_sides_once(
    world: World, sandbox: Sandbox
) -> None:
    NOW = timezone.now()  # the sandbox dates keys and submissions by its clock
    watched, destination_id = make_live(world, sandbox)
    sandbox.set_destination_status(destination_id, "inactive")
    run_cycle(NOW)
    watched.refresh_from_db()
    assert states(watched)["destination"] == "red"
    assert watched.state == "red"
    told = Notification.objects.filter(kind="watch_red")
    assert {n.recipient for n in told} == {
        world.provider_staff,
        world.authority_admin,
        world.authority_staff,
    }
    text = describe(told.first())  # type: ignore[arg-type]
    assert "gestört" in text.title
    assert "Zustellpunkt" in text.body
    run_cycle(NOW + timedelta(hours=1))
    assert Notification.objects.filter(kind="watch_red").count() == 3
    # The e-mails name no secret.
    assert mail.outbox
    for message in mail.outbox:
        assert "secret-" not in message.body


def test_a_certificate_expiring_in_20_days_is_amber_and_reminds_once_per_threshold(
    world: World, sandbox: Sandbox
) -> None:
    NOW = timezone.now()  # the sandbox dates keys and submissions by its clock
    key = sandbox.expiring_key("encryption", 20, kid="watch-expiring-enc")
    watched, _ = make_live(world, sandbox, encryption_key=key.public)
    run_cycle(NOW)
    watched.refresh_from_db()
    result = watched.results.get(check_key="keys")
    assert result.state == "amber"
    assert result.values["days_to_expiry"] in (19, 20)
    reminders = Notification.objects.filter(kind="watch_expiring", recipient=world.provider_staff)
    assert reminders.count() == 1
    assert "läuft in" in describe(reminders.get()).body
    run_cycle(NOW + timedelta(hours=1))
    assert reminders.count() == 1  # the 30-day threshold is told once


def test_a_certificate_expiring_within_7_days_is_red(world: World, sandbox: Sandbox) -> None:
    NOW = timezone.now()  # the sandbox dates keys and submissions by its clock
    key = sandbox.expiring_key("encryption", 5, kid="watch-expiring-soon-enc")
    watched, _ = make_live(world, sandbox, encryption_key=key.public)
    run_cycle(NOW)
    assert watched.results.get(check_key="keys").state == "red"


@pytest.mark.parametrize(
    ("age", "state", "threshold"),
    [(1, "green", None), (4, "amber", 2), (10, "red", 7), (13, "red", 12)],
)
def test_waiting_submissions_turn_amber_then_red_and_say_what_fitko_does_next(
    world: World, sandbox: Sandbox, age: int, state: str, threshold: int | None
) -> None:
    watched, destination_id = make_live(world, sandbox)
    sandbox.add_waiting_submission(destination_id, age)
    run_cycle(timezone.now())
    result = watched.results.get(check_key="waiting")
    assert result.state == state
    assert result.values["count"] == 1
    assert result.values["oldest_days"] == age
    told = Notification.objects.filter(kind="watch_waiting", recipient=world.authority_staff)
    if threshold is None:
        assert not told.exists()
        return
    assert told.get().params["threshold"] == threshold
    body = describe(told.get()).body
    assert "1 Einreichung(en) warten" in body
    if age < 14:
        assert "Am " in body  # the next of FITKO's steps, with its date


def test_no_submission_content_is_stored(world: World, sandbox: Sandbox) -> None:
    watched, destination_id = make_live(world, sandbox)
    sub = sandbox.add_waiting_submission(destination_id, 3)
    run_cycle(timezone.now())
    values = watched.results.get(check_key="waiting").values
    assert values["waiting"][0]["submission_id"] == sub
    assert set(values["waiting"][0]) == {"submission_id", "submitted_at"}


def test_a_wrong_client_secret_is_red_at_once(world: World, sandbox: Sandbox) -> None:
    NOW = timezone.now()  # the sandbox dates keys and submissions by its clock
    watched, _ = make_live(world, sandbox)
    from checklist.verification import store_secret

    store_secret(world.onboarding, "sandbox", "subscriber", "wrong", world.provider_staff)
    run_cycle(NOW)
    assert states(watched)["token"] == "red"


class Unreachable(httpx.BaseTransport):
    def __init__(self) -> None:
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        raise httpx.ConnectTimeout("timed out", request=request)


def test_not_reachable_is_retried_and_turns_red_only_after_it_persists(
    world: World, sandbox: Sandbox, settings: Any
) -> None:
    NOW = timezone.now()  # the sandbox dates keys and submissions by its clock
    settings.WATCH_UNREACHABLE_CYCLES = 3
    settings.WATCH_RETRIES = 2
    watched, _ = make_live(world, sandbox)
    transport = Unreachable()
    pauses: list[float] = []
    run_cycle(NOW, transport=transport, sleep=pauses.append)
    watched.refresh_from_db()
    assert states(watched)["token"] == "unreachable"
    assert watched.state == "unreachable"
    assert transport.calls >= 3  # tried, then retried twice
    assert pauses[:2] == [0.0, 0.0]
    run_cycle(NOW + timedelta(hours=1), transport=transport, sleep=pauses.append)
    assert states(watched)["token"] == "unreachable"
    assert not Notification.objects.filter(kind="watch_red").exists()
    run_cycle(NOW + timedelta(hours=2), transport=transport, sleep=pauses.append)
    watched.refresh_from_db()
    assert states(watched)["token"] == "red"
    assert Notification.objects.filter(kind="watch_red").exists()


def test_only_onboardings_live_in_production_are_enrolled(world: World, sandbox: Sandbox) -> None:
    NOW = timezone.now()  # the sandbox dates keys and submissions by its clock
    assert enrol(NOW) == 0
    make_live(world, sandbox)
    WatchDestination.objects.all().delete()
    assert enrol(NOW) == 1


@pytest.mark.parametrize(
    ("field", "fault", "state"),
    [
        # In the test stage routes are entered by hand, so a missing one is a warning
        # (fitconnect/checks/routing.py); in production the check itself fails: red.
        ("routing_base", "no-route", "amber"),
        ("ssp_jwks_url", "wrong-key", "red"),
    ],
    ids=["no route", "invalid destinationSignature"],
)
def test_routing_without_a_route_or_with_an_invalid_signature_is_not_green(
    world: World, sandbox: Sandbox, field: str, fault: str, state: str
) -> None:
    from checklist.models import FitConnectEnvironment
    from fitconnect.sandbox import urls

    watched, _ = make_live(world, sandbox)
    path = urls(sandbox.base)[field].removeprefix(sandbox.base)
    FitConnectEnvironment.objects.filter(key="sandbox").update(
        **{field: f"{sandbox.base}/fault/{fault}{path}"}
    )
    run_cycle(timezone.now())
    assert states(watched)["routing"] == state
    assert states(watched)["destination"] == "green"
