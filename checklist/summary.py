"""The summary each onboarding carries for the overview, kept in step with its facts.

Progress, current step, the sign-off state of each environment, the next action and the
facts of the Leistungen and environment records are derived by ``OnboardingState``; every
service stores them with ``store`` in the transaction of its change (under the onboarding's
row lock), so the overview sorts, filters and pages in SQL without building a state per row.
``recompute`` derives them from scratch; a test compares the two after random changes.
"""

from __future__ import annotations

from typing import Any

from checklist.models import SUMMARY_FIELDS, Environment, Onboarding
from checklist.state import OnboardingState
from portal import raw_rows


def compute(state: OnboardingState) -> dict[str, Any]:
    """Return the summary fields as the state derives them."""
    overall = state.overall()
    next_action, next_item = state.next_action_key()
    values: dict[str, Any] = {
        "progress_done": overall.done,
        "progress_total": overall.total,
        "progress_percent": overall.percent,
        "current_step": state.current_step(),
        "next_action": next_action,
        "next_action_item": next_item,
        "data_facts": state.facts,
        "done_items": sorted(state.done_keys),
    }
    for environment in Environment:
        values[f"signoff_{environment.value}"] = state.signoff_summary(environment)
    assert set(values) == set(SUMMARY_FIELDS)  # noqa: S101 - a new field needs a value here
    return values


def changes(onboarding: Onboarding, state: OnboardingState) -> dict[str, Any]:
    """The summary fields whose value the state derives differently from the onboarding's."""
    values = compute(state)
    return {name: value for name, value in values.items() if getattr(onboarding, name) != value}


def taken_over(onboarding: Onboarding, changed: dict[str, Any]) -> None:
    """Set the changed summary values on the onboarding, once the caller has written them."""
    for name, value in changed.items():
        setattr(onboarding, name, value)


def store(onboarding: Onboarding, state: OnboardingState | None = None) -> None:
    """Store the summary derived from the state (loaded afresh when not given), if it changed.

    Call it inside the change's transaction, after ``Onboarding.lock()``.
    """
    changed = changes(onboarding, state if state is not None else OnboardingState(onboarding))
    if changed:  # written out (``portal.raw_rows``)
        raw_rows.update_values(Onboarding, onboarding.pk, changed)
        taken_over(onboarding, changed)


def for_new(onboarding: Onboarding) -> dict[str, Any]:
    """Return the summary of an onboarding about to be created (nothing recorded yet)."""
    return compute(OnboardingState(onboarding, new=True))


def recompute(onboarding: Onboarding) -> dict[str, Any]:
    """Return the summary derived from scratch, from the rows in the database."""
    return compute(OnboardingState(Onboarding.objects.get(pk=onboarding.pk)))


def stored(onboarding: Onboarding) -> dict[str, Any]:
    """Return the summary as stored in the database."""
    values: dict[str, Any] = (
        Onboarding.objects.filter(pk=onboarding.pk).values(*SUMMARY_FIELDS).get()
    )
    return values


def refresh_all() -> int:
    """Recompute and store every onboarding's summary; return how many changed.

    For a new summary field or after data was changed outside the services.
    """
    from django.db import transaction

    changed = 0
    for pk in Onboarding.objects.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            onboarding = Onboarding.objects.select_for_update().get(pk=pk)
            before = {name: getattr(onboarding, name) for name in SUMMARY_FIELDS}
            store(onboarding)
            changed += before != {name: getattr(onboarding, name) for name in SUMMARY_FIELDS}
    return changed
