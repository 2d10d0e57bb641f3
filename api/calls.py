"""What every API operation shares: the client's language, idempotency, errors as problems."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from api import response_cache
from api.auth import MissingScope, RateLimited
from api.idempotency import idempotent
from api.problems import preferred_language, problem
from checklist.state import NotAllowed, ReasonRequired
from portal.outage import RETRY_AFTER

logger = logging.getLogger(__name__)

Run = Callable[..., HttpResponseBase]


def api_call(run: Run) -> Run:
    """Answer in the client's language (Accept-Language); honour Idempotency-Key on POST."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        language = preferred_language(request)
        with translation.override(language):
            if request.method == "POST":
                response = idempotent(request, lambda: run(request, *args, **kwargs))
            else:
                response = run(request, *args, **kwargs)
                response_cache.store(request, response)
        response["Content-Language"] = language
        return response

    return wrapper


def _pointer(location: list[Any] | tuple[Any, ...]) -> str:
    """Return ninja's error location as a JSON pointer into the body, or the parameter name."""
    parts = [str(part) for part in location]
    if parts and parts[0] == "body":
        # Ninja nests the body under the parameter's name ("body").
        inner = parts[2:] if len(parts) > 1 and parts[1] == "body" else parts[1:]
        return "/" + "/".join(inner)
    return parts[-1] if parts else ""


def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"pointer": _pointer(error.get("loc", ())), "detail": str(error.get("msg", ""))}
        for error in exc.errors
    ]
    return problem(request, "validation", _("Correct the values named in errors."), errors=errors)


def install_problem_handlers(api: NinjaAPI) -> None:
    """Answer every error of the API as application/problem+json."""

    @api.exception_handler(AuthenticationError)
    def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(
            request,
            "unauthorized",
            _("Send Authorization: Bearer <token> with an active token of your organisation."),
        )

    @api.exception_handler(MissingScope)
    def missing_scope(request: HttpRequest, exc: MissingScope) -> HttpResponse:
        return problem(
            request,
            "missing-scope",
            _("This needs a token with the permission %(scope)s.") % {"scope": exc.scope},
        )

    @api.exception_handler(RateLimited)
    def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        return problem(
            request,
            "rate-limited",
            _("Wait as many seconds as Retry-After says, then try again."),
            retry_after=exc.retry_after,
        )

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        detail = str(exc) or _("The other side works on this step; you can read and comment.")
        return problem(request, "forbidden", detail)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(request, "not-found")

    @api.exception_handler(NotAllowed)
    def refused(request: HttpRequest, exc: NotAllowed) -> HttpResponse:
        if isinstance(exc, ReasonRequired):  # a missing value of the body: at its field
            errors = [{"pointer": "/reason", "detail": str(exc)}]
            return problem(request, "validation", str(exc), errors=errors)
        return problem(request, "refused", str(exc))

    @api.exception_handler(ValidationError)
    def validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return _validation(request, exc)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # Ninja raises 400 for a body that is not JSON.
        return problem(request, "bad-request", _("The body must be JSON."))

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A database restart or failover (portal.outage): nothing was done; try again.
        logger.warning("API request: database unavailable (%s)", type(exc).__name__)
        return problem(
            request,
            "database-unavailable",
            _("Nothing was saved. Try again after Retry-After seconds."),
            retry_after=RETRY_AFTER,
        )

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API request failed", exc_info=exc)
        return problem(
            request,
            "server-error",
            _("The error has been logged. Quote the request_id when you contact the operator."),
        )
