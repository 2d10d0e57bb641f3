"""The evidence a sign-off rests on, item by item, and the rules a declaration must meet.

For every item of the environment's step: proven by which connection check (when, against
which hosts, which API version, started by whom), ticked by hand by whom, when and why,
confirmed by hand (items people tick), derived from the recorded data, or open. One
summary line on top. Pages, the sign-off e-mail, the API, the Protokoll and the PDF show
the same lines.

FITKO's stages only: a sandbox run is a rehearsal and never counts. Declaring ready needs
the newest connection check against the stage's own environment to have passed, to be
newer than the last change of anything it checks and not older than the limit the site
operator sets for the environment (``FitConnectEnvironment.evidence_max_age_days``). Where
the portal cannot reach an environment, the operator may allow hand evidence for it
(``hand_evidence_allowed`` with a reason); the sign-off then says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from checklist import stage_rows
from checklist.audit_sentences import sentence
from checklist.conformance_words import latest_for, summary_line, verdict_lines
from checklist.evidence_counts import Basis, summary_of
from checklist.evidence_record import allowance_words
from checklist.models import (
    ConformanceRun,
    Environment,
    FitConnectEnvironment,
    Onboarding,
    VerificationRun,
)
from checklist.state import ItemView, OnboardingState
from checklist.step_reads import StepReads


def when(moment: datetime | None) -> str:
    """A moment as the record names it: 06.12.2026, 14:05 (local time)."""
    if moment is None:
        return "–"
    return dateformat.format(timezone.localtime(moment), "d.m.Y, H:i")


@dataclass(frozen=True)
class RunFacts:
    """What a clerk needs to know of a connection check to rely on it."""

    pk: int
    number: int
    started_at: datetime
    hosts: tuple[str, ...]
    api_version: str
    started_by: str
    status: str
    demo: bool = False

    @classmethod
    def of(cls, run: VerificationRun) -> RunFacts:
        starter = run.started_by or run.started_by_token
        return cls(
            pk=run.pk,
            number=run.pk,
            started_at=run.started_at,
            hosts=tuple(run.hosts or ()),
            api_version=run.api_version,
            started_by=str(starter) if starter else _("a former member"),
            status=run.status,
            demo=run.demo,
        )

    @property
    def passed(self) -> bool:
        return self.status in (VerificationRun.Outcome.OK, VerificationRun.Outcome.WARNING)

    @property
    def title(self) -> str:
        return _("connection check no. %(number)d of %(when)s") % {
            "number": self.number,
            "when": when(self.started_at),
        }

    @property
    def description(self) -> str:
        """The run in one sentence: when, against which hosts, which API, by whom."""
        version = (
            _("Submission API version %(number)s") % {"number": self.api_version[1:]}
            if self.api_version
            else _("Submission API version unknown")
        )
        text = _("%(run)s against %(hosts)s (%(version)s), started by %(who)s") % {
            "run": self.title[:1].upper() + self.title[1:],
            "hosts": ", ".join(self.hosts) or "–",
            "version": version,
            "who": self.started_by,
        }
        if self.demo:
            text += " " + _("(demo material: no real check was made)")
        return text


@dataclass(frozen=True)
class ConformanceFacts:
    """The newest conformance run against the stage: whether the Fachverfahren accepts what
    it must and rejects what it must, case by case."""

    pk: int
    started_at: datetime
    passed: bool
    summary: str
    lines: tuple[str, ...]

    @classmethod
    def of(cls, run: ConformanceRun) -> ConformanceFacts:
        return cls(
            pk=run.pk,
            started_at=run.started_at,
            passed=run.status == ConformanceRun.Outcome.PASSED,
            summary=summary_line(run),
            lines=tuple(verdict_lines(run)),
        )


@dataclass(frozen=True)
class ItemEvidence:
    key: str
    title: str
    basis: Basis
    check_item: bool  # a connection check proves it (else people or the data do)
    who: str = ""
    at: datetime | None = None
    reason: str = ""
    run: RunFacts | None = None
    conformance: ConformanceFacts | None = None

    @property
    def sentence(self) -> str:
        values = {"who": self.who or _("a former member"), "when": when(self.at)}
        if self.basis == Basis.RUN and self.run is not None:
            return _("Proven by %(run)s.") % {"run": self.run.description}
        if self.basis == Basis.CONFORMANCE and self.conformance is not None:
            return _(
                "Proven by the conformance run of %(when)s, started by %(who)s: every case passed."
            ) % {"when": when(self.conformance.started_at), "who": values["who"]}
        if self.basis == Basis.HAND:
            return _("Ticked by hand by %(who)s on %(when)s. Reason: %(reason)s") % {
                **values,
                "reason": self.reason,
            }
        if self.basis == Basis.HAND_UNEXPLAINED:
            return _("Ticked by hand by %(who)s on %(when)s, without a reason.") % values
        if self.basis == Basis.MANUAL:
            return _("Confirmed by hand by %(who)s on %(when)s.") % values
        if self.basis == Basis.DATA:
            return _("Follows from the recorded data.")
        return _("Open.")

    @property
    def line(self) -> str:
        return f"{self.title}: {self.sentence}"


@dataclass(frozen=True)
class Evidence:
    environment: Environment
    items: tuple[ItemEvidence, ...]
    newest_run: RunFacts | None
    run_refusal: str  # why the newest run does not carry a declaration; "" if it does
    changes: tuple[str, ...]  # what changed since the newest run, in sentences
    hand_allowed: bool
    hand_reason: str
    max_age_days: int
    conformance: ConformanceFacts | None = None

    @property
    def label(self) -> str:
        return str(self.environment.label)

    def counts(self) -> dict[str, int]:
        """How many items stand on which basis: check items by basis, others by basis."""
        found = {"checks": sum(1 for e in self.items if e.check_item)}
        for evidence in self.items:
            name = str(evidence.basis) if evidence.check_item else f"other_{evidence.basis}"
            found[name] = found.get(name, 0) + 1
        return found

    @property
    def summary(self) -> str:
        """One line: how many check items a run proves, how many hands, how many are open."""
        return summary_of(self.counts(), self.environment)

    @property
    def allowance(self) -> str:
        """The operator's allowance of hand evidence in plain words, "" without one."""
        if not self.hand_allowed:
            return ""
        return allowance_words(self.environment, self.hand_reason)

    @property
    def unexplained(self) -> list[ItemEvidence]:
        return [e for e in self.items if e.basis == Basis.HAND_UNEXPLAINED]

    @property
    def refusal(self) -> str:
        """Why readiness cannot be declared on this evidence now; "" when it can."""
        if not self.hand_allowed and self.run_refusal:
            return self.run_refusal
        if self.unexplained:
            return _(
                "These check items were ticked by hand without a reason: %(items)s. Please "
                "remove the tick and tick them again with a reason."
            ) % {"items": "; ".join(e.title for e in self.unexplained)}
        return ""

    @property
    def lines(self) -> list[str]:
        """The evidence as lines for the e-mail, the Protokoll and the PDF."""
        found = [self.summary]
        if self.allowance:
            found.append(self.allowance)
        found += [e.line for e in self.items]
        if self.conformance is not None:
            found += [self.conformance.summary, *self.conformance.lines]
        return found

    def as_data(self) -> dict[str, Any]:
        """The evidence for the API: codes for machines, sentences for people."""
        return {
            "summary": self.summary,
            "hand_evidence_allowed": self.hand_allowed,
            "hand_evidence_reason": self.hand_reason if self.hand_allowed else "",
            "declarable": not self.refusal,
            "refusal": self.refusal,
            "newest_run": (
                {
                    "id": self.newest_run.pk,
                    "started_at": self.newest_run.started_at.isoformat(),
                    "status": self.newest_run.status,
                    "hosts": list(self.newest_run.hosts),
                    "api_version": self.newest_run.api_version,
                    "demo": self.newest_run.demo,
                }
                if self.newest_run
                else None
            ),
            "conformance": (
                {
                    "id": self.conformance.pk,
                    "passed": self.conformance.passed,
                    "summary": self.conformance.summary,
                    "cases": list(self.conformance.lines),
                }
                if self.conformance
                else None
            ),
            "items": [
                {
                    "key": e.key,
                    "title": e.title,
                    "basis": str(e.basis),
                    "run": e.run.pk if e.run else None,
                    "by": e.who,
                    "at": e.at.isoformat() if e.at else None,
                    "reason": e.reason,
                    "text": e.sentence,
                }
                for e in self.items
            ],
        }


def changes_since(onboarding: Onboarding, environment: str, moment: datetime) -> list[str]:
    """Return, in sentences, what changed since ``moment`` that a check would see (its
    environment's record, secrets and hosts, the Leistungen, the metadata versions; read in
    written-out SQL, ``checklist.stage_rows.checked_changes``)."""
    events = stage_rows.checked_changes(onboarding, environment, moment, 50)
    return [sentence(event, brief=True) for event in events]


def _run_refusal(
    environment: Environment,
    row: FitConnectEnvironment | None,
    run: VerificationRun | None,
    changes: list[str],
    now: datetime,
) -> str:
    values: dict[str, object] = {"env": str(environment.label)}
    if row is None:
        return (
            _(
                "The site operator has not set up the %(env)s environment, so the portal cannot "
                "check it. Please ask the site operator."
            )
            % values
        )
    if run is None:
        return (
            _(
                "No connection check has run against %(env)s yet. Please use “Check the "
                "connection” on this step first."
            )
            % values
        )
    values["when"] = when(run.started_at)
    if run.status not in (VerificationRun.Outcome.OK, VerificationRun.Outcome.WARNING):
        return (
            _(
                "The newest connection check against %(env)s (%(when)s) failed. Please fix what "
                "it found and check the connection again."
            )
            % values
        )
    if run.started_at < now - timedelta(days=row.evidence_max_age_days):
        return _(
            "The newest connection check against %(env)s is from %(when)s, older than "
            "%(days)d days. Please check the connection again."
        ) % {**values, "days": row.evidence_max_age_days}
    if changes:
        return (
            _(
                "Since the connection check of %(when)s, values it checks have changed. Please "
                "check the connection again."
            )
            % values
        )
    return ""


def newest_run(onboarding: Onboarding, environment: str) -> VerificationRun | None:
    """The newest finished connection check against the stage's own environment."""
    return (
        VerificationRun.objects.filter(
            onboarding=onboarding, environment=environment, rehearsal=False
        )
        .exclude(status__in=(VerificationRun.Outcome.RUNNING, VerificationRun.Outcome.ABORTED))
        .select_related("started_by", "started_by_token__organisation")
        .order_by("-started_at", "-pk")
        .first()
    )


def _proving_runs(
    views: list[ItemView], newest: ConformanceFacts | None
) -> dict[int, ConformanceFacts]:
    """The passed conformance runs that ticked a done item (``ItemState.done_by_conformance``,
    which a tick by hand clears), by ID: the stored marker, not a comparison of times."""
    ids = {v.state.done_by_conformance_id for v in views if v.done} - {None}
    found = {newest.pk: newest} if newest is not None and newest.pk in ids else {}
    others = {pk for pk in ids if pk is not None and pk not in found}
    if others:
        for run in ConformanceRun.objects.filter(pk__in=others).select_related(
            "started_by", "started_by_token__organisation"
        ):
            found[run.pk] = ConformanceFacts.of(run)
    return {pk: facts for pk, facts in found.items() if facts.passed}


def evidence_for(
    state: OnboardingState,
    environment: Environment,
    now: datetime | None = None,
    reads: StepReads | None = None,
) -> Evidence:
    """Return the evidence of the environment's step as it stands (a full state).

    ``reads``: what the step page has read already (``checklist.step_reads``)."""
    now = now or timezone.now()
    onboarding = state.onboarding
    if reads is not None:
        row, newest = reads.row(environment), reads.newest_run(environment)
    else:
        row = FitConnectEnvironment.objects.filter(key=environment).first()
        newest = newest_run(onboarding, environment)
    changes = changes_since(onboarding, environment, newest.started_at) if newest else []
    views = [v for v in state.items(environment.step) if not v.item.kind.is_signoff]
    run_ids = {v.state.done_by_run_id for v in views if v.by_check and v.state.done_by_run_id}
    found = reads.runs_by_id(run_ids) if reads is not None else {}
    if run_ids - set(found):
        found.update(
            (run.pk, run)
            for run in VerificationRun.objects.filter(pk__in=run_ids - set(found)).select_related(
                "started_by", "started_by_token__organisation"
            )
        )
    runs = {pk: RunFacts.of(run) for pk, run in found.items()}
    conformance_run = (
        reads.conformance_finished.get(environment)
        if reads is not None
        else latest_for(onboarding, environment)
    )
    conformance = ConformanceFacts.of(conformance_run) if conformance_run else None
    proving = _proving_runs(views, conformance)
    items = []
    for view in views:
        kind = view.item.kind
        if not view.done:
            basis = Basis.OPEN
        elif view.by_check and view.state.done_by_run_id in runs:
            basis = Basis.RUN
        elif view.state.done_by_conformance_id in proving:
            basis = Basis.CONFORMANCE
        elif kind.automatic:
            basis = Basis.DATA
        elif kind.proven_by_run:
            basis = Basis.HAND if view.state.hand_reason.strip() else Basis.HAND_UNEXPLAINED
        else:
            basis = Basis.MANUAL
        items.append(
            ItemEvidence(
                key=view.item.key,
                title=str(view.item.title),
                basis=basis,
                check_item=kind.proven_by_run,
                who=view.done_by if view.done else "",
                at=view.done_at if view.done else None,
                reason=view.state.hand_reason if basis == Basis.HAND else "",
                run=runs.get(view.state.done_by_run_id or 0) if basis == Basis.RUN else None,
                conformance=(
                    proving.get(view.state.done_by_conformance_id or 0)
                    if basis == Basis.CONFORMANCE
                    else None
                ),
            )
        )
    return Evidence(
        environment=environment,
        items=tuple(items),
        newest_run=RunFacts.of(newest) if newest else None,
        run_refusal=_run_refusal(environment, row, newest, changes, now),
        changes=tuple(changes),
        hand_allowed=bool(row and row.hand_evidence_allowed),
        hand_reason=row.hand_evidence_reason if row else "",
        max_age_days=row.evidence_max_age_days if row else 30,
        conformance=conformance,
    )
