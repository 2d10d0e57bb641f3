"""Background tasks (``django.tasks``) of the onboarding: connection checks started by the API.

The worker (``manage.py db_worker``) runs them; the tests run them at once. Arguments are
stored in the task queue, so secrets typed for a single run travel Fernet-encrypted and
expire after an hour.
"""

from __future__ import annotations

import json

from django.tasks import task

from checklist import secrets, verification
from checklist.models import FitConnectEnvironment, VerificationRun
from portal.models import Actor, ApiToken, User

CARRY_TTL = 60 * 60


def encrypt_for_run(provided: dict[str, str]) -> str:
    """Return the secrets for one run in the form ``run_verification_task`` accepts."""
    return secrets.encrypt(json.dumps(provided)) if provided else ""


@task
def run_verification_task(
    run_id: int, token_id: int | None = None, user_id: int | None = None, carry: str = ""
) -> str:
    """Run every check of an opened run and finish it; return its outcome.

    ``carry`` holds secrets for this run only (``encrypt_for_run``); without it the stored
    secrets are used.
    """
    run = VerificationRun.objects.select_related("onboarding").filter(pk=run_id).first()
    if run is None or run.finished_at is not None:
        return "gone"
    environment = FitConnectEnvironment.objects.filter(key=run.environment).first()
    if environment is None:
        return "gone"
    actor: Actor | None = None
    if token_id is not None:
        actor = ApiToken.objects.select_related("organisation").filter(pk=token_id).first()
    elif user_id is not None:
        actor = User.objects.filter(pk=user_id).first()
    decrypted = secrets.decrypt(carry, ttl=CARRY_TTL) if carry else None
    provided = json.loads(decrypted) if decrypted else None
    verification.complete_run(run, environment, actor, provided=provided)
    return run.status
