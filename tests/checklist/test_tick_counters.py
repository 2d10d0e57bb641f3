"""A tick's answer shows the counters and the announcement exactly as the step page's
partials render them (``checklist.tick_counters`` fills in their HTML made once per
language): same words, numbers and escaping, in German and in English."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from checklist import catalogue, tick_counters
from checklist.models import Onboarding
from checklist.state import OnboardingState, Progress
from tests.conftest import World

SLUG = "musterstadt-gewerbe"
PARTIALS = ("checklist/step.html#progress_oob", "checklist/step.html#announce_oob")


def as_the_partials_render(step: Progress, overall: Progress, announcement: str) -> str:
    context = {
        "card": SimpleNamespace(progress=step),
        "overall": overall,
        "announcement": announcement,
        "error": False,
    }
    return "".join(render_to_string(name, context) for name in PARTIALS)


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize(
    ("step", "overall"),
    [
        (Progress(0, 0), Progress(0, 0)),
        (Progress(1, 18), Progress(6, 49)),
        (Progress(17, 17), Progress(1234, 2000)),
    ],
)
def test_the_counters_are_the_partials_html(
    language: str, step: Progress, overall: Progress
) -> None:
    announcement = '„Client & <Zugang>“ is "marked" as done\'s'
    with translation.override(language):
        made = tick_counters.counters(step, overall, announcement)
        assert made == as_the_partials_render(step, overall, announcement)
    assert "&amp; &lt;Zugang&gt;" in made


def test_a_tick_answers_with_the_partials_counters(world: World, client_for: Any) -> None:
    client: Client = client_for("provider_staff")
    item = catalogue.load().by_key()["step2.client"]
    url = reverse("item_toggle", args=[SLUG, item.key])
    html = client.post(url, {"done": "1"}, headers={"hx-request": "true"}).content.decode()
    state = OnboardingState(Onboarding.objects.get(pk=world.onboarding.pk))
    with translation.override("de"):
        announcement = _("“%(title)s” is marked as done.") % {"title": item.title}
        expected = as_the_partials_render(state.progress(2), state.overall(), announcement)
    assert html.endswith(expected)
    assert "Dieser Schritt: 1 von " in expected
