"""One watch of one destination: the read-only checks, classified green/amber/red.

The checks are those of "Verbindung prüfen" that only read (``READ_ONLY_CHECKS``: token,
Zustellpunkt, keys and certificates, the Zustelldienst's JWKS, routing with its
``destinationSignature``) plus the count and age of waiting submissions, all through
``fitconnect``. What FIT-Connect contradicts (a 4xx, a mismatch, a bad signature) is red at
once; what proves nothing (a timeout, DNS, TLS, a 5xx) is retried with a growing pause and
stays "not reachable" until it persists for ``WATCH_UNREACHABLE_CYCLES`` cycles.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
from django.utils import timezone

from checklist.models import FitConnectEnvironment
from checklist.verification import READ_ONLY_CHECKS, credentials_for, prepare_checks
from fitconnect.checks import CheckResult
from fitconnect.messages import Text, encode
from watch import conf
from watch.messages import (
    EXPIRES_RED,
    EXPIRES_SOON,
    NO_ENVIRONMENT,
    UNREACHABLE_PERSISTS,
    WAITING_LONG,
)
from watch.models import State, WatchDestination

WATCH_CHECKS = (*READ_ONLY_CHECKS, "waiting")


@dataclass
class Finding:
    """What one check found in this cycle, ready to be stored."""

    check: str
    state: str
    message: Any  # stored form of a fitconnect message
    details: list[Any] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    fixes: list[dict[str, Any]] = field(default_factory=list)


def _stored(message: Text | str) -> Any:
    return encode(message)


def _key_values(result: CheckResult, today: date) -> dict[str, Any]:
    keys = []
    for key in result.evidence.get("keys", []):
        expires = key.get("expires")
        days = None
        if isinstance(expires, str):
            try:
                days = (date.fromisoformat(expires) - today).days
            except ValueError:
                days = None
        keys.append(
            {
                "kid": str(key.get("kid", "")),
                "purpose": key.get("purpose"),
                "expires": expires,
                "days": days,
            }
        )
    known = [k["days"] for k in keys if k["days"] is not None]
    return {"keys": keys, "days_to_expiry": min(known) if known else None}


def _waiting_values(result: CheckResult) -> dict[str, Any]:
    evidence = result.evidence
    return {
        "count": evidence.get("count", 0),
        "oldest": evidence.get("oldest"),
        "oldest_days": evidence.get("oldest_days"),
        # ids and dates only, never content
        "waiting": [
            {
                "submission_id": str(w.get("submission_id", "")),
                "submitted_at": w.get("submitted_at"),
            }
            for w in evidence.get("waiting", [])
        ],
    }


def classify(result: CheckResult, today: date) -> Finding:
    """Turn one check's result into a finding of the watch (before the unreachable streak)."""
    fixes = [{"text": encode(f["text"]), "url": f["url"]} for f in result.fixes]
    finding = Finding(
        result.check,
        State.GREEN,
        _stored(result.message),
        [_stored(d) for d in result.details],
        fixes=fixes,
    )
    if result.check == "keys":
        finding.values = _key_values(result, today)
    elif result.check == "waiting":
        finding.values = _waiting_values(result)
    elif result.check == "destination":
        finding.values = {"status": result.evidence.get("destination_status")}
    if result.status == "failed":
        finding.state = State.RED if result.conclusive else State.UNREACHABLE
        return finding
    if result.status in ("warning", "skipped"):
        finding.state = State.AMBER
    days = finding.values.get("days_to_expiry")
    if isinstance(days, int):
        if days <= conf.number("WATCH_EXPIRY_RED_DAYS"):
            finding.state = State.RED
            finding.details.insert(0, EXPIRES_RED(days=days).as_dict())
        elif days <= conf.number("WATCH_EXPIRY_AMBER_DAYS"):
            finding.state = max(finding.state, State.AMBER, key=_rank)
            finding.details.insert(0, EXPIRES_SOON(days=days).as_dict())
    age = finding.values.get("oldest_days")
    if isinstance(age, int) and age > conf.number("WATCH_WAITING_AMBER_DAYS"):
        worse = State.RED if age > conf.number("WATCH_WAITING_RED_DAYS") else State.AMBER
        finding.state = max(finding.state, worse, key=_rank)
        finding.details.insert(0, WAITING_LONG(days=age).as_dict())
    return finding


RANK = {State.GREEN: 0, "": 0, State.AMBER: 1, State.UNREACHABLE: 2, State.RED: 3}


def _rank(state: str) -> int:
    return RANK.get(state, 0)


def worst(states: list[str]) -> str:
    return max(states, key=_rank) if states else ""


def run_checks(
    destination: WatchDestination,
    now: datetime,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Finding]:
    """Run the watch's checks for one destination; retry what found nobody answering."""
    today = timezone.localdate(now)
    environment = FitConnectEnvironment.objects.filter(key=destination.environment).first()
    if environment is None:
        return [Finding("token", State.RED, NO_ENVIRONMENT().as_dict())]
    onboarding = destination.onboarding
    verification = prepare_checks(
        onboarding, environment, credentials_for(onboarding, environment.key)
    )
    verification.clock = lambda: now.astimezone(UTC)
    verification.context.clock = verification.clock
    verification.context.cache["waiting_sample"] = conf.number("WATCH_WAITING_SAMPLE")
    if transport is not None:
        verification.transport = transport
    retries = conf.number("WATCH_RETRIES")
    pause = conf.seconds("WATCH_RETRY_BACKOFF")
    findings = []
    for name in WATCH_CHECKS:
        result = verification.run_check(name)
        for attempt in range(retries):
            if not (result.status == "failed" and not result.conclusive):
                break
            sleep(pause * 2**attempt)
            result = verification.run_check(name)
        if result.status == "failed" and not result.conclusive:
            retries = 0  # FIT-Connect stays away: the other checks of this one try once
        findings.append(classify(result, today))
    return findings


def apply_streaks(destination: WatchDestination, findings: list[Finding]) -> None:
    """Count the cycles each check found nobody answering; red once it persists."""
    streaks = dict(destination.unreachable_cycles or {})
    limit = conf.number("WATCH_UNREACHABLE_CYCLES")
    for finding in findings:
        if finding.state != State.UNREACHABLE:
            streaks.pop(finding.check, None)
            continue
        streaks[finding.check] = int(streaks.get(finding.check, 0)) + 1
        if streaks[finding.check] >= limit:
            finding.state = State.RED
            finding.details.insert(0, UNREACHABLE_PERSISTS(cycles=streaks[finding.check]).as_dict())
    destination.unreachable_cycles = streaks
