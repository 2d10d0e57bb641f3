"""What a conformance run shows people: its cases as rows, its summary and verdict lines.

Below ``checklist.signoff_evidence`` (the sign-off's evidence names the newest run) and
``checklist.conformance`` (which runs them and offers these too).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from checklist.environments import environment_label
from checklist.models import ConformanceRun, Onboarding
from fitconnect.conformance import DEFECT_CASES, judge, kind_of
from fitconnect.messages import render

# The item a passed conformance run ticks (and a wrong answer reopens), per FITKO stage.
REJECT_ITEMS = {"test": "step3.reject", "reference": "step4.reject"}


def verdict_label(verdict: str) -> str:
    """A case's verdict in the reader's language."""
    labels = {
        "passed": _("passed"),
        "failed": _("failed"),
        "no_answer": _("no answer yet"),
        "skipped": _("not run"),
        "error": _("could not be sent"),
        "waiting": _("waiting for the answer"),
        "pending": _("not sent yet"),
    }
    return labels.get(verdict, verdict)


def party_label(party: str) -> str:
    return _("delivery service") if party == "zustelldienst" else _("Fachverfahren")


# Reading ------------------------------------------------------------------------------------


def latest_for(onboarding: Onboarding, environment_key: str) -> ConformanceRun | None:
    """The newest finished conformance run of the onboarding in the environment, or None."""
    return (
        onboarding.conformance_runs.filter(environment=environment_key)
        .exclude(finished_at=None)
        .select_related("started_by", "started_by_token__organisation")
        .first()
    )


def running_for(onboarding: Onboarding, environment_key: str) -> ConformanceRun | None:
    """The newest conformance run that has not finished, if it is newer than the last one."""
    newest = (
        onboarding.conformance_runs.filter(environment=environment_key)
        .select_related("started_by", "started_by_token__organisation")
        .first()
    )
    return newest if newest is not None and newest.finished_at is None else None


def case_order(run: ConformanceRun) -> list[str]:
    """The run's cases in the battery's order: the valid case of each Leistung (one row
    "not sent yet" before the run has planned them), then the defect cases."""
    valid = sorted(case for case in run.cases if kind_of(case) == "valid")
    return [*(valid or ["valid"]), *DEFECT_CASES]


def rows(run: ConformanceRun) -> list[dict[str, Any]]:
    """One row per case in the battery's order, in the reader's language."""
    found = []
    for case in case_order(run):
        state = run.cases.get(case)
        if state is None:
            verdict = "pending"
        elif state.get("status") == "sent":
            verdict = "waiting"
        else:
            verdict = str(state.get("verdict", ""))
        state = state or {}
        found.append(
            {
                "case": case,
                "party": party_label(str(state.get("party", ""))) if state else "",
                "sent": render(state.get("sent")) if "sent" in state else _sent_words(case),
                "expected": render(state.get("expected")),
                "received": render(state.get("received")),
                "message": render(state.get("message")),
                "verdict": verdict,
                "verdict_label": verdict_label(verdict),
                "type_compared": bool(state.get("type_compared")),
            }
        )
    return found


def _sent_words(case: str) -> str:
    return render(judge.sent_text(case))


def progress(run: ConformanceRun) -> dict[str, int]:
    """How many cases are done (answered, refused, given up) of how many."""
    done = sum(1 for s in run.cases.values() if s.get("status") not in (None, "sent"))
    total = len(case_order(run))
    return {"done": done, "total": total, "percent": 100 * done // total}


def summary_line(run: ConformanceRun) -> str:
    """The run in one sentence, in the reader's language."""
    when = timezone.localtime(run.started_at).strftime("%d.%m.%Y, %H:%M")
    line = _("Conformance run of %(when)s against %(env)s: %(outcome)s") % {
        "when": when,
        "env": environment_label(run.environment),
        "outcome": run.get_status_display(),
    }
    if run.rehearsal:
        line += " " + _("(rehearsal against a stand-in: it ticks no item)")
    return line


def verdict_lines(run: ConformanceRun) -> list[str]:
    """One line per case (what was sent, the verdict, why), for the sign-off and the PDF."""
    return [
        f"{row['sent']}: {row['verdict_label']} – {row['message']}"
        if row["message"]
        else f"{row['sent']}: {row['verdict_label']}"
        for row in rows(run)
    ]
