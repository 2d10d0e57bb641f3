"""A signed-in session is written at most once a minute; the timeout warning stays right; a
signed-in request reads the session with the user, memberships and device in one statement."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.mfa import confirm_enrolment, start_enrolment
from portal.models import Membership, Organisation, Session
from tests.conftest import PASSWORD, World, make_onboarding
from tests.portal.test_mfa import code

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _writes(client: Client, url: str) -> tuple[int, int]:
    """Return the session writes of one request and the seconds it says are left."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if "portal_session" in q["sql"] and not q["sql"].startswith("SELECT")
    ]
    return len(writes), int(response["X-Session-Expires-In"])


def test_the_session_is_written_at_most_once_a_minute_and_says_how_long_it_lasts(
    world: World,
) -> None:
    age = settings.SESSION_COOKIE_AGE
    with time_machine.travel(START, tick=False) as clock:
        client = Client()
        client.force_login(world.authority_admin)
        assert _writes(client, reverse("home"))[0] == 1  # recorded once after sign-in
        clock.shift(timedelta(seconds=30))
        writes, left = _writes(client, reverse("imprint"))
        assert writes == 0
        assert left == age - 30  # not extended: the warning must come 30 seconds earlier
        page = client.get(reverse("home")).content.decode()
        assert f'data-session-seconds="{age - 30}"' in page
        clock.shift(timedelta(seconds=31))
        writes, left = _writes(client, reverse("imprint"))
        assert (writes, left) == (1, age)
        # "Stay signed in" always extends at once.
        clock.shift(timedelta(seconds=10))
        response = client.post(reverse("extend_session"))
        assert response.json()["expires_in"] == age
        assert int(response["X-Session-Expires-In"]) == age


def test_an_expired_session_signs_out_even_without_writes_in_between(world: World) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = Client()
        client.force_login(world.authority_admin)
        client.get(reverse("home"))
        clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
        response = client.get(reverse("overview"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_signed_in_request_reads_the_session_with_user_and_memberships_in_one_statement(
    world: World,
) -> None:
    client = Client()
    client.force_login(world.authority_admin)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("imprint")).content.decode()
    statements = [q["sql"] for q in captured.captured_queries]
    tables = [re.search(r'FROM "(\w+)"', sql).group(1) for sql in statements]  # type: ignore[union-attr]
    assert tables == ["portal_session"]  # the user and memberships joined to the session row
    assert '"portal_user"' in statements[0]
    assert '"portal_membership"' in statements[0]
    assert "Stadt Musterstadt" in page  # the current organisation in the header


def _verified_admin(world: World) -> tuple[Client, TOTPDevice]:
    """Anna signed in with her password and confirmed with her authenticator app."""
    device = start_enrolment(world.authority_admin)
    confirm_enrolment(device)
    client = Client()
    client.post(reverse("login"), {"username": world.authority_admin.email, "password": PASSWORD})
    client.post(reverse("login_second_factor"), {"code": code(device)})
    return client, device


def _statements(client: Client, url: str) -> tuple[list[str], str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return [q["sql"] for q in captured.captured_queries], response.content.decode()


def test_a_request_confirmed_with_a_second_factor_costs_one_statement_however_many_memberships(
    world: World, settings: object
) -> None:
    settings.MFA_REQUIRED = True  # type: ignore[attr-defined]
    client, _device = _verified_admin(world)
    client.get(reverse("home"))  # the first request after sign-in records the session's age
    few, page = _statements(client, reverse("imprint"))
    assert "Stadt Musterstadt" in page
    # Anna joins four more organisations, each with onboardings.
    for number in range(4):
        organisation = Organisation.objects.create(
            name=f"Gemeinde {number}", slug=f"gemeinde-{number}", kind=Organisation.Kind.AUTHORITY
        )
        Membership.objects.create(user=world.authority_admin, organisation=organisation)
        for other in range(3):
            make_onboarding(
                organisation, world.provider, world.authority_admin, f"g{number}-{other}"
            )
    many, page = _statements(client, reverse("imprint"))
    assert "Gemeinde 3" in page  # the organisation switcher lists them
    # The session row with the user, memberships and the confirmed device, in one.
    assert len(few) == len(many) == 1, many
    assert "otp_totp_totpdevice" in many[0]
    # Still confirmed: an administrator's pages open without asking for the second factor.
    assert client.get(reverse("overview")).status_code == 200


def test_a_removed_device_or_membership_counts_on_the_very_next_request(
    world: World, settings: object
) -> None:
    settings.MFA_REQUIRED = True  # type: ignore[attr-defined]
    client, device = _verified_admin(world)
    assert client.get(reverse("overview")).status_code == 200
    other = Organisation.objects.create(
        name="Gemeinde Zwei", slug="gemeinde-zwei", kind=Organisation.Kind.AUTHORITY
    )
    membership = Membership.objects.create(user=world.authority_admin, organisation=other)
    assert "Gemeinde Zwei" in client.get(reverse("imprint")).content.decode()
    membership.delete()
    assert "Gemeinde Zwei" not in client.get(reverse("imprint")).content.decode()
    device.delete()
    response = client.get(reverse("overview"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_setup")


def test_a_session_whose_row_does_not_name_its_user_still_signs_in_and_is_named_when_saved(
    world: World, settings: object
) -> None:
    """Sessions moved from Django's table (migration 0012) have empty user and device
    columns: they stay signed in and confirmed, the user read in a second statement, until
    the session is next saved."""
    settings.MFA_REQUIRED = True  # type: ignore[attr-defined]
    client, device = _verified_admin(world)
    client.get(reverse("home"))  # the first request after sign-in records the session's age
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(user=None, device_model="", device_number=None)
    statements, page = _statements(client, reverse("imprint"))
    assert "Stadt Musterstadt" in page
    assert len(statements) == 2
    assert client.get(reverse("overview")).status_code == 200  # still confirmed
    client.post(reverse("extend_session"))  # saves the session
    row = Session.objects.get(session_key=key)
    assert (row.user_id, row.device_model, row.device_number) == (
        world.authority_admin.pk,
        "otp_totp.totpdevice",
        device.pk,
    )
    assert len(_statements(client, reverse("imprint"))[0]) == 1


def test_the_session_data_decide_who_is_signed_in_not_the_rows_columns(
    world: World, settings: object
) -> None:
    """Columns that disagree with the signed session data (say, changed by hand) never sign
    in another person nor confirm a second factor the session was not confirmed with."""
    settings.MFA_REQUIRED = True  # type: ignore[attr-defined]
    device = start_enrolment(world.authority_admin)
    confirm_enrolment(device)
    client = Client()
    client.force_login(world.authority_admin)  # signed in, not confirmed with the device
    key = client.session.session_key
    # The row claims the second factor was confirmed: the data say it was not.
    Session.objects.filter(session_key=key).update(
        device_model="otp_totp.totpdevice", device_number=device.pk
    )
    response = client.get(reverse("overview"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_setup")
    # The row names another person: the page still shows Anna's own organisation only.
    Session.objects.filter(session_key=key).update(
        user=world.provider_staff, device_model="", device_number=None
    )
    page = client.get(reverse("imprint")).content.decode()
    assert "Stadt Musterstadt" in page
    assert "Kommunal-IT GmbH" not in page
