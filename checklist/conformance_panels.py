"""What the "Konformität prüfen" section of steps 3 and 4 shows: its panels and a run's
progress, for the step page, the PDF and the section's own views (``conformance_views``).

Kept apart from the views so that building a step page (``presentation``, which the PDF
export uses too) needs no views module, nor the worker's tasks they start.
"""

from __future__ import annotations

from typing import Any

from checklist import conformance
from checklist.access import Participation
from checklist.environments import environment_label
from checklist.models import ConformanceRun, FitConnectEnvironment


def may_run(environment: FitConnectEnvironment) -> bool:
    """Conformance runs send test submissions: never in production."""
    return environment.test_submission_allowed and not environment.is_production


def run_context(
    participation: Participation, run: ConformanceRun, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    """What the progress box and the run's page show (``labels``: as ``environment_label``)."""
    return {
        "onboarding": participation.onboarding,
        "participation": participation,
        "run": run,
        "rows": conformance.rows(run),
        "progress": conformance.progress(run),
        "poll": run.finished_at is None,
        "environment_label": environment_label(run.environment, labels),
    }


def panels(
    participation: Participation,
    environments: list[tuple[FitConnectEnvironment, Any]],
    newest: dict[str, ConformanceRun] | None = None,
    labels: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The conformance panels of the step's environments (given with their records; never
    production), each with its running run or else its newest one, in one query (none with
    ``newest``, each environment's newest run by key, read already; ``labels``: the
    environments' names by key, where the caller has them)."""
    shown_envs = [(env, record) for env, record in environments if may_run(env)]
    if not shown_envs:
        return []
    keys = {env.key for env, _record in shown_envs}
    shown: dict[str, ConformanceRun] = {}
    if newest is not None:
        shown = {key: run for key, run in newest.items() if key in keys}
    else:
        runs = participation.onboarding.conformance_runs.filter(environment__in=keys)
        for run in runs.iterator(chunk_size=20):
            shown.setdefault(run.environment, run)
            if len(shown) == len(keys):
                break
    return [
        {
            "environment": env,
            "ready": record is not None and bool(record.destination_id),
            "run": (
                run_context(participation, shown[env.key], labels) if env.key in shown else None
            ),
        }
        for env, record in shown_envs
    ]
