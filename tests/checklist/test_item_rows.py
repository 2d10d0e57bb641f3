"""Every item row says all its words, on the step page and alone as the answer to a change.

The rows take their words from ``checklist.item_rows``, translated once per page instead of
once per row and word. A word lost on the way would leave an empty badge, label or button
without any error, so these tests render a row of each kind of item on the page and alone
(as the answer to a comment, a note and a tick does) and look for each word a person reads
in it, in German.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from checklist import catalogue
from checklist.kinds import KINDS
from tests.conftest import World

SLUG = "musterstadt-gewerbe"
HTMX = {"hx-request": "true"}

# One item of each kind, all on steps the IT service provider works on.
ITEMS = {
    "manual": "step2.client",
    "check": "step3.token",
    "data": "step2.destination",
    "signoff": "step3.signoff",
}
# What the kind's snippet says under an open item (a manual item says nothing until done).
KIND_WORDS = {
    "manual": [],
    "check": ["Wird durch die Verbindungsprüfung abgehakt. Von Hand abhaken geht nur mit"],
    "data": ["Wird anhand der erfassten Daten automatisch abgehakt."],
    "signoff": ["Wird durch die Abnahme unten erledigt."],
}
RESPONSIBLE = {
    "authority": "Zuständig: Behörde",
    "provider": "Zuständig: IT-Dienstleister",
    "both": "Zuständig: beide",
}
# Every open row, whoever looks: its badge, who is responsible, to whom it is assigned and
# the comment form.
EVERY_ROW = [
    ">Offen<",
    "Keiner Person zugewiesen",
    "Notiz und 0 Kommentare",
    ">Neuer Kommentar<",
    "Schreiben Sie @ und einen Namen, um eine Person zu benachrichtigen, z. B. @Anna Amtmann.",
    ">Person benachrichtigen (optional)<",
    ">Kommentar hinzufügen<",
]
# The forms of a row the person may tick (a check item only by hand with a reason).
TICK_WORDS = {
    "manual": [">Als erledigt markieren<", ">Wird gespeichert …<"],
    "check": [">Von Hand abhaken, mit Begründung<", ">Von Hand abhaken<", ">Wird gespeichert …<"],
}
NOTE_FORM = [">Notiz<", ">Notiz speichern<"]
ASSIGN_FORM = [">Zugewiesen an<", ">Niemand: die ganze Seite<", ">Zuweisen<"]


def item_of(kind: str) -> catalogue.Item:
    item = catalogue.load().by_key()[ITEMS[kind]]
    assert item.kind is KINDS[kind]
    return item


def expected(kind: str) -> list[str]:
    """The words of the open row of the kind's item, as the IT service provider sees it."""
    item = item_of(kind)
    words = [*EVERY_ROW, *KIND_WORDS[kind], RESPONSIBLE[item.role]]
    words += TICK_WORDS.get(kind, [])
    if item.kind.tickable:
        words += NOTE_FORM
    if not item.required:
        words.append(" · optional · ")
    if item.docs_url:
        words.append(">Mehr in der Dokumentation der FITKO<")
    return words


def row_of(html: str, item: catalogue.Item) -> str:
    """The item's row: from its <li> to the next row, the list's end or (in an answer) the
    counters that come with it."""
    start = html.index(f'<li id="item-{item.dom_id}"')
    ends = ['<li id="item-', '<datalist id="participants">', '<div id="step-progress"']
    found = [index for end in ends if (index := html.find(end, start + 1)) != -1]
    return html[start : min(found, default=len(html))]


def missing(html: str, words: list[str]) -> list[str]:
    return [word for word in words if word not in html]


@pytest.fixture
def clara(client_for: Any) -> Client:
    client: Client = client_for("provider_staff")
    return client


@pytest.mark.parametrize("kind", ITEMS)
def test_each_kinds_row_on_the_step_page_says_all_its_words(
    world: World, clara: Client, kind: str
) -> None:
    item = item_of(kind)
    html = clara.get(reverse("step", args=[SLUG, item.step])).content.decode()
    row = row_of(html, item)
    assert missing(row, expected(kind)) == []
    assert f">{item.title_de}</h3>" in row


@pytest.mark.parametrize("kind", ITEMS)
def test_each_kinds_row_alone_as_the_answer_to_a_comment_says_all_its_words(
    world: World, clara: Client, kind: str
) -> None:
    item = item_of(kind)
    url = reverse("item_comment", args=[SLUG, item.key])
    html = clara.post(url, {"text": "Bitte prüfen"}, headers=HTMX).content.decode()
    words = [word for word in expected(kind) if word != "Notiz und 0 Kommentare"]
    assert missing(row_of(html, item), words) == []
    assert (
        missing(html, ["Notiz und 1 Kommentar<", 'aria-label="Kommentare"', "Bitte prüfen"]) == []
    )


def test_a_tick_answers_with_the_done_rows_words(world: World, clara: Client) -> None:
    item = item_of("manual")
    url = reverse("item_toggle", args=[SLUG, item.key])
    html = clara.post(url, {"done": "1"}, headers=HTMX).content.decode()
    words = [">Erledigt<", ">Als offen markieren<", "Abgehakt von Clara Code am ", "Keiner Person"]
    assert missing(html, words) == []
    reopened = clara.post(url, {"done": "0"}, headers=HTMX).content.decode()
    assert missing(reopened, [">Offen<", ">Als erledigt markieren<", *ASSIGN_FORM]) == []


def test_a_hand_tick_answers_with_who_ticked_and_why(world: World, clara: Client) -> None:
    item = item_of("check")
    url = reverse("item_toggle", args=[SLUG, item.key])
    html = clara.post(url, {"done": "1", "reason": "Test & <Probe>"}, headers=HTMX).content
    words = ["Von Hand abgehakt von Clara Code am ", "Test &amp; &lt;Probe&gt;", ">Erledigt<"]
    assert missing(html.decode(), words) == []


def test_a_note_and_an_assignee_are_shown_in_words(
    world: World, clara: Client, client_for: Any
) -> None:
    item = item_of("manual")
    note = reverse("item_note", args=[SLUG, item.key])
    answer = clara.post(note, {"note": "Wartet auf <Freigabe>"}, headers=HTMX).content.decode()
    assert missing(answer, [">Wartet auf &lt;Freigabe&gt;</textarea>", "Notiz und 0"]) == []
    anna = client_for("authority_admin")
    assign = reverse("item_assign", args=[SLUG, item.key])
    assigned = anna.post(
        assign, {"assignee": world.provider_staff.pk}, headers=HTMX
    ).content.decode()
    # The authority reads the provider's step: the note as text, the assignee by name.
    words = ["Zugewiesen an Clara Code", "<strong>Notiz:</strong> Wartet auf &lt;Freigabe&gt;"]
    assert missing(row_of(assigned, item), [*words, *ASSIGN_FORM]) == []
    page = anna.get(reverse("step", args=[SLUG, item.step])).content.decode()
    assert missing(row_of(page, item), [*words, *ASSIGN_FORM]) == []


def test_a_done_row_says_who_ticked_it_and_when_also_once_they_left(
    world: World, clara: Client, client_for: Any
) -> None:
    from datetime import UTC, datetime

    from checklist.models import ItemState

    manual, check = item_of("manual"), item_of("check")
    clara.post(reverse("item_toggle", args=[SLUG, manual.key]), {"done": "1"}, headers=HTMX)
    clara.post(
        reverse("item_toggle", args=[SLUG, check.key]),
        {"done": "1", "reason": "Geprüft"},
        headers=HTMX,
    )
    # Ticked on a winter evening (UTC): the page says it in the site's time, 23:15 in Berlin.
    ItemState.objects.filter(onboarding=world.onboarding).update(
        done_at=datetime(2026, 12, 1, 22, 15, tzinfo=UTC)
    )
    anna = client_for("authority_admin")
    page = anna.get(reverse("step", args=[SLUG, manual.step])).content.decode()
    assert "Abgehakt von Clara Code am 01.12.2026, 23:15." in row_of(page, manual)
    # The ticker's account is gone (as its deletion sets it): the ticks stay, the name goes.
    ItemState.objects.filter(onboarding=world.onboarding).update(done_by=None)
    page = anna.get(reverse("step", args=[SLUG, manual.step])).content.decode()
    assert "Abgehakt von ein ehemaliges Mitglied am 01.12.2026, 23:15." in row_of(page, manual)
    page = anna.get(reverse("step", args=[SLUG, check.step])).content.decode()
    assert (
        "Von Hand abgehakt von ein ehemaliges Mitglied am 01.12.2026, 23:15. Begründung: Geprüft"
        in row_of(page, check)
    )
