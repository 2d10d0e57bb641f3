""" "Mit FIT-Connect abgleichen": ask the Routing API per expected Leistung × region.

Read-only: one ``GET /routes?leikaKey=…&ars=…`` per pair against the environment named by
``COVERAGE_ROUTING_ENVIRONMENT`` (production; the local sandbox in the demo and the tests),
at most ``COVERAGE_ROUTING_MAX_REQUESTS`` pairs per run. Each answer is stored in words the
page shows: the routes name a destination the portal knows (a recorded Zustellpunkt of that
environment), one it does not know, none, or the Routing API could not be asked (the fault
in words). A fault never stops the run, and the run is always finished, so that the page's
progress never waits for ever.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from checklist.coverage import expected_keys_sql, office_scope
from checklist.models import (
    EnvironmentRecord,
    ExpectedRegion,
    FitConnectEnvironment,
    Onboarding,
    RoutingAnswer,
    RoutingComparison,
)
from fitconnect.constants import LEIKA_KEY_PATTERN
from fitconnect.http import Client, FitConnectError
from portal.models import Organisation, User

logger = logging.getLogger(__name__)
LEIKA_KEY = re.compile(LEIKA_KEY_PATTERN)


def environment() -> FitConnectEnvironment | None:
    """The environment whose Routing API is asked, if it is set up with one."""
    env = FitConnectEnvironment.objects.filter(key=settings.COVERAGE_ROUTING_ENVIRONMENT).first()
    return env if env is not None and env.routing_base else None


def pairs(
    onboardings: QuerySet[Onboarding], office: Organisation, limit: int | None
) -> tuple[list[tuple[str, str]], int]:
    """The Leistung × region pairs to ask, in key and ARS order (at most ``limit``), and how
    many there are. Only keys the Routing API knows (14 digits, starting with 99)."""
    keys_sql, keys_params = expected_keys_sql(onboardings, office)
    table = ExpectedRegion._meta.db_table
    base = (
        f"FROM ({keys_sql}) k CROSS JOIN {table} e WHERE e.office_id = %s "
        "AND length(k.key) = 14 AND substr(k.key, 1, 2) = '99'"
    )
    params: list[Any] = [*keys_params, office.pk]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) {base}", params)
        total = int(cursor.fetchone()[0])
        sql = f"SELECT k.key, e.ars {base} ORDER BY k.key, e.ars"
        if limit is not None:
            sql += " LIMIT %s"
            params = [*params, limit]
        cursor.execute(sql, params)
        found = [(key, ars) for key, ars in cursor.fetchall() if LEIKA_KEY.match(key)]
    return found, total


def start(onboardings: QuerySet[Onboarding], office: Organisation, user: User) -> RoutingComparison:
    """Open a comparison of the office's expected pairs (the worker asks them)."""
    bound = settings.COVERAGE_ROUTING_MAX_REQUESTS
    planned, total = pairs(onboardings, office, bound)
    return RoutingComparison.objects.create(
        office=office,
        environment=settings.COVERAGE_ROUTING_ENVIRONMENT,
        started_by=user,
        pairs_total=total,
        pairs_planned=len(planned),
    )


def execute(comparison_id: int) -> None:
    """Ask the Routing API for each planned pair; a comparison already finished stays."""
    comparison = RoutingComparison.objects.select_related("office").filter(pk=comparison_id).first()
    if comparison is None or comparison.finished_at is not None:
        return
    onboardings = office_scope(comparison.office)
    try:
        with translation.override(settings.LANGUAGE_CODE):
            _ask_all(comparison, onboardings)
    except Exception:  # the run must finish whatever happens; the log keeps the cause
        logger.exception("routing comparison %s stopped", comparison_id)
        with translation.override(settings.LANGUAGE_CODE):
            comparison.problem = _("The comparison stopped unexpectedly. Please start it again.")
    comparison.finished_at = timezone.now()
    comparison.save(update_fields=["finished_at", "problem"])


def _ask_all(comparison: RoutingComparison, onboardings: QuerySet[Onboarding]) -> None:
    env = FitConnectEnvironment.objects.filter(key=comparison.environment).first()
    if env is None or not env.routing_base:
        comparison.problem = _(
            "No FIT-Connect environment with a Routing API is set up for the comparison. "
            "Please ask the site operator."
        )
        return
    planned, _total = pairs(onboardings, comparison.office, comparison.pairs_planned)
    asked = set(comparison.answers.values_list("key", "ars"))  # resumed after a restart
    base = f"{env.routing_base.rstrip('/')}{env.routing_prefix}/routes"
    for key, ars in planned:
        if (key, ars) in asked:
            continue
        outcome, destinations, detail = _ask(env, base, key, ars)
        RoutingAnswer.objects.create(
            comparison=comparison,
            key=key,
            ars=ars,
            outcome=outcome,
            destinations=destinations,
            detail=detail,
        )


def _ask(env: FitConnectEnvironment, base: str, key: str, ars: str) -> tuple[str, list[str], str]:
    url = f"{base}?{urlencode({'leikaKey': key, 'ars': ars})}"
    client = Client(
        connect_timeout=float(settings.FITCONNECT_CONNECT_TIMEOUT),
        total_timeout=float(settings.FITCONNECT_CHECK_TIMEOUT),
        allow_private=env.allow_private_addresses,
    )
    try:
        with client:
            body = client.request("GET", url).json_object(_("The response of the Routing API"))
    except FitConnectError as error:
        return RoutingAnswer.Outcome.FAULT, [], error.message
    routes = body.get("routes")
    if not isinstance(routes, list):
        return (
            RoutingAnswer.Outcome.FAULT,
            [],
            _("The response of the Routing API contains no list of routes."),
        )
    named = sorted(
        {
            _normal(route["destinationId"])
            for route in routes
            if isinstance(route, dict) and isinstance(route.get("destinationId"), str)
        }
    )
    if not named:
        return RoutingAnswer.Outcome.NOWHERE, [], ""
    known = {
        str(value)
        for value in EnvironmentRecord.objects.filter(
            environment=env.key, destination_id__in=[d for d in named if _is_uuid(d)]
        ).values_list("destination_id", flat=True)
    }
    unknown = [d for d in named if d not in known]
    outcome = RoutingAnswer.Outcome.UNKNOWN if unknown else RoutingAnswer.Outcome.KNOWN
    return outcome, unknown + sorted(known), ""


def _normal(value: str) -> str:
    """A destination ID as the portal stores it (a UUID in lower case), else as given."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return value


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
