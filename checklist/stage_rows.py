"""The reads of a stage's step page (3, 4, 5), written out in plain SQL.

A stage's step page seen for the first time read its environments with the onboarding's
records, its connection checks, its newest conformance runs and its sign-offs through the
ORM, which builds and compiles each query anew per request (most of each read's cost, in
Python). Written out here (``portal.raw_rows``) they are the same statements; the instances
are the ORM's own, with the related objects set as ``select_related`` and the related
manager set them, so nothing downstream tells them apart.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from django.db import connection, models
from django.utils import timezone

from checklist.models import (
    AuditEvent,
    ConformanceRun,
    EnvironmentRecord,
    FitConnectEnvironment,
    Onboarding,
    SignOff,
    VerificationRun,
)
from portal import actor_rows, raw_rows
from portal.models import User

type Run = VerificationRun | ConformanceRun


# Environments with the onboarding's records ------------------------------------------------


def with_records(
    onboarding: Onboarding,
) -> list[tuple[FitConnectEnvironment, EnvironmentRecord | None]]:
    """Every environment with the onboarding's record of it (or None), as
    ``checklist.environments.with_records`` returns them, in one statement."""
    return with_all_records(onboarding)[0]


@functools.cache
def _all_records_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    environment_fields = FitConnectEnvironment._meta.concrete_fields
    blanks = ", ".join(["NULL"] * len(environment_fields))
    # The union's columns by number: the part, then the environment's position and key.
    position = 2 + [field.name for field in environment_fields].index("position")
    key = 2 + environment_fields.index(FitConnectEnvironment._meta.pk)
    return (
        f"SELECT 0, {raw_rows.columns(FitConnectEnvironment, 'e')}, "  # noqa: S608
        f"{raw_rows.columns(EnvironmentRecord, 'r')} "
        f"FROM {raw_rows.table(FitConnectEnvironment)} e "
        f"LEFT OUTER JOIN {raw_rows.table(EnvironmentRecord)} r "
        f"ON r.{quote('environment')} = e.{quote('key')} AND r.onboarding_id = %s "
        f"UNION ALL SELECT 1, {blanks}, {raw_rows.columns(EnvironmentRecord, 'r')} "
        f"FROM {raw_rows.table(EnvironmentRecord)} r WHERE r.onboarding_id = %s AND NOT EXISTS "
        f"(SELECT 1 FROM {raw_rows.table(FitConnectEnvironment)} e "
        f"WHERE e.{quote('key')} = r.{quote('environment')}) "
        f"ORDER BY 1, {position}, {key}"  # FitConnectEnvironment.Meta.ordering, then the rest
    )


def with_all_records(
    onboarding: Onboarding,
) -> tuple[
    list[tuple[FitConnectEnvironment, EnvironmentRecord | None]], dict[str, EnvironmentRecord]
]:
    """``with_records(onboarding)`` and every record of the onboarding by its environment's
    key (as ``OnboardingState.records``: also those whose environment a site operator
    removed), in one statement."""
    environments = []
    records: dict[str, EnvironmentRecord] = {}
    params = [onboarding.pk, onboarding.pk]
    for row in raw_rows.fetch_all(_all_records_sql(connection.vendor), params):
        environment, start = raw_rows.instance(FitConnectEnvironment, row, 1)
        record, _end = raw_rows.instance(EnvironmentRecord, row, start)
        if record is not None:
            raw_rows.relate(record, "onboarding", onboarding)  # as the related manager does
            records[record.environment] = record
        if environment is not None:
            if record is not None:  # as the filtered relation's select_related sets them
                raw_rows.relate(record, "fitconnect_environment", environment)
            environments.append((environment, record))
    return environments, records


# Connection checks and conformance runs ----------------------------------------------------

_RUN_DEFERRED: dict[type[models.Model], tuple[str, ...]] = {
    VerificationRun: ("secrets_ciphertext",),  # the run's secrets: never read for a page
    ConformanceRun: (),
}


@functools.cache
def _runs_sql(model: type[models.Model], environments: int | None, limit: bool, vendor: str) -> str:
    quote = connection.ops.quote_name
    where = "x.onboarding_id = %s"
    if environments is not None:
        where += f" AND x.{quote('environment')} IN ({', '.join(['%s'] * environments)})"
    return (
        f"SELECT {raw_rows.columns(model, 'x', _RUN_DEFERRED[model])}, "  # noqa: S608
        f"{actor_rows.columns('a')} FROM {raw_rows.table(model)} x "
        f"{actor_rows.joins('a', 'x', 'started_by_id', 'started_by_token_id')} "
        f"WHERE {where} ORDER BY x.started_at DESC, x.id DESC"  # the models' Meta.ordering
        + (" LIMIT %s" if limit else "")
    )


def runs[R: Run](
    model: type[R],
    onboarding: Onboarding,
    environments: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[R]:
    """The onboarding's runs (of ``environments`` unless None; the first ``limit`` unless
    None), newest first, as ``onboarding.verification_runs`` (or ``conformance_runs``)
    ``.select_related("started_by", "started_by_token__organisation")`` gives them (a
    connection check without its secrets, as ``.defer("secrets_ciphertext")``)."""
    table: type[models.Model] = model
    sql = _runs_sql(
        table,
        None if environments is None else len(environments),
        limit is not None,
        connection.vendor,
    )
    params: list[Any] = [onboarding.pk, *(environments or [])]
    if limit is not None:
        params.append(limit)
    found = []
    for row in raw_rows.fetch_all(sql, params):
        run, start = raw_rows.instance(model, row, deferred=_RUN_DEFERRED[model])
        if run is None:
            raise LookupError(f"a row of {model.__name__} without its primary key")
        person, token, _end = actor_rows.read(row, start)
        raw_rows.relate(run, "onboarding", onboarding)  # as the related manager does
        raw_rows.relate(run, "started_by", person)
        raw_rows.relate(run, "started_by_token", token)
        found.append(run)
    return found


# Sign-offs ---------------------------------------------------------------------------------


@functools.cache
def _signoffs_sql(vendor: str) -> str:
    return (
        f"SELECT {raw_rows.columns(SignOff, 's')}, {raw_rows.columns(User, 'a')}, "  # noqa: S608
        f"{raw_rows.columns(User, 'd')} FROM {raw_rows.table(SignOff)} s "
        f"LEFT OUTER JOIN {raw_rows.table(User)} a ON a.id = s.declared_by_id "
        f"LEFT OUTER JOIN {raw_rows.table(User)} d ON d.id = s.decided_by_id "
        "WHERE s.onboarding_id = %s ORDER BY s.declared_at DESC, s.id DESC"  # Meta.ordering
    )


def signoffs(onboarding: Onboarding) -> list[SignOff]:
    """Every sign-off round of the onboarding, newest first, as
    ``onboarding.signoffs.select_related("declared_by", "decided_by")`` gives them."""
    found = []
    for row in raw_rows.fetch_all(_signoffs_sql(connection.vendor), [onboarding.pk]):
        signoff, start = raw_rows.leading(SignOff, row)
        declared_by, start = raw_rows.instance(User, row, start)
        decided_by, _end = raw_rows.instance(User, row, start)
        raw_rows.relate(signoff, "onboarding", onboarding)
        raw_rows.relate(signoff, "declared_by", declared_by)
        raw_rows.relate(signoff, "decided_by", decided_by)
        found.append(signoff)
    return found


# What changed since the newest check -------------------------------------------------------


@functools.cache
def _changes_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    subject = f"a.{quote('subject')}"
    # As the ORM's startswith has it (SQLite: with an escape character).
    operators: dict[str, str] = connection.operators  # type: ignore[attr-defined]
    starts = operators["startswith"] % "%s"
    return (
        f"SELECT {raw_rows.columns(AuditEvent, 'a')}, {actor_rows.columns('b')}, "  # noqa: S608
        f"{raw_rows.columns(VerificationRun, 'r')} FROM {raw_rows.table(AuditEvent)} a "
        f"{actor_rows.joins('b', 'a', 'actor_id', 'api_token_id')} "
        f"LEFT OUTER JOIN {raw_rows.table(VerificationRun)} r ON r.id = a.run_id "
        "WHERE a.onboarding_id = %s AND a.created_at > %s "
        f"AND ({subject} {starts} OR {subject} {starts} OR {subject} = %s "
        f"OR {subject} {starts} OR {subject} = %s) "
        "ORDER BY a.created_at, a.id LIMIT %s"
    )


def _starting(prefix: str) -> str:
    return f"{connection.ops.prep_for_like_query(prefix)}%"


def checked_changes(
    onboarding: Onboarding, environment: str, moment: datetime, limit: int
) -> list[AuditEvent]:
    """The onboarding's Protokoll entries after ``moment`` of what a connection check against
    the environment checks (its record, the Leistungen, the metadata versions, its secrets,
    its hosts), oldest first, the first ``limit``: as ``AuditEvent.objects.filter(…)
    .select_related("actor", "api_token__organisation", "run")`` gives them
    (``checklist.signoff_evidence.changes_since``)."""
    params = [
        onboarding.pk,
        connection.ops.adapt_datetimefield_value(moment),
        _starting(f"environment.{environment}."),
        _starting("leistung."),
        "onboarding.metadata_versions",
        _starting(f"secret:{environment}:"),
        f"hosts:{environment}",
        limit,
    ]
    found = []
    for row in raw_rows.fetch_all(_changes_sql(connection.vendor), params):
        event, start = raw_rows.leading(AuditEvent, row)
        actor, token, start = actor_rows.read(row, start)
        run, _end = raw_rows.instance(VerificationRun, row, start)
        raw_rows.relate(event, "actor", actor)
        raw_rows.relate(event, "api_token", token)
        raw_rows.relate(event, "run", run)
        found.append(event)
    return found


# An onboarding's rows of one kind ---------------------------------------------------------


@functools.cache
def _children_sql(model: type[models.Model], related: str, order: str, vendor: str) -> str:
    select = raw_rows.columns(model, "x")
    join = ""
    if related:  # one related person, as ``select_related`` joins it
        field = cast(models.Field[Any, Any], model._meta.get_field(related))
        column = connection.ops.quote_name(str(field.column))
        select += f", {raw_rows.columns(User, 'u')}"
        join = f" LEFT OUTER JOIN {raw_rows.table(User)} u ON u.id = x.{column}"
    return (
        f"SELECT {select} FROM {raw_rows.table(model)} x{join} "  # noqa: S608
        f"WHERE x.onboarding_id = %s{order}"
    )


def children[M: models.Model](
    model: type[M], onboarding: Onboarding, related: str = "", order: str = ""
) -> list[M]:
    """The onboarding's rows of ``model`` as its related manager's ``all()`` gives them
    (with the person ``related`` names as ``select_related(related)``). ``order``: the
    model's ``Meta.ordering`` as SQL (" ORDER BY x.key, x.id"), none where it has none."""
    table: type[models.Model] = model
    found = []
    sql = _children_sql(table, related, order, connection.vendor)
    for row in raw_rows.fetch_all(sql, [onboarding.pk]):
        obj, start = raw_rows.leading(model, row)
        raw_rows.relate(obj, "onboarding", onboarding)
        if related:
            raw_rows.relate(obj, related, raw_rows.instance(User, row, start)[0])
        found.append(obj)
    return found


# Lost runs ---------------------------------------------------------------------------------


@functools.cache
def _lost_sql(vendor: str) -> str:
    lost = "WHERE finished_at IS NULL AND onboarding_id = %s AND lease_until < %s"
    return (
        f"SELECT EXISTS (SELECT 1 FROM {raw_rows.table(VerificationRun)} {lost}) "  # noqa: S608
        f"OR EXISTS (SELECT 1 FROM {raw_rows.table(ConformanceRun)} {lost})"
    )


def any_lost(onboarding: Onboarding) -> bool:
    """Whether a connection check or conformance run of the onboarding lost its worker: not
    finished and its lease expired (``portal.leases.expired``)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())  # as the ORM passes it
    row = raw_rows.fetch_one(_lost_sql(connection.vendor), [onboarding.pk, now, onboarding.pk, now])
    return bool(row and row[0])
