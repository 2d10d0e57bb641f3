"""The FIT-Connect environments a provider records and checks, as site operators define them.

FITKO's three (test, reference, production) are seeded by a migration; others, such as the
portal's local sandbox, are rows like them with the stage they stand in for.
"""

from __future__ import annotations

from django.http import Http404

from checklist.models import FitConnectEnvironment


def all_environments() -> list[FitConnectEnvironment]:
    return list(FitConnectEnvironment.objects.all())


def environments_of_step(step: int) -> list[FitConnectEnvironment]:
    """Return the environments checked in the step (3: test and its stand-ins, 4, 5)."""
    return [env for env in all_environments() if env.step == step]


def get_environment(key: str) -> FitConnectEnvironment:
    """Return the environment named in a URL, or raise 404."""
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
