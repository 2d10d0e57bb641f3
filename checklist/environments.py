"""The FIT-Connect environments a provider records and checks, as site operators define them.

FITKO's three (test, reference, production) are seeded by a migration; others, such as the
portal's local sandbox, are rows like them with the stage they stand in for.
"""

from __future__ import annotations

from django.http import Http404

from checklist import stage_rows
from checklist.models import EnvironmentRecord, FitConnectEnvironment, Onboarding
from portal.converters import is_key


def all_environments() -> list[FitConnectEnvironment]:
    return list(FitConnectEnvironment.objects.all())


def with_records(
    onboarding: Onboarding,
) -> list[tuple[FitConnectEnvironment, EnvironmentRecord | None]]:
    """Return every environment with the onboarding's record of it (or None), in one query:
    ``FitConnectEnvironment.objects.annotate(record=FilteredRelation("records",
    condition=Q(records__onboarding=onboarding))).select_related("record")``, written out
    (every step page from the second on reads it)."""
    return stage_rows.with_records(onboarding)


def get_environment(key: str) -> FitConnectEnvironment:
    """Return the environment named in a URL, or raise 404."""
    if not is_key(key):
        raise Http404  # never a NUL or another control character in a query
    environment = FitConnectEnvironment.objects.filter(key=key).first()
    if environment is None:
        raise Http404
    return environment


def environment_labels() -> dict[str, str]:
    return {env.key: env.label for env in all_environments()}


def environment_label(key: str, labels: dict[str, str] | None = None) -> str:
    """Return the environment's name for people (its key when it no longer exists)."""
    return (labels if labels is not None else environment_labels()).get(key, key)


def environment_step(key: str) -> int:
    """Return the step in which the environment is tested (3 for an unknown one)."""
    environment = FitConnectEnvironment.objects.filter(key=key).first()
    return environment.step if environment else 3
