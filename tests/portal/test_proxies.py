"""Behind a load balancer, the sign-in rate limit counts per client, not per balancer."""

from __future__ import annotations

from django.http import HttpRequest
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from portal.proxies import client_ip
from tests.conftest import PASSWORD, World

BALANCER = "10.0.0.2"


def request(forwarded: str | None) -> HttpRequest:
    extra = {"REMOTE_ADDR": BALANCER}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_proxies_the_remote_address_counts() -> None:
    assert client_ip(request("203.0.113.9")) == BALANCER


@override_settings(FORWARDED_PROXY_COUNT=1)
def test_behind_one_balancer_its_last_forwarded_entry_counts() -> None:
    assert client_ip(request("203.0.113.9")) == "203.0.113.9"
    # A client cannot pretend to be someone else by sending its own header.
    forged = request("198.51.100.1, 203.0.113.9")
    assert client_ip(forged) == "203.0.113.9"
    assert client_ip(request(None)) == BALANCER


@override_settings(FORWARDED_PROXY_COUNT=2)
def test_behind_two_proxies_the_second_entry_from_the_right_counts() -> None:
    chain = request("198.51.100.1, 203.0.113.9, 10.0.0.7")
    assert client_ip(chain) == "203.0.113.9"


@override_settings(FORWARDED_PROXY_COUNT=1)
def test_failures_from_one_client_do_not_lock_out_the_others(world: World) -> None:
    def sign_in(client_address: str, password: str) -> int:
        response = Client(REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=client_address).post(
            reverse("login"), {"username": "anna@musterstadt.example", "password": password}
        )
        return response.status_code

    for _ in range(5):
        sign_in("203.0.113.9", "falsch")
    assert sign_in("203.0.113.9", PASSWORD) == 429
    assert sign_in("198.51.100.1", PASSWORD) == 302
