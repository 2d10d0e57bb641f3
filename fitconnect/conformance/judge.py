"""The judge: compares the Fachverfahren's answer in the event log with what FITKO requires.

FITKO (https://docs.fitko.de/fit-connect/docs/receiving/verification/, docs/fitko-facts.md
§12): after checking a submission the Fachverfahren sends ``accept-submission`` (with the
``authenticationTags`` of metadata, data and each attachment) or ``reject-submission`` with
problems whose ``type`` and ``instance`` it takes over exactly. The problem types start with
FITKO's published prefix; the individual slugs could not be confirmed from FITKO's page (read
2026-12-06), so ``PROBLEM_SLUGS`` marks them unconfirmed and the judge compares the prefix
and the instance, and says that the slug was not compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from fitconnect.constants import EVENT_PROBLEMS
from fitconnect.i18n import gettext_noop
from fitconnect.messages import Text, define

from .battery import Expectation, kind_of

Verdict = Literal["passed", "failed", "no_answer", "skipped", "error"]

# Slug -> whether it is confirmed from FITKO's verification page (docs/fitko-facts.md §12).
PROBLEM_SLUGS: dict[str, bool] = {
    "hash-mismatch": False,
    "unsupported-schema": False,
    "unsupported-metadata-schema": False,
    "missing-attachment": False,
    "encryption-issue": False,
    "schema-violation": False,
    "syntax-violation": False,
}

EXPECT_ACCEPT = define(
    "conformance.expect_accept",
    gettext_noop("accept-submission with the authentication tags of what was sent"),
)
EXPECT_REJECT = define(
    "conformance.expect_reject",
    gettext_noop("reject-submission with a problem of FITKO's problem types"),
)
EXPECT_REJECT_AT = define(
    "conformance.expect_reject_at",
    gettext_noop(
        "reject-submission with a problem of FITKO's problem types for the instance %(instance)s"
    ),
)
EXPECT_REFUSED = define(
    "conformance.expect_refused",
    gettext_noop("The delivery service refuses the submission (HTTP %(status)s)."),
)
GOT_ACCEPT = define("conformance.got_accept", gettext_noop("accept-submission"))
GOT_REJECT = define("conformance.got_reject", gettext_noop("reject-submission: %(problems)s"))
GOT_NOTHING = define("conformance.got_nothing", gettext_noop("no answer yet"))
GOT_STATUS = define("conformance.got_status", gettext_noop("HTTP %(status)s"))
GOT_SUBMITTED = define(
    "conformance.got_submitted", gettext_noop("accepted by the delivery service (HTTP 2xx)")
)
PROBLEM = define("conformance.problem", gettext_noop("%(type)s for %(instance)s"))

PASSED_ACCEPT = define(
    "conformance.passed_accept",
    gettext_noop("Accepted, with the authentication tags of what was sent."),
)
PASSED_REJECT = define(
    "conformance.passed_reject",
    gettext_noop("Rejected with a problem of FITKO's problem types, as required."),
)
PASSED_REJECT_UNCOMPARED = define(
    "conformance.passed_reject_uncompared",
    gettext_noop(
        "Rejected with a problem of FITKO's problem types, as required. The exact problem "
        "type (%(slug)s) was not compared: it could not be confirmed on FITKO's page."
    ),
)
PASSED_REFUSED = define(
    "conformance.passed_refused",
    gettext_noop("The delivery service refused the submission (HTTP %(status)s), as required."),
)
FAILED_REJECTED_VALID = define(
    "conformance.failed_rejected_valid",
    gettext_noop(
        "The Fachverfahren rejected a valid submission (%(problems)s). FITKO requires "
        "accept-submission for it."
    ),
)
FAILED_TAGS = define(
    "conformance.failed_tags",
    gettext_noop(
        "The Fachverfahren accepted, but its authentication tags do not match what was sent "
        "(%(parts)s). FITKO requires the tags of metadata, data and every attachment."
    ),
)
FAILED_ACCEPTED = define(
    "conformance.failed_accepted",
    gettext_noop(
        "The Fachverfahren accepted a submission with this defect: %(defect)s. FITKO requires "
        "reject-submission."
    ),
)
FAILED_INSTANCE = define(
    "conformance.failed_instance",
    gettext_noop(
        "The Fachverfahren rejected, but named %(got)s. FITKO requires a problem for the "
        "instance %(instance)s, taken over exactly."
    ),
)
FAILED_TYPE = define(
    "conformance.failed_type",
    gettext_noop(
        "The Fachverfahren rejected with the problem type %(got)s. FITKO requires one of its "
        "problem types (%(prefix)s…), taken over exactly."
    ),
)
FAILED_SLUG = define(
    "conformance.failed_slug",
    gettext_noop(
        "The Fachverfahren rejected with the problem type %(got)s. FITKO requires %(expected)s."
    ),
)
FAILED_NOT_REFUSED = define(
    "conformance.failed_not_refused",
    gettext_noop(
        "The delivery service answered %(got)s instead of refusing with HTTP %(status)s. This "
        "is the delivery service's behaviour, not the Fachverfahren's."
    ),
)
NO_ANSWER = define(
    "conformance.no_answer",
    gettext_noop(
        "No answer within %(minutes)s minutes. This is not a failure: the Fachverfahren may "
        "fetch submissions only every few minutes; the result arrives when it answers."
    ),
)
NOTHING_AT_ALL = define("conformance.nothing", gettext_noop("no problem"))

DEFECTS = {
    "data_hash": define("conformance.defect.data_hash", gettext_noop("wrong hash of the data")),
    "attachment_hash": define(
        "conformance.defect.attachment_hash", gettext_noop("wrong hash of an attachment")
    ),
    "unlisted_schema": define(
        "conformance.defect.unlisted_schema",
        gettext_noop("a schema the destination does not list"),
    ),
    "unlisted_metadata_version": define(
        "conformance.defect.unlisted_metadata_version",
        gettext_noop("a metadata version the destination does not list"),
    ),
    "unsent_attachment": define(
        "conformance.defect.unsent_attachment",
        gettext_noop("the metadata name an attachment that was not sent"),
    ),
    "foreign_key": define(
        "conformance.defect.foreign_key",
        gettext_noop("encrypted with a key that is not the destination's"),
    ),
    "schema_invalid_data": define(
        "conformance.defect.schema_invalid_data",
        gettext_noop("data invalid against their schema"),
    ),
    "unparseable_data": define(
        "conformance.defect.unparseable_data", gettext_noop("data that are not JSON or XML")
    ),
    "unuploaded_attachment": define(
        "conformance.defect.unuploaded_attachment",
        gettext_noop("an announced attachment that was never uploaded"),
    ),
    "unknown_destination": define(
        "conformance.defect.unknown_destination", gettext_noop("a destination that does not exist")
    ),
}
VALID = define("conformance.defect.valid", gettext_noop("a valid submission"))
VALID_FOR = define(
    "conformance.defect.valid_for",
    gettext_noop("a valid submission for the Leistung %(service)s (%(key)s), schema %(schema)s"),
)
DEFECT_FOR = define(
    "conformance.defect.for_service", gettext_noop("%(defect)s (Leistung %(service)s, %(key)s)")
)


def sent_text(case: str, service: dict[str, Any] | None = None) -> Text:
    """Return what a case sends, in words; with ``service`` (its name, Leistungsschlüssel
    and schema in words) naming the Leistung it was sent for."""
    kind = kind_of(case)
    if kind in DEFECTS:
        if service:
            return DEFECT_FOR(defect=DEFECTS[kind](), service=service["name"], key=service["key"])
        return DEFECTS[kind]()
    if service:
        return VALID_FOR(service=service["name"], key=service["key"], schema=service["schema"])
    return VALID()


def expected_text(expectation: Expectation) -> Text:
    if expectation.outcome == "accept":
        return EXPECT_ACCEPT()
    if expectation.outcome == "refused":
        return EXPECT_REFUSED(status=expectation.status)
    if expectation.instance:
        return EXPECT_REJECT_AT(instance=expectation.instance)
    return EXPECT_REJECT()


@dataclass
class Judgement:
    verdict: Verdict
    message: Text
    received: Text
    type_compared: bool = False
    problems: list[dict[str, Any]] = field(default_factory=list)


def _problems(details: dict[str, Any]) -> list[dict[str, Any]]:
    problems = details.get("problems")
    return [p for p in problems if isinstance(p, dict)] if isinstance(problems, list) else []


def _problem_words(problems: list[dict[str, Any]]) -> Text | list[Text]:
    if not problems:
        return NOTHING_AT_ALL()
    return [
        PROBLEM(type=str(p.get("type", "")), instance=str(p.get("instance", ""))) for p in problems
    ]


def answer(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Return the first accept- or reject-submission of a submission's events, or None."""
    return next(
        (e for e in events if e.get("event") in ("accept-submission", "reject-submission")), None
    )


def judge_answer(
    case: str, expectation: Expectation, event: dict[str, Any], sent_tags: dict[str, Any]
) -> Judgement:
    """Judge the Fachverfahren's answer (``{"event": ..., "details": {...}}``) to a case."""
    details = event.get("details") if isinstance(event.get("details"), dict) else {}
    assert isinstance(details, dict)  # noqa: S101 - narrowed above
    problems = _problems(details)
    if event.get("event") == "accept-submission":
        received = GOT_ACCEPT()
        if expectation.outcome != "accept":
            return Judgement("failed", FAILED_ACCEPTED(defect=sent_text(case)), received)
        tags = details.get("authenticationTags")
        tags = tags if isinstance(tags, dict) else {}
        wrong = [part for part in ("metadata", "data") if tags.get(part) != sent_tags.get(part)]
        if (tags.get("attachments") or {}) != (sent_tags.get("attachments") or {}):
            wrong.append("attachments")
        if wrong:
            return Judgement("failed", FAILED_TAGS(parts=wrong), received)
        return Judgement("passed", PASSED_ACCEPT(), received)
    received = GOT_REJECT(problems=_problem_words(problems))
    if expectation.outcome == "accept":
        message = FAILED_REJECTED_VALID(problems=_problem_words(problems))
        return Judgement("failed", message, received, problems=problems)
    if expectation.instance:
        at = [p for p in problems if p.get("instance") == expectation.instance]
        if not at:
            named: list[str] | Text = [str(p.get("instance", "")) for p in problems]
            message = FAILED_INSTANCE(got=named or NOTHING_AT_ALL(), instance=expectation.instance)
            return Judgement("failed", message, received, problems=problems)
        problems_seen = at
    else:
        problems_seen = problems
    foreign = [p for p in problems_seen if not str(p.get("type", "")).startswith(EVENT_PROBLEMS)]
    if foreign or not problems_seen:
        shown: str | Text = str(foreign[0].get("type", "")) if foreign else NOTHING_AT_ALL()
        message = FAILED_TYPE(got=shown, prefix=EVENT_PROBLEMS)
        return Judgement("failed", message, received, problems=problems)
    slug = expectation.problem
    if slug and PROBLEM_SLUGS.get(slug):
        wanted = EVENT_PROBLEMS + slug
        if all(p.get("type") != wanted for p in problems_seen):
            message = FAILED_SLUG(got=str(problems_seen[0].get("type")), expected=wanted)
            return Judgement("failed", message, received, type_compared=True, problems=problems)
        return Judgement("passed", PASSED_REJECT(), received, True, problems)
    message = PASSED_REJECT_UNCOMPARED(slug=EVENT_PROBLEMS + slug) if slug else PASSED_REJECT()
    return Judgement("passed", message, received, problems=problems)


def judge_refusal(case: str, expectation: Expectation, status: int | None) -> Judgement:
    """Judge a case the Zustelldienst must stop, by the HTTP status it answered."""
    received = GOT_STATUS(status=status) if status else GOT_SUBMITTED()
    if status == expectation.status:
        return Judgement("passed", PASSED_REFUSED(status=status), received)
    message = FAILED_NOT_REFUSED(got=received, status=expectation.status)
    return Judgement("failed", message, received)


def no_answer(minutes: float) -> Judgement:
    return Judgement("no_answer", NO_ANSWER(minutes=round(minutes, 1)), GOT_NOTHING())
