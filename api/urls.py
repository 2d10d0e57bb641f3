"""``/api/v1/``: the operations, ``openapi.json``, the documentation page, problems for the rest."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt

from api.calls import install_problem_handlers
from api.docs import DocsPage
from api.endpoints import router
from api.openapi import DESCRIPTION, PortalApi
from api.problems import CONTENT_TYPE, problem

api = PortalApi(
    title="FIT-Connect Anbindungsportal API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs=DocsPage(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_problem_handlers(api)
api.add_router_with_scopes(router)

View = Callable[..., HttpResponseBase]


def _problems_for_plain_errors(view: View) -> View:
    """Answer 404 and 405 outside the operations as problems too."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return problem(request, "not-found")
        if response.status_code == 405 and response.get("Content-Type") != CONTENT_TYPE:
            allowed = response.get("Allow", "")
            response = problem(request, "method-not-allowed")
            response["Allow"] = allowed
        return response

    return wrapper


def root(request: HttpRequest) -> HttpResponse:
    return redirect("api:openapi-view")


@csrf_exempt  # a POST or PUT to no operation is "not found", not a form that expired
def unknown(request: HttpRequest, rest: str) -> HttpResponse:
    return problem(request, "not-found")


def _patterns() -> list[URLPattern | URLResolver]:
    patterns, _app_name, _namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            if pattern.name == "api-root":
                pattern.callback = root
            else:
                pattern.callback = _problems_for_plain_errors(pattern.callback)
    # Any rest, a newline (which "." does not match) too: a problem, never an HTML page.
    return [*patterns, re_path(r"^(?P<rest>[\s\S]*)\Z", unknown, name="unknown")]


app_name = "api"
urlpatterns = _patterns()
