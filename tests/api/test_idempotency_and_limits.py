"""Idempotency-Key on POST, the rate limit per token, and the shell command for tokens."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from api.models import AuthFailureWindow, IdempotencyRecord, RateLimitWindow
from checklist.models import Comment
from portal.models import ApiToken, hash_token
from tests.api.conftest import ApiClient, make_token
from tests.conftest import World

BASE = "/api/v1/onboardings/musterstadt-gewerbe"
COMMENTS = f"{BASE}/items/step2.client/comments"


def test_a_repeated_post_with_the_same_key_changes_nothing_twice(
    api_for: Callable[..., ApiClient],
) -> None:
    api = api_for("provider")
    first = api.post(COMMENTS, {"text": "Deployment 17 ok"}, **{"Idempotency-Key": "deploy-17"})
    again = api.post(COMMENTS, {"text": "Deployment 17 ok"}, **{"Idempotency-Key": "deploy-17"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Comment.objects.count() == 1
    # Without a key every POST counts.
    api.post(COMMENTS, {"text": "Deployment 17 ok"})
    assert Comment.objects.count() == 2


def test_a_key_reused_for_another_request_is_refused(api_for: Callable[..., ApiClient]) -> None:
    api = api_for("provider")
    api.post(COMMENTS, {"text": "eins"}, **{"Idempotency-Key": "k1"})
    other = api.post(COMMENTS, {"text": "zwei"}, **{"Idempotency-Key": "k1"})
    assert other.status_code == 422
    assert other.json()["title_en"] == "The Idempotency-Key belongs to a different request"
    assert list(Comment.objects.values_list("text", flat=True)) == ["eins"]


def test_keys_belong_to_one_token(world: World) -> None:
    _token, first = make_token(world.provider, name="A")
    _token, second = make_token(world.provider, name="B")
    for plain in (first, second):
        response = ApiClient(plain).post(COMMENTS, {"text": "x"}, **{"Idempotency-Key": "same"})
        assert response.status_code == 201
    assert Comment.objects.count() == 2


def test_a_failed_request_does_not_use_up_its_key(api_for: Callable[..., ApiClient]) -> None:
    api = api_for("provider")
    failed = api.post(COMMENTS, {"text": ""}, **{"Idempotency-Key": "retry-me"})
    assert failed.status_code == 422
    assert not IdempotencyRecord.objects.exists()
    fixed = api.post(COMMENTS, {"text": "jetzt"}, **{"Idempotency-Key": "retry-me"})
    assert fixed.status_code == 201


def test_a_request_still_running_under_the_key_answers_409(world: World) -> None:
    token, plain = make_token(world.provider)
    api = ApiClient(plain)
    first = api.post(COMMENTS, {"text": "x"}, **{"Idempotency-Key": "busy"})
    assert first.status_code == 201
    # As if another app server had just claimed the key and not yet answered:
    record = IdempotencyRecord.objects.get(token=token)
    record.status_code = None
    record.save()
    busy = api.post(COMMENTS, {"text": "x"}, **{"Idempotency-Key": "busy"})
    assert busy.status_code == 409
    assert busy["Retry-After"] == "1"
    assert Comment.objects.count() == 1


def test_an_unusable_key_answers_400(api_for: Callable[..., ApiClient]) -> None:
    api = api_for("provider")
    response = api.post(COMMENTS, {"text": "x"}, **{"Idempotency-Key": "mit leerzeichen"})
    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_keys_expire_after_a_day(api_for: Callable[..., ApiClient]) -> None:
    api = api_for("provider")
    api.post(COMMENTS, {"text": "x"}, **{"Idempotency-Key": "daily"})
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        api.post(COMMENTS, {"text": "x"}, **{"Idempotency-Key": "daily"})
    assert Comment.objects.count() == 2


def test_too_many_requests_answer_429_with_retry_after(world: World, settings: Any) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    token, plain = make_token(world.provider)
    start = timezone.now().replace(second=10, microsecond=0)
    with time_machine.travel(start, tick=False):
        # Two clients, as two app servers would be: the count is in the database.
        answers = [ApiClient(plain).get(BASE).status_code for _ in range(3)]
        limited = ApiClient(plain).get(BASE)
    assert answers == [200, 200, 200]
    assert limited.status_code == 429
    assert limited["Content-Type"] == "application/problem+json"
    assert limited["Retry-After"] == "50"
    assert RateLimitWindow.objects.get(token=token).count == 4
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert ApiClient(plain).get(BASE).status_code == 200
    # Old windows are cleared when a new one opens.
    assert RateLimitWindow.objects.filter(token=token).count() == 1
    # Other tokens have their own limit.
    with time_machine.travel(start, tick=False):
        _other, other = make_token(world.provider, name="other")
        assert ApiClient(other).get(BASE).status_code == 200


def test_refused_tokens_from_one_ip_answer_429_after_the_limit(world: World, settings: Any) -> None:
    settings.API_AUTH_FAILURE_LIMIT_PER_IP = 3
    _token, plain = make_token(world.provider)
    revoked, revoked_plain = make_token(world.provider, name="old")
    revoked.revoke(by=None)
    start = timezone.now().replace(minute=21, second=0, microsecond=0)
    with time_machine.travel(start, tick=False):
        guesses = [ApiClient(f"guess-{n}").get(BASE).status_code for n in range(2)]
        guesses.append(ApiClient(revoked_plain).get(BASE).status_code)
        limited = ApiClient("guess-3").get(BASE)
        # A valid token from the same address still works; a missing one is no guess.
        valid = ApiClient(plain).get(BASE)
        missing = ApiClient(None).get(BASE)
        # Another address has its own count.
        other = ApiClient("guess-4")
        other.client.defaults["REMOTE_ADDR"] = "198.51.100.7"
        elsewhere = other.get(BASE)
    assert guesses == [401, 401, 401]
    assert limited.status_code == 429
    assert limited["Content-Type"] == "application/problem+json"
    assert limited["Retry-After"] == "540"  # until 30 past, the end of the ten minutes
    assert valid.status_code == 200
    assert missing.status_code == 401
    assert elsewhere.status_code == 401
    with time_machine.travel(start + timedelta(minutes=8, seconds=59), tick=False):
        assert ApiClient("guess-5").get(BASE).status_code == 429
    with time_machine.travel(start + timedelta(minutes=9), tick=False):
        assert ApiClient("guess-6").get(BASE).status_code == 401
    # Old windows are cleared when a new one opens.
    assert AuthFailureWindow.objects.count() == 1


def test_refused_tokens_are_counted_per_client_behind_the_proxies(
    world: World, settings: Any
) -> None:
    settings.API_AUTH_FAILURE_LIMIT_PER_IP = 1
    settings.FORWARDED_PROXY_COUNT = 1
    start = timezone.now().replace(minute=0, second=0, microsecond=0)

    def guess(client: str) -> int:
        # Every request comes from the load balancer, which names the client.
        api = ApiClient("guess", **{"X-Forwarded-For": client})
        api.client.defaults["REMOTE_ADDR"] = "10.0.0.2"
        return int(api.get(BASE).status_code)

    with time_machine.travel(start, tick=False):
        assert [guess("203.0.113.1"), guess("203.0.113.1")] == [401, 429]
        assert guess("203.0.113.2") == 401


def test_the_command_prints_a_token_once_and_stores_its_hash(world: World) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_api_token",
        "kommunal-it",
        "--name",
        "Jenkins",
        "--scope",
        "read",
        "checks:run",
        "--days",
        "7",
        stdout=out,
        stderr=err,
    )
    plain = out.getvalue().strip()
    token = ApiToken.objects.get(name="Jenkins")
    assert token.token_hash == hash_token(plain)
    assert token.scopes == ["read", "checks:run"]
    assert token.organisation == world.provider
    assert "shown only now" in err.getvalue()
    assert ApiClient(plain).get(BASE).status_code == 200
    assert ApiClient(plain).get(f"{BASE}/record.pdf").status_code == 403


def test_the_command_names_the_known_organisations(world: World) -> None:
    with pytest.raises(CommandError, match=r"known: .*kommunal-it"):
        call_command("create_api_token", "nope", "--name", "x", "--scope", "read")
    call_command(
        "create_api_token", "kommunal-it", "--name", "x", "--scope", "read", stdout=io.StringIO()
    )
    with pytest.raises(CommandError, match="already has a token"):
        call_command(
            "create_api_token",
            "kommunal-it",
            "--name",
            "x",
            "--scope",
            "read",
            stdout=io.StringIO(),
        )


def test_refused_tokens_use_up_no_rate_limit_and_the_limit_comes_before_not_found(
    world: World, settings: Any
) -> None:
    # The token, its count and the onboarding are one statement on PostgreSQL (api.auth):
    # a refused token opens no window, and each answer is the one the first check gives.
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    token, plain = make_token(world.provider)
    revoked, revoked_plain = make_token(world.provider, name="old")
    revoked.revoke(by=None)
    expired, expired_plain = make_token(world.provider, name="expired")
    start = timezone.now().replace(second=10, microsecond=0)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=start)
    with time_machine.travel(start, tick=False):
        assert ApiClient(revoked_plain).get(BASE).status_code == 401
        assert ApiClient(expired_plain).get(BASE).status_code == 401
        assert not RateLimitWindow.objects.filter(token__in=[revoked, expired]).exists()
        elsewhere = ApiClient(plain).get("/api/v1/onboardings/kein-vorhaben")
        limited = ApiClient(plain).get("/api/v1/onboardings/kein-vorhaben")
    assert elsewhere.status_code == 404
    assert elsewhere["Content-Type"] == "application/problem+json"
    assert limited.status_code == 429
    assert RateLimitWindow.objects.get(token=token).count == 2


@pytest.mark.django_db(transaction=True)
def test_a_read_outside_a_transaction_counts_and_answers_as_inside_one(
    world: World, settings: Any
) -> None:
    # A read is its own transaction in production (autocommit); on PostgreSQL its count
    # then commits without waiting for the disk (api.auth), and must still count and answer.
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    token, plain = make_token(world.provider)
    start = timezone.now().replace(second=10, microsecond=0)
    with time_machine.travel(start, tick=False):
        answers = [ApiClient(plain).get(BASE) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[0].json()["slug"] == "musterstadt-gewerbe"
    assert RateLimitWindow.objects.get(token=token).count == 3
