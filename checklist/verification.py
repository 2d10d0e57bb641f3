"""Connect the FIT-Connect checks to onboardings: configuration, secrets, runs, bound items.

The page and the API open a run with ``start_run`` and hand it to the background worker
(``checklist.tasks.run_checks`` calls ``execute_run``), which saves each result as it comes
and ends with ``finish_run`` (bound items ticked or reopened, the summary refreshed); the
run page polls it. ``manage.py verify_onboarding`` runs all of it in its own process with
``run_verification``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from checklist import catalogue, secrets, signals, stage_rows, summary
from checklist.audit import audit, split_actor
from checklist.models import (
    AuditEvent,
    Environment,
    EnvironmentRecord,
    FitConnectEnvironment,
    Onboarding,
    StoredSecret,
    TrustedCertificate,
    VerificationRun,
)
from checklist.services import mark_item_by_run
from checklist.signoff import refresh_signoffs
from fitconnect.checks import (
    CHECK_ORDER,
    CheckResult,
    Credentials,
    Expected,
    ExpectedService,
    Target,
    Verification,
)
from fitconnect.checks.base import MISSING_CREDENTIALS
from fitconnect.checks.callback import NO_SECRET as NO_CALLBACK_SECRET
from fitconnect.environments import host_of
from fitconnect.i18n import gettext_noop
from fitconnect.messages import define
from portal.models import Actor, User

# A check that went without a stored secret because its environment's hosts changed.
HOSTS_CHANGED = define(
    "secrets.hosts_changed",
    gettext_noop(
        "The addresses of the environment have changed; the stored secret is used again only "
        "after your confirmation."
    ),
)
MISSING_SECRET_CODES = {MISSING_CREDENTIALS().code, NO_CALLBACK_SECRET().code}

# In production only read-only checks run: no test submission, no callback calls.
READ_ONLY_CHECKS = ("token", "destination", "keys", "jwks", "routing")


def checks_for(environment: FitConnectEnvironment) -> tuple[str, ...]:
    return READ_ONLY_CHECKS if environment.is_production else CHECK_ORDER


def target_for(environment: FitConnectEnvironment) -> Target:
    trusted = TrustedCertificate.objects.all() if environment.stage != "test" else []
    return Target(
        environment=environment.key,
        label=environment.label,
        token_url=environment.token_url,
        submission_base=environment.submission_base,
        api_version="v2" if environment.api_version == "v2" else "v1",
        routing_base=environment.routing_base,
        routing_prefix=environment.routing_prefix,
        ssp_jwks_url=environment.ssp_jwks_url,
        self_signed_allowed=environment.self_signed_allowed,
        test_submission_allowed=environment.test_submission_allowed
        and not environment.is_production,
        allow_private_addresses=environment.is_local,
        stage=environment.stage,
        trust_anchors=tuple(c.pem for c in trusted if c.kind == TrustedCertificate.Kind.ANCHOR),
        intermediates=tuple(
            c.pem for c in trusted if c.kind == TrustedCertificate.Kind.INTERMEDIATE
        ),
    )


def expected_for(onboarding: Onboarding, environment: str) -> Expected:
    """What the checks compare with FIT-Connect: the values a sign-off freezes."""
    record = EnvironmentRecord.frozen_values_of(
        onboarding.environments.filter(environment=environment).first()
    )
    services = []
    for leistung in onboarding.leistungen.order_by("key"):
        frozen = leistung.frozen_values()
        services.append(
            ExpectedService(
                key=leistung.key,
                name=frozen["name"],
                schema_uri=frozen["schema_uri"],
                mime_type=frozen["mime_type"],
                regions=tuple(frozen["regions"]),
                reply_channels=frozen["reply_channels"],
                schema_kind=str(frozen.get("schema_kind", "")),
            )
        )
    return Expected(
        destination_id=record["destination_id"],
        encryption_kid=record["encryption_kid"],
        signature_kid=record["signature_kid"],
        callback_url=record["callback_url"],
        services=tuple(services),
        metadata_versions=tuple(onboarding.metadata_versions),
    )


# Secrets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretState:
    """What the page may say about a stored secret: that it exists, never its value."""

    kind: str
    client_id: str
    updated_at: Any
    updated_by: User | None
    # The hosts it was stored for ({field: scheme://host}); it is used only while the
    # environment still has them (``usable``).
    bound_hosts: dict[str, str]
    usable: bool


def _state(secret: StoredSecret, environment: FitConnectEnvironment | None) -> SecretState:
    return SecretState(
        secret.kind,
        secret.client_id,
        secret.updated_at,
        secret.updated_by,
        dict(secret.bound_hosts or {}),
        environment is not None and secret.is_bound_to(environment),
    )


def stored_secrets(
    onboarding: Onboarding, environment: FitConnectEnvironment
) -> dict[str, SecretState]:
    return {
        s.kind: _state(s, environment)
        for s in StoredSecret.objects.filter(
            onboarding=onboarding, environment=environment.key
        ).select_related("updated_by")
    }


def stored_secrets_by_environment(
    onboarding: Onboarding, environments: dict[str, FitConnectEnvironment]
) -> dict[str, dict[str, SecretState]]:
    """Return ``stored_secrets`` of every environment (given by key), in one query."""
    found: dict[str, dict[str, SecretState]] = {}
    # ``StoredSecret.objects.filter(onboarding=…).select_related("updated_by")``, written out:
    # every first view of a stage's step page reads it.
    for s in stage_rows.children(StoredSecret, onboarding, related="updated_by"):
        found.setdefault(s.environment, {})[s.kind] = _state(s, environments.get(s.environment))
    return found


@transaction.atomic
def store_secret(
    onboarding: Onboarding,
    environment: str,
    kind: str,
    secret: str,
    user: User,
    client_id: str = "",
) -> None:
    """Store the secret encrypted, bound to the environment's hosts of now."""
    target = FitConnectEnvironment.objects.filter(key=environment).first()
    StoredSecret.objects.update_or_create(
        onboarding=onboarding,
        environment=environment,
        kind=kind,
        defaults={
            "ciphertext": secrets.encrypt(secret),
            "client_id": client_id,
            "updated_by": user,
            "bound_hosts": target.secret_hosts if target is not None else {},
        },
    )
    audit(onboarding, user, AuditEvent.Action.SECRET_STORED, f"secret:{environment}:{kind}")


@transaction.atomic
def delete_secret(onboarding: Onboarding, environment: str, kind: str, user: User) -> bool:
    deleted, _ = StoredSecret.objects.filter(
        onboarding=onboarding, environment=environment, kind=kind
    ).delete()
    if deleted:
        audit(onboarding, user, AuditEvent.Action.SECRET_DELETED, f"secret:{environment}:{kind}")
    return bool(deleted)


def credentials_for(
    onboarding: Onboarding, environment: str, provided: dict[str, str] | None = None
) -> Credentials:
    """Combine secrets typed for this run with stored ones (typed ones win).

    A stored secret is used only while the environment has the hosts it was stored for.
    """
    provided = provided or {}
    stored, _withheld = usable_secrets(onboarding, environment)

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


def usable_secrets(
    onboarding: Onboarding, environment: str
) -> tuple[dict[str, StoredSecret], set[str]]:
    """Return the stored secrets that may be sent, by kind, and the kinds held back because
    the environment's hosts changed since they were stored."""
    target = FitConnectEnvironment.objects.filter(key=environment).first()
    usable: dict[str, StoredSecret] = {}
    withheld: set[str] = set()
    for secret in StoredSecret.objects.filter(onboarding=onboarding, environment=environment):
        if target is not None and secret.is_bound_to(target):
            usable[secret.kind] = secret
        else:
            withheld.add(secret.kind)
    return usable, withheld


def _explain_withheld(result: CheckResult) -> CheckResult:
    """Say that a check went without its secret because the environment's hosts changed."""
    message = result.message
    code = getattr(message, "code", None)
    if result.status == "skipped" and code in MISSING_SECRET_CODES:
        result.details = [message, *result.details]
        result.message = HOSTS_CHANGED()
    return result


# Runs ---------------------------------------------------------------------------------------


def prepare_checks(
    onboarding: Onboarding, environment: FitConnectEnvironment, credentials: Credentials
) -> Verification:
    """Return the check runner for the onboarding's recorded values in the environment."""
    return Verification(
        target=target_for(environment),
        expected=expected_for(onboarding, environment.key),
        credentials=credentials,
        connect_timeout=settings.FITCONNECT_CONNECT_TIMEOUT,
        check_timeout=settings.FITCONNECT_CHECK_TIMEOUT,
        submission_timeout=settings.FITCONNECT_SUBMISSION_TIMEOUT,
    )


# How long a run's typed secrets stay readable: the longest a run may take, with room for a
# queue that waits for a worker.
RUN_SECRETS_TTL = 15 * 60


@transaction.atomic
def start_run(
    onboarding: Onboarding,
    environment: FitConnectEnvironment,
    actor: Actor | None,
    *,
    store: dict[str, str] | None = None,
    provided: dict[str, str] | None = None,
) -> VerificationRun:
    """Store the secrets the user asked to keep, open a run and record it in the audit trail.

    ``store`` holds the typed secrets (``<kind>_secret``) and the ``sender_id`` to keep;
    only a person stores secrets (in the portal), never an API token. ``provided`` holds those
    for this run only: they are kept with the run, encrypted, until it
    finishes (the background worker reads them), and never longer than RUN_SECRETS_TTL.
    """
    store = store or {}
    user, token = split_actor(actor)
    # Runs that never finished (a worker that died) give up their secrets now.
    VerificationRun.objects.filter(
        onboarding=onboarding,
        finished_at=None,
        started_at__lt=timezone.now() - timedelta(seconds=RUN_SECRETS_TTL),
    ).exclude(secrets_ciphertext="").update(secrets_ciphertext="")
    if user is not None:
        for kind in StoredSecret.Kind.values:
            if store.get(f"{kind}_secret"):
                client_id = store.get("sender_id", "") if kind == StoredSecret.Kind.SENDER else ""
                store_secret(
                    onboarding,
                    environment.key,
                    kind,
                    store[f"{kind}_secret"],
                    user,
                    client_id=client_id,
                )
    run = VerificationRun.objects.create(
        onboarding=onboarding,
        environment=environment.key,
        started_by=user,
        started_by_token=token,
        secrets_ciphertext=secrets.encrypt(json.dumps(provided)) if provided else "",
    )
    audit(
        onboarding,
        actor,
        AuditEvent.Action.VERIFICATION_RUN,
        f"run:{environment.key}",
        step=environment.step,
    )
    return run


def run_secrets(run: VerificationRun) -> dict[str, str]:
    """Return the secrets typed for the run (empty once finished or expired)."""
    if not run.secrets_ciphertext:
        return {}
    plain = secrets.decrypt(run.secrets_ciphertext, ttl=RUN_SECRETS_TTL)
    return dict(json.loads(plain)) if plain else {}


def execute_run(run_id: int) -> None:
    """Run the remaining checks of a started run, saving each result, then finish it.

    The background task (``checklist.tasks.run_checks``); each result is committed on its
    own, so the page that polls the run shows it at once.
    """
    run = (
        VerificationRun.objects.select_related(
            "onboarding", "started_by", "started_by_token__organisation"
        )
        .filter(pk=run_id)
        .first()
    )
    if run is None or run.finished_at is not None:
        return
    environment = FitConnectEnvironment.objects.filter(key=run.environment).first()
    try:
        if environment is not None:
            _run_remaining_checks(run, environment, run_secrets(run))
    finally:
        # Unless a reader ended it meanwhile as aborted (its lease had passed: lost_work).
        if VerificationRun.objects.filter(pk=run.pk, finished_at=None).exists():
            finish_run(run, run.started_by_token or run.started_by)


def add_result(run: VerificationRun, result: CheckResult) -> None:
    run.results = [*run.results, result.as_dict()]
    run.save(update_fields=["results"])


def _hosts(run: VerificationRun, environment: FitConnectEnvironment | None) -> list[str]:
    """Return every host the run called (from its evidence), else the configured ones."""
    found: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            url = value.get("url")
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                found.add(host_of(url))
            for inner in value.values():
                collect(inner)
        elif isinstance(value, list):
            for inner in value:
                collect(inner)

    collect([result.get("evidence") for result in run.results])
    if not found and environment is not None:
        found = {host_of(url) for url in environment.endpoints}
    return sorted(found)


def stage_checks(stage: Environment) -> list[str]:
    """The checks whose passing ticks an item of the stage's step (``test.token`` → token)."""
    return [
        (item.binding or "").split(".", 1)[1]
        for item in catalogue.load().for_step(stage.step)
        if item.kind.proven_by_run and item.binding
    ]


def _item_change(result: dict[str, Any]) -> bool | None:
    """Return True to tick the check's item, False to reopen it, None to leave it.

    Only a passed check ticks; a warning says something is not proven yet. Only a failure
    that FIT-Connect answered and that contradicts the item reopens it (``conclusive``);
    results stored before that distinction count as answered.
    """
    if result["status"] == "ok":
        return True
    if result["status"] == "failed" and result.get("conclusive", True):
        return False
    return None


@transaction.atomic
def finish_run(run: VerificationRun, actor: Actor | None) -> list[str]:
    """Close the run; tick the items of passed checks, reopen those FIT-Connect contradicted.

    A run against a stand-in (the sandbox) is a rehearsal: it changes no item, so it never
    counts for a sign-off. The run records the hosts it called and forgets the secrets typed
    for it. The audit trail names the run (which names who started it), so ``actor`` is not
    the actor of these changes; it is only the person a failed run is reported to as its
    starter. Returns the keys of the items whose state changed.
    """
    statuses = [r["status"] for r in run.results]
    if "failed" in statuses:
        run.status = VerificationRun.Outcome.FAILED
    elif "warning" in statuses:
        run.status = VerificationRun.Outcome.WARNING
    else:
        run.status = VerificationRun.Outcome.OK
    run.finished_at = timezone.now()
    run.secrets_ciphertext = ""
    environment = FitConnectEnvironment.objects.filter(key=run.environment).first()
    run.hosts = _hosts(run, environment)
    if environment is not None:
        run.api_version = environment.api_version
        run.rehearsal = environment.stands_in
    run.save(
        update_fields=[
            "status",
            "finished_at",
            "secrets_ciphertext",
            "hosts",
            "api_version",
            "rehearsal",
        ]
    )
    if run.status == VerificationRun.Outcome.FAILED:
        signals.verification_failed.send(
            Onboarding, onboarding=run.onboarding, run=run, actor=split_actor(actor)[0]
        )
    if environment is None or run.rehearsal:
        return []
    bound = {
        item.binding: item
        for item in catalogue.load().items
        if item.kind.proven_by_run and item.binding
    }
    changed = []
    onboarding = run.onboarding
    onboarding.lock()
    for result in run.results:
        item = bound.get(f"{environment.stage}.{result['check']}")
        change = _item_change(result) if item is not None else None
        if (
            item is not None
            and change is not None
            and mark_item_by_run(onboarding, item, change, run)
        ):
            changed.append(item.key)
    if changed:
        refresh_signoffs(onboarding, None, run=run)
        summary.store(onboarding)
        run.changed_items = changed
        run.save(update_fields=["changed_items"])
    return changed


def run_verification(
    onboarding: Onboarding,
    environment: FitConnectEnvironment,
    actor: Actor | None,
    *,
    provided: dict[str, str] | None = None,
    store: bool = False,
    on_result: Callable[[CheckResult], None] | None = None,
) -> tuple[VerificationRun, list[str]]:
    """Run every check of the environment as one run in this process (the shell command);
    return the run and the changed items."""
    run = start_run(onboarding, environment, actor, store=provided if store else None)
    _run_remaining_checks(run, environment, provided, on_result)
    return run, finish_run(run, actor)


def _run_remaining_checks(
    run: VerificationRun,
    environment: FitConnectEnvironment,
    provided: dict[str, str] | None,
    on_result: Callable[[CheckResult], None] | None = None,
) -> None:
    """Run the checks the run has no result for yet, saving each result as it comes."""
    checker = prepare_checks(
        run.onboarding, environment, credentials_for(run.onboarding, environment.key, provided)
    )
    _usable, withheld = usable_secrets(run.onboarding, environment.key)
    withheld -= {kind for kind in withheld if (provided or {}).get(f"{kind}_secret")}
    done = {r["check"] for r in run.results}
    for check in checks_for(environment):
        if check in done:
            continue
        result = checker.run_check(check)
        if withheld:
            result = _explain_withheld(result)
        add_result(run, result)
        if on_result is not None:
            on_result(result)


def last_runs(onboarding: Onboarding) -> dict[str, VerificationRun]:
    """Return the newest finished run per environment."""
    return latest_runs(onboarding)[0]


def latest_runs(
    onboarding: Onboarding, runs: Iterable[VerificationRun] | None = None
) -> tuple[dict[str, VerificationRun], dict[str, VerificationRun]]:
    """Return the newest finished and the newest running run per environment, in one query
    (none with ``runs``: every run of the onboarding, newest first, read already)."""
    finished: dict[str, VerificationRun] = {}
    running: dict[str, VerificationRun] = {}
    if runs is None:
        runs = onboarding.verification_runs.select_related(
            "started_by", "started_by_token__organisation"
        ).defer("secrets_ciphertext")
    for run in runs:
        if run.finished_at is not None:
            finished.setdefault(run.environment, run)
        elif run.environment not in finished:
            running.setdefault(run.environment, run)
    return finished, running
