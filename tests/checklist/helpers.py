"""Shortcuts that bring a test onboarding to a given stage through the real services."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from checklist import catalogue, services, summary
from checklist.models import Environment, EnvironmentRecord, FitConnectEnvironment, Onboarding
from checklist.signoff import approve, declare_ready
from checklist.state import OnboardingState
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


def tick_step(onboarding: Onboarding, step: int, user: User) -> None:
    state = OnboardingState(onboarding)
    for item in catalogue.load().for_step(step):
        if item.kind.tickable and item.required and state.visible(item):
            services.set_item_done(onboarding, item, True, user)


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
    ]
    data: dict[str, Any] = {name: getattr(environment, name) for name in names}
    for flag in ("allow_private_addresses", "self_signed_allowed", "test_submission_allowed"):
        if getattr(environment, flag):
            data[flag] = "on"
    return data | changes
