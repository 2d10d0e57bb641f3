"""The conformance run: does the Fachverfahren accept what it must and reject what it must?

The portal acts as a Sender against the onboarding's Zustellpunkt, sends a battery of
generated submissions (``battery``), each with one deliberate defect, reads each outcome
from the event log and judges it against FITKO's verification rules (``judge``,
docs/fitko-facts.md §12). ``runner.Conformance`` does this over HTTP, case by case and
resumable. Django-free, like ``fitconnect.checks``.
"""

from __future__ import annotations

from .battery import (
    CASE_ORDER,
    CASES,
    DEFECT_CASES,
    Built,
    CannotBuild,
    Declared,
    Expectation,
    build,
    kind_of,
    valid_case,
)
from .judge import PROBLEM_SLUGS, Judgement, Verdict
from .runner import Conformance, finish

__all__ = [
    "CASES",
    "CASE_ORDER",
    "DEFECT_CASES",
    "PROBLEM_SLUGS",
    "Built",
    "CannotBuild",
    "Conformance",
    "Declared",
    "Expectation",
    "Judgement",
    "Verdict",
    "build",
    "finish",
    "kind_of",
    "valid_case",
]
