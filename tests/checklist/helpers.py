"""Shortcuts that bring a test onboarding to a given stage through the real services."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from checklist import catalogue, services, summary
from checklist.models import (
    Environment,
    EnvironmentRecord,
    FitConnectEnvironment,
    Onboarding,
    VerificationRun,
)
from checklist.signoff import approve, declare_ready
from checklist.state import OnboardingState
from checklist.verification import finish_run, stage_checks
from portal.models import User


def record(onboarding: Onboarding, environment: Environment, **values: object) -> EnvironmentRecord:
    defaults: dict[str, object] = {
        "client_id": f"{environment.value}-client",
        "destination_id": uuid.uuid4(),
        "encryption_kid": f"enc-{environment.value}-1",
        "signature_kid": f"sig-{environment.value}-1",
        "certificate_expiry": None if environment == Environment.TEST else date(2028, 1, 31),
    }
    defaults.update(values)
    created = EnvironmentRecord.objects.create(
        onboarding=onboarding, environment=environment, **defaults
    )
    summary.store(onboarding)  # written directly, so the stored summary is derived here
    return created


def passed_run(
    onboarding: Onboarding, environment: Environment, user: User | None = None
) -> VerificationRun:
    """A connection check against the stage's own environment whose checks all passed,
    finished by the portal's own ``finish_run`` (it ticks the step's check items). The
    checks' network side is tested in tests/fitconnect and test_verification."""
    checks = stage_checks(Environment(environment))
    run = VerificationRun.objects.create(
        onboarding=onboarding,
        environment=environment,
        started_by=user,
        results=[{"check": check, "status": "ok", "message": "ok"} for check in checks],
    )
    finish_run(run, user)
    run.refresh_from_db()
    return run


def tick_step(onboarding: Onboarding, step: int, user: User) -> None:
    """Tick the step's required items as people do; a passed run ticks its check items."""
    state = OnboardingState(onboarding)
    environment = Environment.of_step(step)
    for item in catalogue.load().for_step(step):
        if item.kind.proven_by_run:
            continue
        if item.kind.tickable and item.required and state.visible(item):
            services.set_item_done(onboarding, item, True, user)
    if environment is not None:
        passed_run(onboarding, environment, user)


def complete_step_one(onboarding: Onboarding) -> None:
    """Tick step 1's tasks as the onboarding's creator; record the metadata versions (step 2)."""
    onboarding.metadata_versions = ["1.2.0"]
    onboarding.save(update_fields=["metadata_versions"])
    if onboarding.created_by is not None:
        tick_step(onboarding, 1, onboarding.created_by)
    summary.store(onboarding)


def ready_for_test(onboarding: Onboarding, provider_user: User) -> None:
    """Step 1 recorded, Test environment recorded, steps 2 and 3 ticked."""
    complete_step_one(onboarding)
    record(onboarding, Environment.TEST)
    tick_step(onboarding, 2, provider_user)
    tick_step(onboarding, 3, provider_user)


def signed_off_test(onboarding: Onboarding, provider_user: User, approver: User) -> None:
    ready_for_test(onboarding, provider_user)
    declare_ready(onboarding, Environment.TEST, provider_user)
    approve(onboarding, Environment.TEST, approver)


def admin_change(environment: FitConnectEnvironment, **changes: Any) -> dict[str, Any]:
    """The admin change form of the environment as posted, with some values changed."""
    names = [
        "key",
        "name",
        "stage",
        "position",
        "token_url",
        "submission_base",
        "api_version",
        "routing_base",
        "routing_prefix",
        "ssp_jwks_url",
        "notes",
        "evidence_max_age_days",
        "hand_evidence_reason",
        "conformance_timeout_s",
    ]
    data: dict[str, Any] = {name: getattr(environment, name) for name in names}
    for flag in (
        "allow_private_addresses",
        "self_signed_allowed",
        "test_submission_allowed",
        "hand_evidence_allowed",
    ):
        if getattr(environment, flag):
            data[flag] = "on"
    return data | changes
