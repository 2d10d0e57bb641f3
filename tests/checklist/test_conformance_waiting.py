"""A conformance run stops waiting as soon as every answer is in the event log: the
environment's waiting time is an upper bound, not a fixed wait."""

from __future__ import annotations

from typing import Any

import pytest

from checklist import conformance
from checklist.models import ConformanceRun, FitConnectEnvironment
from fitconnect.conformance import DEFECT_CASES, valid_case
from tests.conftest import World

CASE_ORDER = (valid_case("99050012104000"), *DEFECT_CASES)


class AnswersOnTheSecondLook:
    """A runner whose Fachverfahren's answers are in the log at the second look."""

    def __init__(self) -> None:
        self.looks: dict[str, int] = {}

    def cases(self) -> tuple[str, ...]:
        return CASE_ORDER

    def send(self, case: str) -> dict[str, Any]:
        return {"case": case, "status": "sent", "submission_id": f"s-{case}"}

    def poll(self, state: dict[str, Any]) -> dict[str, Any]:
        self.looks[state["case"]] = self.looks.get(state["case"], 0) + 1
        if self.looks[state["case"]] < 2:
            return state
        return state | {"status": "done", "verdict": "passed"}

    def give_up(self, state: dict[str, Any], minutes: float) -> dict[str, Any]:
        raise AssertionError("gave up although every answer came")


def test_the_run_finishes_at_the_look_that_finds_the_last_answer(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = FitConnectEnvironment.objects.get(key="test")
    environment.conformance_timeout_s = 3600  # an hour: the run must not wait for it
    environment.save()
    runner = AnswersOnTheSecondLook()
    monkeypatch.setattr(conformance, "runner_for", lambda *args, **kwargs: runner)
    pauses: list[float] = []
    monkeypatch.setattr(conformance.time, "sleep", pauses.append)
    run = conformance.start(world.onboarding, environment, world.provider_staff)

    finished = conformance.execute(run.pk)

    assert finished is not None
    assert finished.status == ConformanceRun.Outcome.PASSED
    assert len(pauses) == 1  # one pause between the first and the second look, no more
    assert runner.looks == dict.fromkeys(CASE_ORDER, 2)
