"""What the shell commands of the connection checks share: the onboarding and the
environment named on the command line, and the secrets given in environment variables."""

from __future__ import annotations

import os

from django.core.management.base import CommandError

from checklist.models import FitConnectEnvironment, Onboarding
from portal.converters import parse_id


def onboarding_named(reference: str) -> Onboarding:
    """The onboarding a slug or numeric id names; CommandError if there is none."""
    pk = parse_id(reference)
    lookup = {"pk": pk} if pk is not None else {"slug": reference}
    onboarding = Onboarding.objects.filter(**lookup).first()
    if onboarding is None:
        raise CommandError(f"There is no onboarding {reference!r}.")
    return onboarding


def environment_named(key: str) -> FitConnectEnvironment:
    """The environment with this key; CommandError naming the known keys if there is none."""
    environment = FitConnectEnvironment.objects.filter(key=key).first()
    if environment is None:
        keys = ", ".join(FitConnectEnvironment.objects.values_list("key", flat=True))
        raise CommandError(f"There is no environment {key!r} (known: {keys}).")
    return environment


def secrets_from_environment(variables: dict[str, str]) -> dict[str, str]:
    """The secrets set in the process environment: {kind: value} for each variable set."""
    return {kind: os.environ[name] for kind, name in variables.items() if os.environ.get(name)}
