"""What the sections of a stage's step page (3, 4, 5) read, read once for all of them.

The sign-off's evidence, the "Verbindung prüfen" panels and the conformance panels each
asked the database for the environments, the onboarding's connection checks and its
conformance runs, some of them twice. A step page loads them here once and hands them on:
the FIT-Connect environments with the onboarding's records of them, and every record of
the onboarding, which the sign-off's snapshot reads as ``OnboardingState.records`` (one
query), every connection check of the onboarding, newest first (one query, as
``latest_runs`` always read them) and the newest conformance runs of the step's
environments (one query).
Nothing here is kept beyond the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain

from checklist import stage_rows
from checklist.models import (
    ConformanceRun,
    EnvironmentRecord,
    FitConnectEnvironment,
    Onboarding,
    VerificationRun,
)

# A run of these has not reached a verdict: never the evidence of a sign-off.
_NO_VERDICT = (VerificationRun.Outcome.RUNNING, VerificationRun.Outcome.ABORTED)
# Conformance runs read at first; the rest only when these lack a finished one somewhere.
_FIRST_RUNS = 20


@dataclass
class StepReads:
    onboarding: Onboarding
    step: int
    environments: list[tuple[FitConnectEnvironment, EnvironmentRecord | None]]
    # Every record of the onboarding by environment (``OnboardingState.records``).
    records: dict[str, EnvironmentRecord]
    # Every connection check of the onboarding, newest first (its secrets not loaded).
    runs: list[VerificationRun]
    # The newest conformance run (finished or not) and the newest finished one, by the
    # environment's key, for the step's environments and its stage.
    conformance_newest: dict[str, ConformanceRun] = field(default_factory=dict)
    conformance_finished: dict[str, ConformanceRun] = field(default_factory=dict)

    @property
    def rows(self) -> dict[str, FitConnectEnvironment]:
        return {env.key: env for env, _record in self.environments}

    def row(self, key: str) -> FitConnectEnvironment | None:
        return self.rows.get(key)

    def api_version(self, key: str) -> str:
        """What ``OnboardingState.snapshot`` freezes of the environment's row ("" without)."""
        row = self.row(key)
        return row.api_version if row is not None else ""

    def newest_run(self, environment: str) -> VerificationRun | None:
        """As ``signoff_evidence.newest_run``: the newest check of the stage with a verdict."""
        return next(
            (
                run
                for run in self.runs
                if run.environment == environment
                and not run.rehearsal
                and run.status not in _NO_VERDICT
            ),
            None,
        )

    def runs_by_id(self, ids: set[int]) -> dict[int, VerificationRun]:
        return {run.pk: run for run in self.runs if run.pk in ids}


def load(onboarding: Onboarding, step: int, stage: str) -> StepReads:
    """Read what the step's sections share (``stage``: the step's environment's key)."""
    environments, records = stage_rows.with_all_records(onboarding)
    # Written out (``checklist.stage_rows``): the ORM's building of these reads cost more
    # than the database's answering them.
    runs = stage_rows.runs(VerificationRun, onboarding)
    reads = StepReads(onboarding, step, environments, records, runs)
    keys = {env.key for env, _record in environments if env.step == step} | {stage}
    # Newest first: most often the newest run of each environment has finished and is among
    # the first few; only else the older ones are read, to each one's newest finished run.
    first = stage_rows.runs(ConformanceRun, onboarding, sorted(keys), _FIRST_RUNS)
    rest = (
        onboarding.conformance_runs.filter(environment__in=keys).select_related(
            "started_by", "started_by_token__organisation"
        )[_FIRST_RUNS:]
        if len(first) == _FIRST_RUNS
        else []
    )
    for run in chain(first, rest):  # the rest is read only if the loop gets there
        reads.conformance_newest.setdefault(run.environment, run)
        if run.finished_at is not None:
            reads.conformance_finished.setdefault(run.environment, run)
        if len(reads.conformance_finished) == len(keys):
            break
    return reads
