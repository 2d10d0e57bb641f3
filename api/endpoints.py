"""The operations of ``/api/v1/``: onboardings, items, comments, connection checks, the PDF.

Each operation parses its input, asks ``checklist.access`` for the token's participation
(404 for outsiders, as in the portal), calls one service and answers. The rules are the
portal's own: ``checklist.services.tick_item`` and friends.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Query, Router
from ninja.decorators import decorate_view
from ninja.responses import Status

from api import presenters, response_cache
from api.auth import TokenAuth, onboarding_read_with_token
from api.calls import api_call
from api.pagination import paginate
from api.problems import Problem
from api.schemas import (
    CommentIn,
    CommentOut,
    CommentPage,
    ConformanceRunOut,
    DoneIn,
    EnvironmentPage,
    ItemFilter,
    ItemOut,
    ItemPage,
    NoteIn,
    OnboardingDetail,
    OnboardingPage,
    PageParams,
    RunIn,
    RunOut,
    RunPage,
)
from checklist import catalogue, export, lost_work, rules, services
from checklist.access import (
    Participation,
    get_onboarding_for_token,
    onboardings_of_organisation,
    token_participation,
)
from checklist.catalogue import Item
from checklist.environments import all_environments, environment_labels
from checklist.models import Comment, FitConnectEnvironment
from checklist.state import NotAllowed, OnboardingState
from checklist.tasks import begin_conformance, begin_run, request_pdf
from portal.models import ApiToken

router = Router()

READ, ITEMS_WRITE, CHECKS_RUN, PDF_READ = (scope.value for scope in ApiToken.Scope)
SLUG_EXAMPLE = "musterstadt-gewerbe"

ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 404: Problem, 422: Problem, 429: Problem}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 400: Problem, 409: Problem}


def _token(request: HttpRequest) -> ApiToken:
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    return token


def _participation(request: HttpRequest, slug: str, *, lock: bool = False) -> Participation:
    token = _token(request)
    read, onboarding = (False, None) if lock else onboarding_read_with_token(request, slug)
    if not read:
        participation = get_onboarding_for_token(token, slug, lock=lock)
    elif onboarding is None:
        raise Http404
    else:
        participation = token_participation(token, onboarding)
    services.ensure_catalogue(participation.onboarding, participation.actor)
    return participation


def _visible_item(participation: Participation, key: str) -> tuple[Item, OnboardingState]:
    item = catalogue.load().by_key().get(key)
    state = OnboardingState(participation.onboarding)
    if item is None or not state.visible(item):
        raise Http404
    return item, state


# Onboardings -------------------------------------------------------------------------------


@router.get(
    "/onboardings",
    auth=TokenAuth(READ),
    response={200: OnboardingPage, **ERRORS},
    operation_id="listOnboardings",
    summary="List onboardings",
    tags=["Onboardings"],
)
@decorate_view(api_call)
def list_onboardings(
    request: HttpRequest, response: HttpResponse, params: Query[PageParams]
) -> dict[str, Any]:
    """The onboardings the token's organisation takes part in, as authority or provider.

    Scope: read.
    """
    token = _token(request)
    onboardings = (
        onboardings_of_organisation(token.organisation)
        .select_related("authority", "provider")
        .only(*presenters.SUMMARY_COLUMNS)
        .order_by("name", "pk")
    )
    total, page = paginate(request, response, onboardings, params)
    rows = [
        presenters.onboarding_summary(token_participation(token, onboarding)) for onboarding in page
    ]
    return {"count": total, "items": rows}


@router.get(
    "/onboardings/{slug:slug}",
    auth=TokenAuth(READ),
    response={200: OnboardingDetail, **ERRORS},
    operation_id="getOnboarding",
    summary="Read an onboarding",
    tags=["Onboardings"],
)
@decorate_view(api_call)
def get_onboarding(request: HttpRequest, slug: str) -> dict[str, Any] | HttpResponse:
    """State, progress per step, sign-offs and the next action. Scope: read."""
    participation = _participation(request, slug)
    # A pipeline polls its onboarding: the answer is kept until anything in it changes.
    kept = response_cache.cached(request, participation, "detail")
    if kept is not None:
        return kept
    detail, until = presenters.onboarding_detail_until(participation)
    response_cache.keep_next(request, until)
    return detail


# Checklist items ---------------------------------------------------------------------------


@router.get(
    "/onboardings/{slug:slug}/items",
    auth=TokenAuth(READ),
    response={200: ItemPage, **ERRORS},
    operation_id="listItems",
    summary="List checklist items",
    tags=["Checklist items"],
)
@decorate_view(api_call)
def list_items(
    request: HttpRequest,
    response: HttpResponse,
    slug: str,
    params: Query[PageParams],
    filters: Query[ItemFilter],
) -> dict[str, Any]:
    """The items this onboarding shows, in the catalogue's order. Scope: read."""
    participation = _participation(request, slug)
    step = filters.step
    items = [i for i in catalogue.load().items if step is None or i.step == step]
    state = OnboardingState(participation.onboarding)
    rows = presenters.item_rows(participation, state, items)
    total, page = paginate(request, response, rows, params)
    return {"count": total, "items": page}


@router.get(
    "/onboardings/{slug:slug}/items/{key:key}",
    auth=TokenAuth(READ),
    response={200: ItemOut, **ERRORS},
    operation_id="getItem",
    summary="Read a checklist item",
    tags=["Checklist items"],
)
@decorate_view(api_call)
def get_item(request: HttpRequest, slug: str, key: str) -> dict[str, Any]:
    """One item with its tick, note and number of comments. Scope: read."""
    participation = _participation(request, slug)
    item, state = _visible_item(participation, key)
    return presenters.item_rows(participation, state, [item])[0]


@router.put(
    "/onboardings/{slug:slug}/items/{key:key}/done",
    auth=TokenAuth(ITEMS_WRITE),
    response={200: ItemOut, **WRITE_ERRORS},
    operation_id="setItemDone",
    summary="Tick or untick an item",
    tags=["Checklist items"],
)
@decorate_view(api_call)
def set_item_done(request: HttpRequest, slug: str, key: str, body: DoneIn) -> dict[str, Any]:
    """Tick (done: true) or open again (done: false), with the portal's rules.

    Only the responsible side ticks a step's items (403 otherwise); items of a locked step
    and items that tick themselves from data or a sign-off answer 409. A change to a
    signed-off environment's items makes that sign-off invalid, as in the portal.
    Scope: items:write.
    """
    item = catalogue.load().by_key().get(key)
    if item is None:
        raise Http404
    # The same route as the page's tick: access and the row lock in one query, one state.
    with transaction.atomic():
        participation = _participation(request, slug, lock=True)
        state = services.tick_item(participation, item, body.done, locked=True, reason=body.reason)
    return presenters.item_rows(participation, state, [item])[0]


@router.put(
    "/onboardings/{slug:slug}/items/{key:key}/note",
    auth=TokenAuth(ITEMS_WRITE),
    response={200: ItemOut, **WRITE_ERRORS},
    operation_id="setItemNote",
    summary="Set an item's note",
    tags=["Checklist items"],
)
@decorate_view(api_call)
def set_item_note(request: HttpRequest, slug: str, key: str, body: NoteIn) -> dict[str, Any]:
    """Replace the note, e.g. with evidence from the pipeline. Scope: items:write."""
    participation = _participation(request, slug)
    item, state = _visible_item(participation, key)
    state.states[item.key] = services.note_item(participation, item, body.note)
    return presenters.item_rows(participation, state, [item])[0]


@router.get(
    "/onboardings/{slug:slug}/items/{key:key}/comments",
    auth=TokenAuth(READ),
    response={200: CommentPage, **ERRORS},
    operation_id="listComments",
    summary="List an item's comments",
    tags=["Checklist items"],
)
@decorate_view(api_call)
def list_comments(
    request: HttpRequest, response: HttpResponse, slug: str, key: str, params: Query[PageParams]
) -> dict[str, Any]:
    """Oldest first. Scope: read."""
    participation = _participation(request, slug)
    item, _state = _visible_item(participation, key)
    queryset = (
        Comment.objects.filter(item__onboarding=participation.onboarding, item__key=item.key)
        .select_related("author", "author_token__organisation")
        .order_by("created_at", "pk")
    )
    total, page = paginate(request, response, queryset, params)
    return {"count": total, "items": [presenters.comment_row(c) for c in page]}


@router.post(
    "/onboardings/{slug:slug}/items/{key:key}/comments",
    auth=TokenAuth(ITEMS_WRITE),
    response={201: CommentOut, **WRITE_ERRORS},
    operation_id="addComment",
    summary="Comment on an item",
    tags=["Checklist items"],
)
@decorate_view(api_call)
def add_comment(request: HttpRequest, slug: str, key: str, body: CommentIn) -> Status[Any]:
    """Both sides may comment on every item. Honours Idempotency-Key. Scope: items:write."""
    participation = _participation(request, slug)
    item, _state = _visible_item(participation, key)
    comment = services.comment_item(participation, item, body.text)
    return Status(201, presenters.comment_row(comment))


# Connection checks -------------------------------------------------------------------------


def _run_url(slug: str, run_id: int) -> str:
    return reverse("api:getRun", kwargs={"slug": slug, "run_id": run_id})


@router.get(
    "/environments",
    auth=TokenAuth(READ),
    response={200: EnvironmentPage, **ERRORS},
    operation_id="listEnvironments",
    summary="List FIT-Connect environments",
    tags=["Connection checks"],
)
@decorate_view(api_call)
def list_environments(
    request: HttpRequest, response: HttpResponse, params: Query[PageParams]
) -> dict[str, Any]:
    """The environments connection checks run against (FITKO's and stand-ins such as a
    sandbox), in the portal's order. Scope: read.
    """
    rows = [presenters.environment_row(env) for env in all_environments()]
    total, page = paginate(request, response, rows, params)
    return {"count": total, "items": page}


@router.post(
    "/onboardings/{slug:slug}/environments/{key:environment}/runs",
    auth=TokenAuth(CHECKS_RUN),
    response={202: RunOut, **WRITE_ERRORS},
    operation_id="startRun",
    summary="Start the connection checks",
    tags=["Connection checks"],
)
@decorate_view(api_call)
def start_checks(
    request: HttpRequest, response: HttpResponse, slug: str, environment: str, body: RunIn
) -> Status[Any]:
    """Run every check of an environment (GET /environments) in the background
    ("Verbindung prüfen").

    Answers 202 at once with the run and its address in Location; poll it until status is
    no longer running. Passed checks tick their items, failed ones open them again.
    Only the IT service provider (or an authority that works in-house) runs checks.
    Honours Idempotency-Key. Scope: checks:run.
    """
    participation = _participation(request, slug)
    rules.enforce(rules.may_start_run(participation))
    target = FitConnectEnvironment.objects.filter(key=environment).first()
    if target is None:
        raise Http404
    provided = {k: v for k, v in (body.secrets.dict() if body.secrets else {}).items() if v}
    # The secrets of this run are kept encrypted with the run until it finishes, never stored.
    run = begin_run(
        participation.onboarding, target, participation.actor, provided=provided, store=False
    )
    response["Location"] = request.build_absolute_uri(_run_url(slug, run.pk))
    return Status(202, presenters.run_row(run))


@router.get(
    "/onboardings/{slug:slug}/runs",
    auth=TokenAuth(READ),
    response={200: RunPage, **ERRORS},
    operation_id="listRuns",
    summary="List connection check runs",
    tags=["Connection checks"],
)
@decorate_view(api_call)
def list_runs(
    request: HttpRequest, response: HttpResponse, slug: str, params: Query[PageParams]
) -> dict[str, Any]:
    """Newest first. Scope: read."""
    participation = _participation(request, slug)
    # Lost runs end as aborted here too, as on the single run (one query while none is lost).
    lost_work.settle_onboarding(participation.onboarding)
    runs = participation.onboarding.verification_runs.select_related(
        "started_by", "started_by_token__organisation"
    )
    total, page = paginate(request, response, runs, params)
    labels = environment_labels()
    return {"count": total, "items": [presenters.run_row(run, labels) for run in page]}


@router.get(
    "/onboardings/{slug:slug}/runs/{id:run_id}",
    auth=TokenAuth(READ),
    response={200: RunOut, **ERRORS},
    operation_id="getRun",
    url_name="getRun",
    summary="Read a connection check run",
    tags=["Connection checks"],
)
@decorate_view(api_call)
def get_run(request: HttpRequest, slug: str, run_id: int) -> dict[str, Any]:
    """Status running while checks go on; then ok, warning or failed, with every result.
    Scope: read.
    """
    participation = _participation(request, slug)
    run = (
        participation.onboarding.verification_runs.filter(pk=run_id)
        .select_related("started_by", "started_by_token__organisation")
        .first()
    )
    if run is None:
        raise Http404
    lost_work.settle_run(run)  # a run whose worker was lost ends as aborted
    return presenters.run_row(run)


# Conformance runs --------------------------------------------------------------------------


def _conformance_url(slug: str, run_id: int) -> str:
    return reverse("api:getConformanceRun", kwargs={"slug": slug, "run_id": run_id})


@router.post(
    "/onboardings/{slug:slug}/environments/{key:environment}/conformance-runs",
    auth=TokenAuth(CHECKS_RUN),
    response={202: ConformanceRunOut, **WRITE_ERRORS},
    operation_id="startConformanceRun",
    summary="Start a conformance run",
    tags=["Connection checks"],
)
@decorate_view(api_call)
def start_conformance(
    request: HttpRequest, response: HttpResponse, slug: str, environment: str
) -> Status[Any]:
    """Send the Zustellpunkt the conformance battery ("Konformität prüfen") in the background:
    a valid submission and one with each defect FITKO's verification rules name, judged by
    the Fachverfahren's answers in the event log.

    Answers 202 at once with the run and its address in Location; poll it until status is
    no longer running. Uses the Sender client stored for the environment in the portal.
    Never in production. Only the IT service provider (or an authority that works in-house)
    starts it. Honours Idempotency-Key. Scope: checks:run.
    """
    participation = _participation(request, slug)
    rules.enforce(rules.may_start_run(participation))
    target = FitConnectEnvironment.objects.filter(key=environment).first()
    if target is None:
        raise Http404
    if target.is_production or not target.test_submission_allowed:
        raise NotAllowed(_("In this environment the portal sends no test submissions."))
    record = participation.onboarding.environments.filter(environment=target.key).first()
    if record is None or not record.destination_id:
        raise NotAllowed(_("Please record the Zustellpunkt ID of this environment first."))
    run = begin_conformance(participation.onboarding, target, participation.actor)
    response["Location"] = request.build_absolute_uri(_conformance_url(slug, run.pk))
    return Status(202, presenters.conformance_run_row(run))


@router.get(
    "/onboardings/{slug:slug}/conformance-runs/{id:run_id}",
    auth=TokenAuth(READ),
    response={200: ConformanceRunOut, **ERRORS},
    operation_id="getConformanceRun",
    url_name="getConformanceRun",
    summary="Read a conformance run",
    tags=["Connection checks"],
)
@decorate_view(api_call)
def get_conformance_run(request: HttpRequest, slug: str, run_id: int) -> dict[str, Any]:
    """Status running while cases wait for answers; then passed, failed, no_answer or
    incomplete, with every case. Scope: read.
    """
    participation = _participation(request, slug)
    run = (
        participation.onboarding.conformance_runs.filter(pk=run_id)
        .select_related("started_by", "started_by_token__organisation")
        .first()
    )
    if run is None:
        raise Http404
    lost_work.settle_conformance(run)  # resumed, or aborted after a second loss
    return presenters.conformance_run_row(run)


# The record --------------------------------------------------------------------------------

# Seconds a client waits before it asks again for a PDF that is being rendered.
PDF_RETRY_AFTER = 2


@router.get(
    "/onboardings/{slug:slug}/record.pdf",
    auth=TokenAuth(PDF_READ),
    response={200: None, 202: None, **ERRORS},
    operation_id="getRecordPdf",
    summary="Download the checklist record (PDF)",
    tags=["Onboardings"],
    openapi_extra={
        "responses": {
            200: {
                "description": gettext_noop(
                    "The checklist and go-live record, PDF/UA-1, in German."
                ),
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            },
            202: {
                "description": gettext_noop(
                    "The PDF of the current content is being rendered: not a PDF yet. Ask "
                    "again at Location after Retry-After seconds, until the answer is 200; "
                    "treat anything else as a failure."
                ),
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["status", "detail", "retry_after"],
                            "properties": {
                                "status": {"type": "string", "enum": ["rendering"]},
                                "detail": {"type": "string"},
                                "retry_after": {"type": "integer"},
                            },
                        },
                        "example": {
                            "status": "rendering",
                            "detail": "The PDF is being created. Ask again at Location "
                            "after Retry-After seconds; it is ready when the answer is 200.",
                            "retry_after": 2,
                        },
                    }
                },
            },
        }
    },
)
@decorate_view(api_call)
def get_record_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The same PDF as the portal's "Checkliste als PDF". Scope: pdf:read.

    An unchanged onboarding is served from the cache at once; otherwise the worker renders it
    and the answer is 202 (a JSON body that says so, Retry-After and Location) until it is
    ready. Only a 200 carries the PDF: clients wait for it.
    """
    participation = _participation(request, slug)
    onboarding = participation.onboarding
    pdf_export = request_pdf(onboarding)
    lost_work.settle_export(pdf_export)  # rendered again if its worker was lost
    if not pdf_export.ready:
        waiting = JsonResponse(
            {
                "status": "rendering",
                "detail": _(
                    "The PDF is being created. Ask again at Location after Retry-After "
                    "seconds; it is ready when the answer is 200."
                ),
                "retry_after": PDF_RETRY_AFTER,
            },
            status=202,
        )
        waiting["Retry-After"] = str(PDF_RETRY_AFTER)
        waiting["Cache-Control"] = "no-store"
        waiting["Location"] = request.build_absolute_uri(request.path)
        return waiting
    response = HttpResponse(bytes(pdf_export.pdf or b""), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{export.filename(onboarding, timezone.now())}"'
    )
    response["Cache-Control"] = "no-store"
    return response
