"""The words of the API documentation: each operation's summary and description in whole
sentences, a human name for each data structure, and an example request body.

Written in English and marked for translation: the OpenAPI document carries the English
texts (``api.openapi``), the page at ``/api/v1/docs`` shows them in the reader's language.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# operationId: (summary, description)
OPERATIONS: dict[str, tuple[str, str]] = {
    "listOnboardings": (
        gettext_noop("List onboardings"),
        gettext_noop(
            "Lists the onboardings the token's organisation takes part in, as authority or as "
            "IT service provider. Needs the permission read."
        ),
    ),
    "getOnboarding": (
        gettext_noop("Read an onboarding"),
        gettext_noop(
            "Returns the onboarding's state: progress per step, the sign-offs and what should "
            "happen next. Needs the permission read."
        ),
    ),
    "listItems": (
        gettext_noop("List checklist items"),
        gettext_noop(
            "Lists the items this onboarding shows, in the order of the checklist. Needs the "
            "permission read."
        ),
    ),
    "getItem": (
        gettext_noop("Read a checklist item"),
        gettext_noop(
            "Returns one item with its tick, its note and the number of its comments. Needs "
            "the permission read."
        ),
    ),
    "setItemDone": (
        gettext_noop("Tick or untick an item"),
        gettext_noop(
            "Ticks an item (done: true) or opens it again (done: false), with the same rules "
            "as in the portal. Only the responsible side ticks a step's items (otherwise 403); "
            "items of a locked step and items that tick themselves from data or a sign-off "
            "answer 409. A change to the items of a signed-off environment makes that "
            "sign-off invalid, as in the portal. Needs the permission items:write."
        ),
    ),
    "setItemNote": (
        gettext_noop("Set an item's note"),
        gettext_noop(
            "Replaces the item's note, for example with evidence from the pipeline; an empty "
            "note removes it. Needs the permission items:write."
        ),
    ),
    "listComments": (
        gettext_noop("List an item's comments"),
        gettext_noop("Lists the item's comments, the oldest first. Needs the permission read."),
    ),
    "addComment": (
        gettext_noop("Comment on an item"),
        gettext_noop(
            "Adds a comment to an item; both sides may comment on every item. A repeated "
            "request with the same Idempotency-Key changes nothing. Needs the permission "
            "items:write."
        ),
    ),
    "listEnvironments": (
        gettext_noop("List FIT-Connect environments"),
        gettext_noop(
            "Lists the environments the connection checks run against: FITKO's and stand-ins "
            "such as a sandbox, in the portal's order. Needs the permission read."
        ),
    ),
    "startRun": (
        gettext_noop("Start the connection checks"),
        gettext_noop(
            "Runs every check of an environment in the background, like “Verbindung prüfen” "
            "in the portal. The answer 202 comes at once, with the run and its address in "
            "the Location header; ask for the run until its status is no longer running. "
            "Passed checks tick their items, failed ones open them again. Only the IT service "
            "provider (or an authority that works in-house) runs checks. A repeated request "
            "with the same Idempotency-Key starts no second run. Needs the permission "
            "checks:run."
        ),
    ),
    "listRuns": (
        gettext_noop("List connection check runs"),
        gettext_noop(
            "Lists the onboarding's connection check runs, the newest first. Needs the "
            "permission read."
        ),
    ),
    "getRun": (
        gettext_noop("Read a connection check run"),
        gettext_noop(
            "Returns a run: its status is running while the checks go on, then ok, warning "
            "or failed, with every result. Needs the permission read."
        ),
    ),
    "startConformanceRun": (
        gettext_noop("Start a conformance run"),
        gettext_noop(
            "Sends the Zustellpunkt a valid submission and submissions with one defect each, "
            "like “Konformität prüfen” in the portal, and judges the Fachverfahren's answers in "
            "the event log against FITKO's verification rules, in the background. The answer "
            "202 comes at once, with the run and its address in the Location header; ask for "
            "the run until its status is no longer running. It uses the Sender client stored "
            "for the environment in the portal and never runs in production. Every case passed "
            "against FITKO's test environment ticks the item on testing rejections; a wrong "
            "answer opens it again. Only the IT service provider (or an authority that works "
            "in-house) starts it. A repeated request with the same Idempotency-Key starts no "
            "second run. Needs the permission checks:run."
        ),
    ),
    "getConformanceRun": (
        gettext_noop("Read a conformance run"),
        gettext_noop(
            "Returns a conformance run: its status is running while cases wait for answers, "
            "then passed, failed, no_answer (a case got no answer in the environment's waiting "
            "time, which is no failure) or incomplete, with every case: what was sent, what "
            "FITKO requires, what came back and the verdict. Needs the permission read."
        ),
    ),
    "getRecordPdf": (
        gettext_noop("Download the checklist record (PDF)"),
        gettext_noop(
            "Returns the same PDF as “Checkliste als PDF” in the portal. An unchanged "
            "onboarding is answered at once (200); otherwise the PDF is being prepared and "
            "the answer is 202 with a short JSON body, Retry-After and Location: ask again at "
            "Location until the answer is 200, and treat anything else as a failure. Needs the "
            "permission pdf:read."
        ),
    ),
}

# Human names of the data structures (the OpenAPI document's schema names are class names).
SCHEMA_TITLES: dict[str, str] = {
    "PageParams": gettext_noop("Paging"),
    "ItemFilter": gettext_noop("Item filter"),
    "OrganisationRef": gettext_noop("Organisation"),
    "ProgressOut": gettext_noop("Progress"),
    "OnboardingSummary": gettext_noop("Onboarding (overview)"),
    "OnboardingDetail": gettext_noop("Onboarding"),
    "OnboardingPage": gettext_noop("Page of onboardings"),
    "StepOut": gettext_noop("Step"),
    "SignoffOut": gettext_noop("Sign-off"),
    "ItemOut": gettext_noop("Checklist item"),
    "ItemPage": gettext_noop("Page of checklist items"),
    "DoneIn": gettext_noop("Tick"),
    "NoteIn": gettext_noop("Note"),
    "CommentIn": gettext_noop("New comment"),
    "CommentOut": gettext_noop("Comment"),
    "CommentPage": gettext_noop("Page of comments"),
    "RunSecrets": gettext_noop("Secrets for one run"),
    "RunIn": gettext_noop("Start of a run"),
    "FixOut": gettext_noop("Suggested fix"),
    "CheckOut": gettext_noop("Check result"),
    "RunOut": gettext_noop("Connection check run"),
    "RunPage": gettext_noop("Page of connection check runs"),
    "ConformanceCaseOut": gettext_noop("Conformance case"),
    "ConformanceRunOut": gettext_noop("Conformance run"),
    "EnvironmentOut": gettext_noop("Environment"),
    "EnvironmentPage": gettext_noop("Page of environments"),
    "Problem": gettext_noop("Problem"),
    "FieldError": gettext_noop("Invalid field"),
}

# Field descriptions the OpenAPI document builds from code; keyed by schema and field.
FIELD_TEXTS: dict[tuple[str, str], str] = {
    ("ItemOut", "completion"): gettext_noop(
        "How the item becomes done: manual (ticked by people), check (ticked by a passed "
        "connection check, or by hand until a check has run), data (ticks itself from the "
        "recorded data) or signoff (done by the sign-off of its environment)."
    ),
}

# Descriptions the OpenAPI document takes from a class's docstring.
SCHEMA_DESCRIPTIONS: dict[str, str] = {
    "RunSecrets": gettext_noop(
        "Secrets for this run only: used, never stored (store them in the portal instead)."
    ),
}

STATUS_TEXTS: dict[str, str] = {
    "200": gettext_noop("Success."),
    "201": gettext_noop("Created."),
    "202": gettext_noop("Accepted; the work goes on in the background."),
    "400": gettext_noop("The request cannot be read."),
    "401": gettext_noop("No valid API token."),
    "403": gettext_noop("The token may not do this."),
    "404": gettext_noop("Not found, or not visible to the token's organisation."),
    "409": gettext_noop("Not possible in the onboarding's current state."),
    "422": gettext_noop("Invalid input; errors lists every field."),
    "429": gettext_noop("Too many requests; wait for Retry-After seconds."),
}

PARAMETER_PLACES = {"path": gettext_noop("in the path"), "query": gettext_noop("in the query")}


def example_body(schema_name: str) -> dict[str, Any] | None:
    """An example request body in the reader's language, or None for a body-less schema."""
    examples: dict[str, dict[str, Any]] = {
        "DoneIn": {"done": True},
        "NoteIn": {"note": _("Evidence: pipeline run 1234 passed the token test.")},
        "CommentIn": {"text": _("The Zustellpunkt is set up; please check the keys.")},
        "RunIn": {},
    }
    return examples.get(schema_name)
