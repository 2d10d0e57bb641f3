"""Errors as ``application/problem+json`` (RFC 9457), titled in German and in English.

Every problem carries ``title_de`` and ``title_en``; ``title`` and ``detail`` are in the
language the client prefers in ``Accept-Language`` (German unless English ranks higher).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_noop
from ninja import Schema
from pydantic import Field

CONTENT_TYPE = "application/problem+json"
LANGUAGES = ("de", "en")


@dataclass(frozen=True)
class ProblemType:
    code: str
    status: int
    title_de: str
    title_en: str


PROBLEM_TYPES = {
    problem.code: problem
    for problem in (
        ProblemType(
            "unauthorized",
            401,
            "Nicht angemeldet: Das API-Token fehlt, ist ungültig, abgelaufen oder widerrufen",
            "Not authenticated: the API token is missing, invalid, expired or revoked",
        ),
        ProblemType(
            "missing-scope",
            403,
            "Dem API-Token fehlt die nötige Berechtigung",
            "The API token lacks the required permission",
        ),
        ProblemType(
            "forbidden",
            403,
            "Das erledigt die andere Seite",
            "This is done by the other side",
        ),
        ProblemType("not-found", 404, "Nicht gefunden", "Not found"),
        ProblemType(
            "method-not-allowed",
            405,
            "Diese Methode ist hier nicht erlaubt",
            "This method is not allowed here",
        ),
        ProblemType(
            "refused",
            409,
            "Nach den Regeln der Checkliste nicht möglich",
            "Not possible under the checklist's rules",
        ),
        ProblemType(
            "idempotency-in-progress",
            409,
            "Eine Anfrage mit diesem Idempotency-Key läuft noch",
            "A request with this Idempotency-Key is still in progress",
        ),
        ProblemType("bad-request", 400, "Die Anfrage ist fehlerhaft", "The request is malformed"),
        ProblemType(
            "invalid-idempotency-key",
            400,
            "Der Idempotency-Key ist ungültig",
            "The Idempotency-Key is invalid",
        ),
        ProblemType("validation", 422, "Ungültige Eingabe", "Invalid input"),
        ProblemType(
            "idempotency-key-reused",
            422,
            "Der Idempotency-Key gehört zu einer anderen Anfrage",
            "The Idempotency-Key belongs to a different request",
        ),
        ProblemType("rate-limited", 429, "Zu viele Anfragen", "Too many requests"),
        ProblemType(
            "server-error",
            500,
            "Interner Fehler im Anbindungsportal",
            "Internal error in the onboarding portal",
        ),
        ProblemType(
            "database-unavailable",
            503,
            "Die Datenbank ist kurz nicht erreichbar",
            "The database is briefly unavailable",
        ),
    )
}


class FieldError(Schema):
    pointer: str = Field(
        description=gettext_noop(
            "Where the error is: a JSON pointer into the body, or the parameter."
        )
    )
    detail: str


class Problem(Schema):
    """An error (RFC 9457); ``type`` links to its description in the API documentation."""

    type: str
    title: str = Field(
        description=gettext_noop(
            "In the language preferred by Accept-Language (German by default)."
        )
    )
    status: int
    detail: str = ""
    instance: str = ""
    title_de: str
    title_en: str
    errors: list[FieldError] | None = Field(
        default=None, description=gettext_noop("For status 422: every invalid field.")
    )
    request_id: str = Field(
        default="", description=gettext_noop("Quote it when you contact the operator.")
    )


def preferred_language(request: HttpRequest) -> str:
    """Return ``en`` when Accept-Language ranks English above German, else ``de``."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(request.headers.get("Accept-Language", "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        language = tag.strip().lower().split("-")[0]
        name, _eq, value = params.strip().partition("=")
        try:
            q = float(value) if name.strip() == "q" else 1.0
        except ValueError:
            q = 0.0
        if language in LANGUAGES and q > 0:
            # On equal weight the earlier entry wins, as clients list them by preference.
            ranked.append((q, -position, language))
    return max(ranked)[2] if ranked else "de"


def type_uri(request: HttpRequest, code: str) -> str:
    return request.build_absolute_uri(f"{reverse('api:openapi-view')}#problem-{code}")


def problem(
    request: HttpRequest,
    code: str,
    detail: str = "",
    *,
    errors: list[dict[str, str]] | None = None,
    retry_after: float | None = None,
) -> HttpResponse:
    """Return the problem response of the given type."""
    kind = PROBLEM_TYPES[code]
    body: dict[str, Any] = {
        "type": type_uri(request, code),
        "title": kind.title_en if preferred_language(request) == "en" else kind.title_de,
        "status": kind.status,
        "detail": detail,
        "instance": request.path,
        "title_de": kind.title_de,
        "title_en": kind.title_en,
        "request_id": request.META.get("REQUEST_ID", ""),
    }
    if errors is not None:
        body["errors"] = errors
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=kind.status, content_type=CONTENT_TYPE
    )
    if code == "unauthorized":
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    if retry_after is not None:
        response["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response
