"""Password spraying: one IP trying many accounts is locked at a higher, separate limit."""

from __future__ import annotations

from django.test import Client, override_settings
from django.urls import reverse

from tests.conftest import PASSWORD, World, make_user


def sign_in(email: str, password: str, ip: str = "203.0.113.9") -> int:
    response = Client(REMOTE_ADDR=ip).post(
        reverse("login"), {"username": email, "password": password}
    )
    return response.status_code


@override_settings(LOGIN_FAILURE_LIMIT_PER_IP=8)
def test_one_password_across_many_accounts_locks_the_ip(world: World) -> None:
    for number in range(7):
        # One wrong password for each of seven addresses, known or not: no account is
        # near its own limit of five.
        assert sign_in(f"person{number}@musterstadt.example", "Sommer2026!") == 200
    # The eighth failure from the IP reaches its limit: the IP is locked, even for the
    # right password of an account it never tried ...
    assert sign_in("person7@musterstadt.example", "Sommer2026!") == 429
    assert sign_in("bernd@musterstadt.example", PASSWORD) == 429
    # ... while other clients sign in as usual.
    assert sign_in("bernd@musterstadt.example", PASSWORD, ip="198.51.100.1") == 302


@override_settings(LOGIN_FAILURE_LIMIT_PER_IP=8)
def test_failures_below_the_ip_limit_do_not_lock_colleagues_out(world: World) -> None:
    for number in range(4):
        make_user(f"kollege{number}@musterstadt.example", f"Kollege {number}")
        assert sign_in(f"kollege{number}@musterstadt.example", "vertippt") == 200
    # Seven failures from the office's address in all: below eight, so everyone gets in.
    for _ in range(3):
        assert sign_in("bernd@musterstadt.example", "vertippt") == 200
    assert sign_in("anna@musterstadt.example", PASSWORD) == 302
    # A successful sign-in clears only that account's failures, not the IP's others.
    assert sign_in("clara@kommunal-it.example", "vertippt") == 429
