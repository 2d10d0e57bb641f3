"""Coverage per Leistung and region: where an approved production connection exists.

A region counts as covered for a Leistung when an onboarding of the area whose production
stage is signed off (``Onboarding.signoff_production``, the stored summary) records that
Leistung with a region (ARS) that contains it: the same ARS or a prefix of it (a connection
for the Kreis ``06435`` covers every Gemeinde of it; one for a Gemeinde does not cover its
Kreis). Everything is counted in SQL with a fixed number of statements, whatever the number
of onboardings: the Leistungen's region lists are unnested in the database (``json_each`` on
SQLite, ``jsonb_array_elements_text`` on PostgreSQL).

A coordination office may upload the regions it expects (``ExpectedRegion``) and, optionally,
the Leistungen (``ExpectedLeistung``); without these the Leistungen recorded in its area are
expected. A gap is an expected region × Leistung without a covering connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Min, Q, QuerySet

from checklist.coordination import authorities_q
from checklist.models import ExpectedLeistung, ExpectedRegion, Leistung, Onboarding
from portal.models import Organisation

APPROVED = "approved"
GAPS_PER_PAGE = 50


@dataclass
class LeistungCoverage:
    """One Leistungsschlüssel: where it is connected, and against what is expected."""

    key: str
    name: str
    onboardings: int = 0  # onboardings of the area recording it
    live: int = 0  # of these, with production signed off
    regions: int = 0  # distinct regions with a signed-off production connection
    covered: int = 0  # expected regions covered
    expected: int = 0  # expected regions

    @property
    def gaps(self) -> int:
        return self.expected - self.covered


@dataclass
class Gap:
    key: str
    name: str
    ars: str
    region: str


def office_scope(office: Organisation) -> QuerySet[Onboarding]:
    """The onboardings of a coordination office's area."""
    return Onboarding.objects.filter(authorities_q(office, "authority__"))


def _unnest(alias: str) -> str:
    """A table of the Leistung's regions, one row (``r.value``) per ARS."""
    if connection.vendor == "postgresql":
        return (
            f"jsonb_array_elements_text(CASE WHEN jsonb_typeof({alias}.regions) = 'array' "
            f"THEN {alias}.regions ELSE '[]'::jsonb END) AS r(value)"
        )
    return (
        f"json_each(CASE WHEN json_type({alias}.regions) = 'array' "
        f"THEN {alias}.regions ELSE '[]' END) AS r"
    )


def _covered_sql(onboardings: QuerySet[Onboarding]) -> tuple[str, list[Any]]:
    """SQL of the distinct (key, ars) pairs with a signed-off production connection."""
    scope_sql, scope_params = onboardings.order_by().values("pk").query.sql_with_params()
    leistung = Leistung._meta.db_table
    onboarding = Onboarding._meta.db_table
    sql = (
        f"SELECT DISTINCT l.key AS key, r.value AS ars FROM {leistung} l "
        f"JOIN {onboarding} o ON o.id = l.onboarding_id CROSS JOIN {_unnest('l')} "
        f"WHERE o.signoff_production = %s AND l.onboarding_id IN ({scope_sql})"
    )
    return sql, [APPROVED, *scope_params]


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def expected_keys_sql(
    onboardings: QuerySet[Onboarding], office: Organisation | None
) -> tuple[str, list[Any]]:
    """SQL of the expected Leistungsschlüssel: the office's list, else those of its area."""
    if office is not None and ExpectedLeistung.objects.filter(office=office).exists():
        table = ExpectedLeistung._meta.db_table
        return f"SELECT key FROM {table} WHERE office_id = %s", [office.pk]
    scope_sql, scope_params = onboardings.order_by().values("pk").query.sql_with_params()
    table = Leistung._meta.db_table
    return f"SELECT DISTINCT key FROM {table} WHERE onboarding_id IN ({scope_sql})", list(
        scope_params
    )


def per_leistung(
    onboardings: QuerySet[Onboarding], office: Organisation | None
) -> list[LeistungCoverage]:
    """Every Leistungsschlüssel of the area (and every expected one), with its coverage.

    Five statements, whatever the number of onboardings.
    """
    rows: dict[str, LeistungCoverage] = {}
    recorded = (
        Leistung.objects.filter(onboarding__in=onboardings)
        .values("key")
        .annotate(
            name=Min("name"),
            onboardings=Count("onboarding", distinct=True),
            live=Count(
                "onboarding", distinct=True, filter=Q(onboarding__signoff_production=APPROVED)
            ),
        )
        .order_by("key")
    )
    for row in recorded:
        rows[row["key"]] = LeistungCoverage(
            row["key"], row["name"], row["onboardings"], row["live"]
        )
    expected_keys: list[tuple[str, str]] = []
    expected_regions = 0
    if office is not None:
        expected_keys = list(
            ExpectedLeistung.objects.filter(office=office).values_list("key", "name")
        )
        expected_regions = ExpectedRegion.objects.filter(office=office).count()
    for key, name in expected_keys:
        rows.setdefault(key, LeistungCoverage(key, name))
    covered_sql, covered_params = _covered_sql(onboardings)
    for key, count in _fetch(
        f"SELECT c.key, COUNT(*) FROM ({covered_sql}) c GROUP BY c.key", covered_params
    ):
        if key in rows:
            rows[key].regions = count
    if office is not None and expected_regions:
        table = ExpectedRegion._meta.db_table
        sql = (
            f"SELECT c.key, COUNT(DISTINCT e.id) FROM ({covered_sql}) c JOIN {table} e "
            "ON substr(e.ars, 1, length(c.ars)) = c.ars WHERE e.office_id = %s GROUP BY c.key"
        )
        for key, count in _fetch(sql, [*covered_params, office.pk]):
            if key in rows:
                rows[key].covered = count
        keys = {key for key, _name in expected_keys} or set(rows)
        for key in keys:
            rows[key].expected = expected_regions
    return sorted(rows.values(), key=lambda row: row.key)


def _gaps_sql(
    onboardings: QuerySet[Onboarding], office: Organisation, select: str
) -> tuple[str, list[Any]]:
    covered_sql, covered_params = _covered_sql(onboardings)
    keys_sql, keys_params = expected_keys_sql(onboardings, office)
    table = ExpectedRegion._meta.db_table
    sql = (
        f"SELECT {select} FROM ({keys_sql}) k CROSS JOIN {table} e WHERE e.office_id = %s "
        f"AND NOT EXISTS (SELECT 1 FROM ({covered_sql}) c WHERE c.key = k.key "
        "AND substr(e.ars, 1, length(c.ars)) = c.ars)"
    )
    return sql, [*keys_params, office.pk, *covered_params]


def gap_count(onboardings: QuerySet[Onboarding], office: Organisation) -> int:
    sql, params = _gaps_sql(onboardings, office, "COUNT(*)")
    return int(_fetch(sql, params)[0][0])


def gap_page(
    onboardings: QuerySet[Onboarding],
    office: Organisation,
    names: dict[str, str],
    number: int,
    per_page: int = GAPS_PER_PAGE,
) -> tuple[list[Gap], int, int]:
    """One page of the gaps in the order key, ARS, how many there are, and the page number
    shown (the last one for a number beyond it). One statement (the count is a window over
    the same rows); a page beyond the last costs a count and a second page."""
    number = max(number, 1)
    sql, params = _gaps_sql(onboardings, office, "k.key, e.ars, e.name, COUNT(*) OVER ()")
    rows = _fetch(
        sql + " ORDER BY k.key, e.ars LIMIT %s OFFSET %s",
        [*params, per_page, (number - 1) * per_page],
    )
    if not rows and number > 1:
        total = gap_count(onboardings, office)
        last = max(1, -(-total // per_page))
        return gap_page(onboardings, office, names, last, per_page) if total else ([], 0, 1)
    total = int(rows[0][3]) if rows else 0
    page = [Gap(key, names.get(key, ""), ars, region) for key, ars, region, _total in rows]
    return page, total, number


def iter_gaps(
    onboardings: QuerySet[Onboarding], office: Organisation, names: dict[str, str]
) -> Iterator[Gap]:
    """Every gap, fetched in chunks (for the CSV export)."""
    sql, params = _gaps_sql(onboardings, office, "k.key, e.ars, e.name")
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY k.key, e.ars", params)
        while chunk := cursor.fetchmany(2000):
            for key, ars, region in chunk:
                yield Gap(key, names.get(key, ""), ars, region)


@dataclass
class ConnectedRegion:
    ars: str
    onboardings: int  # onboardings with production signed off recording it
    name: str = ""


def connected_regions(
    onboardings: QuerySet[Onboarding], key: str, *, offset: int = 0, limit: int = GAPS_PER_PAGE
) -> tuple[list[ConnectedRegion], int]:
    """The regions (ARS) with a signed-off production connection for one Leistung: one page
    of them in ARS order, with how many onboardings connect each, and how many there are."""
    scope_sql, scope_params = onboardings.order_by().values("pk").query.sql_with_params()
    leistung = Leistung._meta.db_table
    onboarding = Onboarding._meta.db_table
    base = (
        f"FROM {leistung} l JOIN {onboarding} o ON o.id = l.onboarding_id "
        f"CROSS JOIN {_unnest('l')} WHERE l.key = %s AND o.signoff_production = %s "
        f"AND l.onboarding_id IN ({scope_sql})"
    )
    params = [key, APPROVED, *scope_params]
    total = int(_fetch(f"SELECT COUNT(DISTINCT r.value) {base}", params)[0][0])
    rows = _fetch(
        f"SELECT r.value, COUNT(DISTINCT o.id) {base} GROUP BY r.value ORDER BY r.value "
        "LIMIT %s OFFSET %s",
        [*params, limit, offset],
    )
    return [ConnectedRegion(str(ars), count) for ars, count in rows], total
