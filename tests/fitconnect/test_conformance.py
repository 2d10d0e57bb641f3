"""The conformance run against the sandbox's simulated Fachverfahren, with and without faults.

Each fault mode of the Fachverfahren must fail exactly the cases it affects, with a message
that names what the Fachverfahren did and what FITKO requires; ``silent`` gives "no answer",
never "failed".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from fitconnect import demo
from fitconnect.conformance import DEFECT_CASES, Conformance, valid_case
from fitconnect.messages import render
from fitconnect.sandbox import Sandbox
from tests.fitconnect.test_checks import CREDENTIALS, EXPECTED, faulty, target

VALID = valid_case(demo.SERVICES[0]["key"])  # the one Leistung the demo records
CASE_ORDER = (VALID, *DEFECT_CASES)
FACHVERFAHREN_CASES = (
    VALID,
    "data_hash",
    "attachment_hash",
    "unlisted_schema",
    "unlisted_metadata_version",
    "unsent_attachment",
    "foreign_key",
    "schema_invalid_data",
    "unparseable_data",
)
REJECT_CASES = FACHVERFAHREN_CASES[1:]
ZUSTELLDIENST_CASES = ("unuploaded_attachment", "unknown_destination")


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The messages are read in English, whatever language an earlier test left active."""
    with translation.override("en"):
        yield


def conformance(sandbox: Sandbox, fault: str | None = None) -> Conformance:
    where = faulty(sandbox, fault, "submission_base") if fault else target(sandbox.base)
    return Conformance(where, EXPECTED, CREDENTIALS, schemas=demo.SCHEMAS)


def run(sandbox: Sandbox, fault: str | None = None, timeout: float = 30) -> dict[str, Any]:
    states = conformance(sandbox, fault).run(answer_timeout=timeout, poll_interval=0.1)
    return {state["case"]: state for state in states}


def verdicts(results: dict[str, Any]) -> dict[str, str]:
    return {case: results[case]["verdict"] for case in CASE_ORDER}


def test_the_demo_onboarding_passes_every_case_against_the_sandbox(sandbox: Sandbox) -> None:
    results = run(sandbox)
    assert verdicts(results) == dict.fromkeys(CASE_ORDER, "passed"), {
        case: render(r["message"]) for case, r in results.items()
    }
    assert {results[c]["party"] for c in ZUSTELLDIENST_CASES} == {"zustelldienst"}
    assert {results[c]["party"] for c in FACHVERFAHREN_CASES} == {"fachverfahren"}
    # The slugs are not confirmed on FITKO's page: the run says it did not compare them.
    assert "was not compared" in render(results["data_hash"]["message"])
    assert results["attachment_hash"]["problems"][0]["instance"].startswith("attachment:")


@pytest.mark.parametrize(
    ("fault", "failing", "words"),
    [
        ("lax-hash", ("data_hash", "attachment_hash"), "accepted a submission with this defect"),
        (
            "lax-schema",
            ("unlisted_schema", "schema_invalid_data", "unparseable_data"),
            "accepted a submission with this defect",
        ),
        ("wrong-problem-type", REJECT_CASES, "requires one of its problem types"),
    ],
)
def test_each_fault_mode_fails_exactly_the_affected_cases(
    sandbox: Sandbox, fault: str, failing: tuple[str, ...], words: str
) -> None:
    results = run(sandbox, fault)
    expected = {case: "failed" if case in failing else "passed" for case in CASE_ORDER}
    assert verdicts(results) == expected
    for case in failing:
        message = render(results[case]["message"])
        assert words in message
        assert "FITKO requires" in message


def test_a_lax_hash_failure_names_the_defect_and_fitkos_rule(sandbox: Sandbox) -> None:
    message = render(run(sandbox, "lax-hash")["data_hash"]["message"])
    assert message == (
        "The Fachverfahren accepted a submission with this defect: wrong hash of the data. "
        "FITKO requires reject-submission."
    )


def test_a_silent_fachverfahren_gives_no_answer_not_a_failure(sandbox: Sandbox) -> None:
    results = run(sandbox, "silent", timeout=1.0)
    assert {results[c]["verdict"] for c in FACHVERFAHREN_CASES} == {"no_answer"}
    assert {results[c]["verdict"] for c in ZUSTELLDIENST_CASES} == {"passed"}
    assert "not a failure" in render(results[VALID]["message"])


def test_a_sent_case_is_judged_later_from_its_stored_state(sandbox: Sandbox) -> None:
    # The worker stores the state of a sent case and polls it again later (resumable).
    sender = conformance(sandbox)
    state = sender.send("data_hash")
    assert state["status"] == "sent"
    later = conformance(sandbox)  # a new run object, as after a restart of the worker
    for _ in range(300):
        state = later.poll(state)
        if state["status"] != "sent":
            break
        sandbox_wait()
    assert state["verdict"] == "passed"


def sandbox_wait() -> None:
    import time

    time.sleep(0.05)
