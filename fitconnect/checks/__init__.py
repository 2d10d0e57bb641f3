"""The seven verification checks of a FIT-Connect connection.

Each check takes plain inputs (where FIT-Connect is, what the authority recorded, the
credentials) and returns a ``CheckResult``: a status, a message as a code with parameters
(``fitconnect.messages``, translated where it is shown) and evidence. No views, no Django,
no templates: the portal's worker calls ``Verification.run_check`` check by check
(``checklist.verification``), tests call ``Verification.run``.

One module per check; ``REGISTRY`` lists them in the order they run.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from fitconnect import crypto
from fitconnect.checks import (
    callback,
    destination,
    jwks,
    keys,
    routing,
    submission,
    token,
    waiting,
)
from fitconnect.checks.base import (
    Check,
    CheckResult,
    CheckStatus,
    Credentials,
    Expected,
    ExpectedService,
    Failed,
    Outcome,
    RunContext,
    Target,
)
from fitconnect.http import Client, FitConnectError
from fitconnect.i18n import gettext_noop
from fitconnect.messages import define

__all__ = [
    "CHECK_ORDER",
    "CHECK_TITLES",
    "REGISTRY",
    "Check",
    "CheckResult",
    "CheckStatus",
    "Credentials",
    "Expected",
    "ExpectedService",
    "Failed",
    "Outcome",
    "RunContext",
    "Target",
    "Verification",
]

REGISTRY: dict[str, Check] = {
    check.name: check
    for check in (
        token.CHECK,
        destination.CHECK,
        keys.CHECK,
        jwks.CHECK,
        routing.CHECK,
        submission.CHECK,
        callback.CHECK,
    )
}
CHECK_ORDER = tuple(REGISTRY)
# Checks only the production watch runs (read-only, not part of "Verbindung prüfen").
WATCH_ONLY: dict[str, Check] = {waiting.CHECK.name: waiting.CHECK}
# Lazy: translated where a title is shown (``str(...)``), not at import time.
CHECK_TITLES = {name: check.title for name, check in REGISTRY.items()}

logger = logging.getLogger(__name__)

UNEXPECTED = define(
    "run.unexpected_error",
    gettext_noop("This check stopped because of an unexpected error. Reference: %(reference)s"),
)
# Statuses with which FIT-Connect answered but said nothing about the connection itself.
_NO_VERDICT = (408, 429)


def answered(evidence: dict[str, object]) -> bool:
    """Whether an HTTP fault is FIT-Connect's verdict (4xx) rather than no answer at all.

    Timeouts, DNS, TLS and refused connections leave no status; 5xx, 429, a proxy's page with
    status 200 or an oversized answer prove nothing about the onboarding's setup.
    """
    status = evidence.get("status")
    return isinstance(status, int) and 400 <= status < 500 and status not in _NO_VERDICT


def _unexpected_error(name: str) -> Outcome:
    """Turn an error no check expects (a bug) into a failed result with a reference.

    Call only while handling the exception. The log entry carries the traceback and the
    reference people can quote; it holds no credentials.
    """
    reference = secrets.token_hex(4)
    logger.exception(
        "The %s check stopped with an unexpected error (reference %s).", name, reference
    )
    return Outcome(
        "failed", UNEXPECTED(reference=reference), {"reference": reference}, conclusive=False
    )


@dataclass
class Verification:
    """Runs the checks for one environment, sharing what earlier checks fetched."""

    target: Target
    expected: Expected
    credentials: Credentials
    connect_timeout: float = 5.0
    check_timeout: float = 15.0
    submission_timeout: float = 60.0
    poll_interval: float = 1.0
    transport: httpx.BaseTransport | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    context: RunContext = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.context = RunContext(
            target=self.target,
            expected=self.expected,
            credentials=self.credentials,
            client_factory=self.client,
            clock=self.clock,
            submission_timeout=self.submission_timeout,
            poll_interval=self.poll_interval,
        )

    def client(self, total: float | None = None) -> Client:
        return Client(
            connect_timeout=self.connect_timeout,
            total_timeout=total or self.check_timeout,
            transport=self.transport,
            allow_private=self.target.allow_private_addresses,
        )

    def run(self, only: tuple[str, ...] = CHECK_ORDER) -> Iterator[CheckResult]:
        for name in only:
            yield self.run_check(name)

    def run_check(self, name: str) -> CheckResult:
        check = REGISTRY.get(name) or WATCH_ONLY[name]
        started = time.monotonic()
        total = self.submission_timeout + self.check_timeout if check.waits_for_submission else None
        unexpected = False
        try:
            with self.context.session(total):
                outcome = check.run(self.context)
        except Failed as failure:
            outcome = failure.outcome()
        except FitConnectError as error:
            evidence = dict(error.evidence)
            outcome = Outcome("failed", error.text, evidence, conclusive=answered(evidence))
        except crypto.CryptoError as error:
            outcome = Outcome("failed", error.text)
        except Exception:  # the last resort: one broken check must not end the run
            outcome, unexpected = _unexpected_error(name), True
        if name != "token" and outcome.evidence.get("url") == self.target.token_url:
            # No token for this check: the token check judges the client; this item stays.
            outcome.conclusive = False
        needs_fixes = outcome.status in ("failed", "warning") and not outcome.fixes
        if needs_fixes and check.fixes and not unexpected:
            outcome.fixes = check.fixes(self.context, outcome)
        evidence = outcome.evidence
        evidence.pop("retryable", None)
        evidence["check_duration_ms"] = round((time.monotonic() - started) * 1000)
        return CheckResult(
            name,
            str(check.title),
            outcome.status,
            outcome.message,
            evidence,
            outcome.details,
            outcome.fixes,
            conclusive=outcome.status == "failed" and outcome.conclusive,
        )
