"""Connect the FIT-Connect checks to onboardings: configuration, secrets, runs, bound items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from checklist import catalogue, secrets, services
from checklist.models import (
    CHECK_ITEM_ENVIRONMENT,
    AuditEvent,
    FitConnectEnvironment,
    ItemState,
    Onboarding,
    RecordEnvironment,
    StoredSecret,
    VerificationRun,
)
from fitconnect.checks import (
    CHECK_ORDER,
    CheckResult,
    Credentials,
    Expected,
    ExpectedService,
    Target,
    Verification,
)
from portal.models import User

# Which environments each step's panel offers.
STEP_ENVIRONMENTS = {
    3: [RecordEnvironment.TEST, RecordEnvironment.SANDBOX],
    4: [RecordEnvironment.REFERENCE],
    5: [RecordEnvironment.PRODUCTION],
}
# In production only read-only checks run: no test submission, no callback calls.
READ_ONLY_CHECKS = ("token", "destination", "keys", "jwks", "routing")


def checks_for(environment: str) -> tuple[str, ...]:
    return READ_ONLY_CHECKS if environment == RecordEnvironment.PRODUCTION else CHECK_ORDER


def target_for(environment: str) -> Target:
    config = FitConnectEnvironment.objects.get(key=environment)
    return Target(
        environment=environment,
        label=str(RecordEnvironment(environment).label),
        token_url=config.token_url,
        submission_base=config.submission_base,
        api_prefix=config.api_prefix,
        routing_base=config.routing_base,
        routing_prefix=config.routing_prefix,
        ssp_jwks_url=config.ssp_jwks_url,
        self_signed_allowed=config.self_signed_allowed,
        test_submission_allowed=config.test_submission_allowed
        and environment != RecordEnvironment.PRODUCTION,
        allow_private_addresses=settings.FITCONNECT_ALLOW_PRIVATE_ADDRESSES,
        # The local sandbox stands in for the test stage, like for the checklist items.
        stage=CHECK_ITEM_ENVIRONMENT[environment],
    )


def expected_for(onboarding: Onboarding, environment: str) -> Expected:
    record = onboarding.environments.filter(environment=environment).first()
    return Expected(
        destination_id=str(record.destination_id or "") if record else "",
        encryption_kid=record.encryption_kid if record else "",
        signature_kid=record.signature_kid if record else "",
        callback_url=record.callback_url if record else "",
        services=tuple(
            ExpectedService(
                key=leistung.key,
                name=leistung.name,
                schema_uri=leistung.schema_uri,
                mime_type=leistung.mime_type,
                regions=tuple(leistung.regions),
                reply_channels=leistung.reply_channels(),
            )
            for leistung in onboarding.leistungen.order_by("key")
        ),
        metadata_versions=tuple(onboarding.metadata_versions),
    )


@dataclass(frozen=True)
class SecretState:
    """What the page may say about a stored secret: that it exists, never its value."""

    kind: str
    client_id: str
    updated_at: Any
    updated_by: User | None


def stored_secrets(onboarding: Onboarding, environment: str) -> dict[str, SecretState]:
    return {
        s.kind: SecretState(s.kind, s.client_id, s.updated_at, s.updated_by)
        for s in StoredSecret.objects.filter(
            onboarding=onboarding, environment=environment
        ).select_related("updated_by")
    }


def store_secret(
    onboarding: Onboarding,
    environment: str,
    kind: str,
    secret: str,
    user: User,
    client_id: str = "",
) -> None:
    StoredSecret.objects.update_or_create(
        onboarding=onboarding,
        environment=environment,
        kind=kind,
        defaults={
            "ciphertext": secrets.encrypt(secret),
            "client_id": client_id,
            "updated_by": user,
        },
    )
    services.audit(
        onboarding,
        user,
        AuditEvent.Action.SECRET_STORED,
        f"secret:{environment}:{kind}",
        "",
        "verschlüsselt gespeichert",
    )


def delete_secret(onboarding: Onboarding, environment: str, kind: str, user: User) -> bool:
    deleted, _ = StoredSecret.objects.filter(
        onboarding=onboarding, environment=environment, kind=kind
    ).delete()
    if deleted:
        services.audit(
            onboarding,
            user,
            AuditEvent.Action.SECRET_DELETED,
            f"secret:{environment}:{kind}",
            "",
            "gelöscht",
        )
    return bool(deleted)


def credentials_for(
    onboarding: Onboarding, environment: str, provided: dict[str, str] | None = None
) -> Credentials:
    """Combine secrets typed for this run with stored ones (typed ones win)."""
    provided = provided or {}
    stored = {
        s.kind: s
        for s in StoredSecret.objects.filter(onboarding=onboarding, environment=environment)
    }

    def secret(kind: str) -> str:
        if provided.get(f"{kind}_secret"):
            return provided[f"{kind}_secret"]
        entry = stored.get(kind)
        return (secrets.decrypt(entry.ciphertext) or "") if entry else ""

    record = onboarding.environments.filter(environment=environment).first()
    sender = stored.get(StoredSecret.Kind.SENDER)
    return Credentials(
        subscriber_id=record.client_id if record else "",
        subscriber_secret=secret(StoredSecret.Kind.SUBSCRIBER),
        sender_id=provided.get("sender_id") or (sender.client_id if sender else ""),
        sender_secret=secret(StoredSecret.Kind.SENDER),
        callback_secret=secret(StoredSecret.Kind.CALLBACK),
    )


def verification(
    onboarding: Onboarding, environment: str, credentials: Credentials
) -> Verification:
    return Verification(
        target=target_for(environment),
        expected=expected_for(onboarding, environment),
        credentials=credentials,
        connect_timeout=settings.FITCONNECT_CONNECT_TIMEOUT,
        check_timeout=settings.FITCONNECT_CHECK_TIMEOUT,
        submission_timeout=settings.FITCONNECT_SUBMISSION_TIMEOUT,
    )


def start_run(onboarding: Onboarding, environment: str, user: User | None) -> VerificationRun:
    return VerificationRun.objects.create(
        onboarding=onboarding, environment=environment, started_by=user
    )


def add_result(run: VerificationRun, result: CheckResult) -> None:
    run.results = [*run.results, result.as_dict()]
    run.save(update_fields=["results"])


@transaction.atomic
def finish_run(run: VerificationRun, user: User | None) -> list[str]:
    """Close the run, tick items bound to passed checks and reopen those of failed ones.

    Returns the keys of the items whose state changed.
    """
    statuses = [r["status"] for r in run.results]
    if "failed" in statuses:
        run.status = VerificationRun.Status.FAILED
    elif "warning" in statuses:
        run.status = VerificationRun.Status.WARNING
    else:
        run.status = VerificationRun.Status.OK
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    item_environment = CHECK_ITEM_ENVIRONMENT[run.environment]
    bound = {
        item.binding: item
        for item in catalogue.load().items
        if item.completion == "check" and item.binding
    }
    changed = []
    onboarding = run.onboarding
    for result in run.results:
        item = bound.get(f"{item_environment}.{result['check']}")
        if item is None or result["status"] == "skipped":
            continue
        passed = result["status"] in ("ok", "warning")
        state = (
            ItemState.objects.select_for_update()
            .filter(onboarding=onboarding, key=item.key)
            .first()
        )
        if state is None:
            continue
        if passed and (not state.done or state.done_by_run_id is None):
            state.done, state.done_by, state.done_at, state.done_by_run = (
                True,
                None,
                timezone.now(),
                run,
            )
        elif not passed and state.done:
            state.done, state.done_by, state.done_at, state.done_by_run = False, None, None, None
        else:
            continue
        state.save(update_fields=["done", "done_by", "done_at", "done_by_run"])
        services.audit(
            onboarding,
            user,
            AuditEvent.Action.ITEM_TICKED if passed else AuditEvent.Action.ITEM_UNTICKED,
            f"item:{item.key}",
            not passed,
            passed,
            item.step,
        )
        changed.append(item.key)
    if changed:
        services.refresh_signoffs(onboarding, user)
    return changed


def last_runs(onboarding: Onboarding) -> dict[str, VerificationRun]:
    """Return the newest finished run per environment."""
    runs: dict[str, VerificationRun] = {}
    for run in onboarding.verification_runs.exclude(finished_at=None).select_related("started_by"):
        runs.setdefault(run.environment, run)
    return runs
