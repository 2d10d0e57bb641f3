"""Statement budgets: pages and ticks cost a fixed number of SQL statements, whatever the data.

Counted without BEGIN, COMMIT, SAVEPOINT, RELEASE and ROLLBACK. A page that loads a row per
item, Leistung, comment or onboarding fails here as soon as the data grows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date

import pytest
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checklist import catalogue, services
from checklist.models import Leistung, Onboarding
from tests.conftest import World, make_onboarding
from watch.models import WatchDestination

# Steps 3 to 5 read what their sections share once (checklist.step_reads): the environments
# with the onboarding's records (all of them: the values an approval freezes take them from
# there), its connection checks and the newest conformance runs of the step (three
# queries). The sign-off's evidence takes the environment row, the newest check and the
# checks proving items from there and reads, with a newest check, what changed since (one
# query); the values an approval freezes read services (one).
# Steps 3 to 5 look for runs whose worker was lost (one query, checklist.lost_work).
# 14 statements without a check, 15 with one.
STEP_PAGE_BUDGET = 11
# A step page seen again while nothing on it changed: session, user, onboarding.
CACHED_STEP_PAGE_BUDGET = 3
# A tick: session, user, the onboarding under its row lock, the item's state with the
# Protokoll's head (read under that lock), its update, the new entry (the onboarding stays
# locked from the look-up, also on PostgreSQL; checklist.audit_chain) and the counters. On
# PostgreSQL the update, the entry and the counters are one statement (portal.raw_rows),
# where no valid sign-off is to be refreshed: four in all. An item opened again is assigned
# to somebody (a done one to nobody): the people its assign form offers are read with the
# item's state (checklist.tick_reads), no statement more.
TICK_BUDGET = 7 if connection.vendor != "postgresql" else 4
REOPEN_BUDGET = TICK_BUDGET
OVERVIEW_BUDGET = 12
SLUG = "musterstadt-gewerbe"
NOT_COUNTED = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")


def statements(request: Callable[[], HttpResponse]) -> list[str]:
    """Return the SQL statements a request runs (without transaction control)."""
    with CaptureQueriesContext(connection) as captured:
        response = request()
    assert response.status_code == 200, response.status_code
    return [
        query["sql"]
        for query in captured.captured_queries
        if not query["sql"].lstrip().upper().startswith(NOT_COUNTED)
    ]


def signed_in(world: World, persona: str) -> Client:
    client = Client()
    client.force_login(getattr(world, persona))
    client.get(reverse("home"))  # the first request after sign-in records the session's age
    return client


@pytest.fixture
def bigger_catalogue(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Return a function that grows the catalogue by 30 items in step 2 (a new version)."""
    original = catalogue.load()

    def grow() -> None:
        template = next(i for i in original.items if i.key == "step2.client")
        extra = tuple(
            dataclasses.replace(template, key=f"step2.extra_{n}", title_de=f"Zusatz {n}")
            for n in range(30)
        )
        grown = catalogue.Catalogue(original.version + 1, original.items + extra)
        monkeypatch.setattr(catalogue, "load", lambda: grown)

    return grow


def grow_data(world: World, onboarding: Onboarding) -> None:
    """Add Leistungen and comments (and tick items) through the services."""
    for n in range(8):
        services.save_leistung(
            Leistung(
                onboarding=onboarding,
                key=f"9905003500{n:04d}",
                name=f"Leistung {n}",
                schema_kind="fim",
                schema_uri="https://schema.fitko.de/fim/s00000092_1.0.schema.json",
                mime_type="application/json",
                regions=["064350014014"],
                reply_email=n % 2 == 0,
            ),
            world.authority_admin,
        )
    for item in catalogue.load().items[:25]:
        for n in range(3):
            services.add_comment(onboarding, item, f"Kommentar {n}", world.provider_staff)
        if item.kind.name == "manual" and item.step == 2 and not item.condition:
            services.set_item_done(onboarding, item, True, world.provider_staff)


def step_page_costs(client: Client) -> dict[int, int]:
    """Return the statements of each step page rendered afresh (not from the page cache)."""
    costs = {}
    for step in range(1, 6):
        caches["pages"].clear()
        costs[step] = len(
            statements(lambda step=step: client.get(reverse("step", args=[SLUG, step])))
        )
    return costs


def test_step_pages_stay_within_budget_however_much_data_there_is(
    world: World, bigger_catalogue: Callable[[], None]
) -> None:
    client = signed_in(world, "provider_staff")
    before = step_page_costs(client)
    assert max(before.values()) <= STEP_PAGE_BUDGET, before

    grow_data(world, world.onboarding)
    bigger_catalogue()
    client.get(reverse("step", args=[SLUG, 2]))  # adds the new catalogue's items once
    after = step_page_costs(client)
    assert after == before


def test_a_step_page_seen_again_unchanged_costs_three_statements(world: World) -> None:
    client = signed_in(world, "provider_staff")
    url = reverse("step", args=[SLUG, 2])
    first = statements(lambda: client.get(url))
    again = statements(lambda: client.get(url))
    assert len(again) <= CACHED_STEP_PAGE_BUDGET < len(first), again


def test_a_tick_stays_within_budget_however_much_data_there_is(
    world: World, bigger_catalogue: Callable[[], None]
) -> None:
    client = signed_in(world, "provider_staff")

    def tick(key: str, done: str) -> list[str]:
        url = reverse("item_toggle", args=[SLUG, key])
        return statements(lambda: client.post(url, {"done": done}, headers={"hx-request": "true"}))

    ticked, reopened = tick("step2.client", "1"), tick("step2.client", "0")
    assert len(ticked) <= TICK_BUDGET, ticked
    assert len(reopened) <= REOPEN_BUDGET, reopened
    assert len(reopened) == len(ticked), reopened  # its assign form's people: with the item

    grow_data(world, world.onboarding)
    bigger_catalogue()
    client.get(reverse("step", args=[SLUG, 2]))
    assert len(tick("step2.extra_7", "1")) == len(ticked)
    assert len(tick("step2.extra_7", "0")) == len(reopened)


def test_a_tick_of_an_assigned_item_names_both_people_at_the_same_cost(world: World) -> None:
    client = signed_in(world, "provider_staff")
    url = reverse("item_toggle", args=[SLUG, "step2.client"])

    answers: list[HttpResponse] = []

    def tick(done: str) -> HttpResponse:
        answers.append(client.post(url, {"done": done}, headers={"hx-request": "true"}))
        return answers[-1]

    unassigned = len(statements(lambda: tick("1")))
    tick("0")  # open again: only open work is assigned to somebody
    item = catalogue.load().by_key()["step2.client"]
    services.assign_item(world.onboarding, item, world.provider_staff, world.provider_staff)

    assert len(statements(lambda: tick("1"))) == unassigned
    answer = answers[-1].content.decode()

    name = str(world.provider_staff)
    assert f"Zugewiesen an {name}" in answer
    assert f"Abgehakt von {name} am" in answer
    assert "Dieser Schritt: 1 von" in answer  # the counters come along out of band


def test_the_overview_stays_within_budget_with_many_onboardings(world: World) -> None:
    client = signed_in(world, "authority_admin")
    few = len(statements(lambda: client.get(reverse("overview"))))
    for n in range(120):
        make_onboarding(
            world.authority,
            world.provider if n % 3 else None,
            world.authority_admin,
            slug=f"vorhaben-{n}",
            name=f"Vorhaben {n:03d}",
        )
    Onboarding.objects.filter(name__endswith="7").update(target_go_live=date(2020, 1, 1))
    WatchDestination.objects.bulk_create(
        WatchDestination(onboarding=o, state=("red", "green")[o.pk % 2])
        for o in Onboarding.objects.filter(name__startswith="Vorhaben")
    )
    filtered = {"sort": "-progress", "step": "1", "overdue": "on", "q": "Vorhaben", "page": "2"}
    many = statements(lambda: client.get(reverse("overview")))
    assert len(many) == few <= OVERVIEW_BUDGET
    assert len(statements(lambda: client.get(reverse("overview"), filtered))) <= OVERVIEW_BUDGET
    # The watch filter reads the stored state in the same statements.
    by_watch = statements(lambda: client.get(reverse("overview"), {"watch": "red"}))
    assert len(by_watch) == few
    operator = signed_in(world, "site_operator")
    assert len(statements(lambda: operator.get(reverse("overview")))) <= OVERVIEW_BUDGET
