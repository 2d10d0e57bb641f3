"""What the API keeps between requests, in the database so that every app server agrees.

Idempotency keys with the response they produced, per-token request counters for the
rate limit, and per-IP counters of refused tokens.
"""

from __future__ import annotations

from django.db import models

from portal.models import ApiToken


class IdempotencyRecord(models.Model):
    """The first response to a POST with an ``Idempotency-Key``, replayed for repeats."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of method, path and body: a repeat must be the same request.
    fingerprint = models.CharField(max_length=64)
    # None while the first request is still being answered.
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=500, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="idempotency_unique_token_key")
        ]

    def __str__(self) -> str:
        return f"{self.token_id}: {self.key}"


class RateLimitWindow(models.Model):
    """How many requests one token made in one minute."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["token", "window_start"], name="rate_limit_unique_token_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.token_id} {self.window_start:%H:%M}: {self.count}"


class AuthFailureWindow(models.Model):
    """How many unknown, expired or revoked tokens one client IP sent in ten minutes."""

    ip_address = models.CharField(max_length=100)
    window_start = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ip_address", "window_start"], name="auth_failure_unique_ip_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ip_address} {self.window_start:%H:%M}: {self.count}"
