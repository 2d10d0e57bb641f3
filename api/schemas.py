"""What the API accepts and answers, as typed schemas; the OpenAPI document is built from them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.utils.translation import gettext_noop
from ninja import Schema
from pydantic import Field, StringConstraints

from checklist.kinds import KINDS

StepStatusName = Literal["not_started", "in_progress", "done", "locked"]
RunStatus = Literal["running", "ok", "warning", "failed", "aborted"]
CheckStatusName = Literal["ok", "warning", "failed", "skipped"]


class PageParams(Schema):
    page: int = Field(1, ge=1, le=100_000, description=gettext_noop("Page number, from 1."))
    per_page: int = Field(
        50, ge=1, le=100, description=gettext_noop("Entries per page, at most 100.")
    )


class ItemFilter(Schema):
    step: int | None = Field(None, ge=1, le=5, description=gettext_noop("Only this step's items."))


class OrganisationRef(Schema):
    slug: str
    name: str


class ProgressOut(Schema):
    done: int = Field(description=gettext_noop("Required items done."))
    total: int = Field(description=gettext_noop("Required items in all."))
    percent: int


class OnboardingSummary(Schema):
    slug: str = Field(description=gettext_noop("Short name; the onboarding's id in every URL."))
    name: str = Field(description=gettext_noop("The Fachverfahren."))
    authority: OrganisationRef
    provider: OrganisationRef | None = Field(
        description=gettext_noop("null while not decided or in-house.")
    )
    in_house: bool
    your_side: Literal["authority", "provider", "both"] = Field(
        description=gettext_noop(
            "The side the token's organisation takes (both: an authority in-house)."
        )
    )
    current_step: int | None = Field(
        description=gettext_noop("The first step not done; null when all are.")
    )
    progress: ProgressOut
    next_action: str = Field(
        description=gettext_noop("What should happen next and who does it, in words.")
    )


class StepOut(Schema):
    number: int
    title: str
    status: StepStatusName
    progress: ProgressOut
    your_side_works: bool = Field(
        description=gettext_noop("Whether the token's side ticks this step's items.")
    )


class EvidenceRunOut(Schema):
    id: int = Field(description=gettext_noop("The run's id (the runs endpoint answers it)."))
    started_at: datetime
    status: RunStatus
    hosts: list[str] = Field(description=gettext_noop("Every host the run called."))
    api_version: str = Field(
        description=gettext_noop("The Submission API version it spoke, e.g. v1; empty if unknown.")
    )
    demo: bool = Field(
        description=gettext_noop("Demo material of the demo data: no real check was made.")
    )


class EvidenceItemOut(Schema):
    key: str = Field(description=gettext_noop("The item's key, as in the items endpoint."))
    title: str
    basis: Literal["run", "hand", "hand_unexplained", "manual", "data", "open"] = Field(
        description=gettext_noop(
            "What the item stands on: run (proven by a connection check), hand (a check item "
            "ticked by hand with a reason), hand_unexplained (ticked by hand without one), "
            "manual (an item people tick), data (follows from the recorded data), open."
        )
    )
    run: int | None = Field(description=gettext_noop("The run that proved it (basis run)."))
    by: str = Field(description=gettext_noop("Who ticked it; empty while open."))
    at: datetime | None = Field(description=gettext_noop("When it was ticked."))
    reason: str = Field(description=gettext_noop("Why it was ticked by hand (basis hand)."))
    text: str = Field(description=gettext_noop("The evidence in one sentence, for people."))


class EvidenceConformanceOut(Schema):
    id: int = Field(description=gettext_noop("The conformance run (…/conformance-runs/{id})."))
    passed: bool = Field(description=gettext_noop("Whether every case passed."))
    summary: str = Field(description=gettext_noop("The run in one sentence, for people."))
    cases: list[str] = Field(
        description=gettext_noop("One line per case: what was sent, the verdict, why.")
    )


class EvidenceOut(Schema):
    summary: str = Field(
        description=gettext_noop(
            "One line: how many check items a connection check proves, how many were ticked "
            "by hand, how many are open."
        )
    )
    declarable: bool = Field(
        description=gettext_noop("Whether this evidence carries a declaration of readiness.")
    )
    refusal: str = Field(description=gettext_noop("Why it does not, in words; empty when it does."))
    hand_evidence_allowed: bool = Field(
        description=gettext_noop(
            "The site operator allows hand evidence for this environment (the portal cannot "
            "reach it)."
        )
    )
    hand_evidence_reason: str = Field(
        description=gettext_noop("The operator's reason for allowing it; empty otherwise.")
    )
    newest_run: EvidenceRunOut | None = Field(
        description=gettext_noop(
            "The newest finished connection check against the environment; null if none ran."
        )
    )
    items: list[EvidenceItemOut] = Field(
        description=gettext_noop("Every item of the environment's step, with its evidence.")
    )
    conformance: EvidenceConformanceOut | None = Field(
        default=None,
        description=gettext_noop(
            "The newest finished conformance run against the environment: whether the "
            "Fachverfahren accepts and rejects what it must; null if none ran."
        ),
    )


class SignoffOut(Schema):
    environment: Literal["test", "reference", "production"]
    state: Literal["none", "declared", "approved", "returned", "invalid"]
    declared_at: datetime | None
    decided_at: datetime | None
    snapshot_sha256: str = Field(
        description=gettext_noop("Of the approved snapshot; empty otherwise.")
    )
    evidence: EvidenceOut | None = Field(
        default=None,
        description=gettext_noop(
            "What the sign-off rests on. For a valid approval: the evidence recorded when it "
            "was approved (in the portal's language). For the stage now being signed off (the "
            "first one not approved): the evidence as it stands, as a declaration or approval "
            "would rest on it. null for the stages after it."
        ),
    )


class OnboardingDetail(OnboardingSummary):
    target_go_live: date | None
    steps: list[StepOut]
    signoffs: list[SignoffOut]


class OnboardingPage(Schema):
    count: int = Field(description=gettext_noop("Entries on all pages."))
    items: list[OnboardingSummary]


class ItemOut(Schema):
    key: str = Field(description=gettext_noop("The item's id, e.g. step2.client."))
    step: int
    title: str
    side: Literal["authority", "provider", "both"] = Field(
        description=gettext_noop("Who is responsible.")
    )
    completion: str = Field(
        description="How the item becomes done: "
        + "; ".join(f"{kind.name}: {kind.description}" for kind in KINDS.values())
        + ".",
        json_schema_extra={"enum": list(KINDS)},
    )
    required: bool
    done: bool
    done_by: str = Field(
        description=gettext_noop("A person, an API token or the connection check.")
    )
    done_at: datetime | None
    note: str
    comments: int = Field(description=gettext_noop("Number of comments."))
    may_tick: bool = Field(
        description=gettext_noop("Whether this token may tick or untick it now.")
    )
    may_edit_note: bool


class ItemPage(Schema):
    count: int
    items: list[ItemOut]


class DoneIn(Schema):
    done: bool = Field(description=gettext_noop("true ticks the item, false opens it again."))
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = Field(
        default="",
        description=gettext_noop(
            "Required when ticking an item a connection check proves (completion: check) by "
            "hand: why it is not proven by a check. Shown to the approver and in the PDF."
        ),
    )


NoteText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
CommentText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]


class NoteIn(Schema):
    note: NoteText = Field(
        description=gettext_noop("At most 2000 characters; empty removes the note.")
    )


class CommentIn(Schema):
    text: CommentText = Field(description=gettext_noop("1 to 2000 characters."))


class CommentOut(Schema):
    id: int
    author: str = Field(description=gettext_noop("A person or an API token."))
    created_at: datetime
    text: str


class CommentPage(Schema):
    count: int
    items: list[CommentOut]


Secret = Annotated[str, StringConstraints(max_length=500)]


class RunSecrets(Schema):
    """Secrets for this run only: used, never stored (store them in the portal instead)."""

    subscriber_secret: Secret = ""
    sender_id: Secret = ""
    sender_secret: Secret = ""
    callback_secret: Secret = ""


class RunIn(Schema):
    secrets: RunSecrets | None = Field(
        default=None,
        description=gettext_noop(
            "Without them the secrets stored for the environment in the portal are used."
        ),
    )


class FixOut(Schema):
    text: str
    url: str


class CheckOut(Schema):
    check: str
    title: str
    status: CheckStatusName
    message: str
    details: list[str]
    fixes: list[FixOut] = Field(
        description=gettext_noop("What to do, with a link to FITKO's documentation.")
    )
    evidence: dict[str, Any] = Field(
        description=gettext_noop("What was called and answered; never a secret.")
    )


class RunOut(Schema):
    id: int
    environment: str
    environment_label: str
    status: RunStatus = Field(
        description=gettext_noop(
            "running until every check has finished; aborted when the background process "
            "running it stopped (start a new run)."
        )
    )
    problem: str | None = Field(
        description=gettext_noop("Why the run ended without a result (aborted), else null.")
    )
    started_at: datetime
    finished_at: datetime | None
    started_by: str
    hosts: list[str] = Field(
        description=gettext_noop("Every host the run called: the evidence of where.")
    )
    rehearsal: bool = Field(
        description=gettext_noop(
            "A run against a stand-in such as the sandbox: it ticks no checklist item and "
            "never counts for a sign-off."
        )
    )
    results: list[CheckOut]


class RunPage(Schema):
    count: int
    items: list[RunOut]


class EnvironmentOut(Schema):
    key: str
    label: str
    stage: Literal["test", "reference", "production"]
    step: int = Field(description=gettext_noop("The step in which it is checked."))


class EnvironmentPage(Schema):
    count: int
    items: list[EnvironmentOut]


ConformanceStatus = Literal["running", "passed", "failed", "no_answer", "incomplete", "aborted"]
ConformanceVerdict = Literal[
    "passed", "failed", "no_answer", "skipped", "error", "waiting", "pending"
]


class ConformanceCaseOut(Schema):
    case: str = Field(
        description=gettext_noop(
            "The case's name in the battery, e.g. data_hash; a Leistung's valid submission is "
            "valid:<Leistungsschlüssel>."
        )
    )
    judged: str = Field(
        description=gettext_noop(
            "Whose behaviour the case judges: Fachverfahren or delivery service."
        )
    )
    sent: str
    expected: str
    received: str
    verdict: ConformanceVerdict = Field(
        description=gettext_noop(
            "no_answer: no answer within the environment's waiting time, not a failure."
        )
    )
    message: str
    type_compared: bool = Field(
        description=gettext_noop(
            "Whether FITKO's exact problem type was compared; where it could not be confirmed, "
            "acceptance or rejection and the instance were."
        )
    )


class ConformanceRunOut(Schema):
    id: int
    environment: str
    environment_label: str
    status: ConformanceStatus = Field(
        description=gettext_noop(
            "running until every case is answered or given up; aborted when the background "
            "process running it stopped twice (start a new run)."
        )
    )
    problem: str | None = Field(
        description=gettext_noop("Why the run ended without a result (aborted), else null.")
    )
    started_at: datetime
    finished_at: datetime | None
    started_by: str
    hosts: list[str]
    api_version: str
    rehearsal: bool = Field(
        description=gettext_noop(
            "A run against a stand-in such as the sandbox: it ticks no checklist item."
        )
    )
    changed_items: list[str]
    cases: list[ConformanceCaseOut]
