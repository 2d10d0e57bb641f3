"""The API object and its OpenAPI 3.1 document, generated from the typed operations.

Ninja writes the document; ``PortalApi`` adds what it cannot infer: problem responses as
``application/problem+json``, the headers (Link, Location, Retry-After), the scope each
operation needs, the links a client (and Schemathesis) can follow, and examples.
"""

from __future__ import annotations

import copy
from typing import Any

from django.utils import translation
from ninja import NinjaAPI, Router

from api.docs_texts import OPERATIONS, example_body
from api.problems import CONTENT_TYPE as PROBLEM_TYPE

DESCRIPTION = """\
The API of the FIT-Connect Anbindungsportal for IT service providers' and authorities'
pipelines: read onboardings, tick checklist items and write notes and comments, run the
connection checks, and fetch the checklist record as PDF.

Authenticate with `Authorization: Bearer <token>`: administrators of an organisation create
tokens on the organisation's page in the portal (shown once), operators with
`manage.py create_api_token`. A token sees only the onboardings its organisation takes part
in; everything else answers 404, as in the portal.

Errors are `application/problem+json` (RFC 9457) with `title_de` and `title_en`; `title`
and `detail` follow `Accept-Language` (German unless English ranks higher). POST honours
`Idempotency-Key` for 24 hours. Each token may make a limited number of requests per
minute (429 with `Retry-After`). Lists are paged (`page`, `per_page`) with `Link` headers.
"""

HEADER_DOCS: dict[str, dict[str, Any]] = {
    "Link": {
        "description": 'Pages: rel="first", "last", "prev" and "next" (RFC 8288).',
        "schema": {"type": "string"},
    },
    "X-Total-Count": {"description": "Entries on all pages.", "schema": {"type": "integer"}},
    "Location": {"description": "Where to poll the run.", "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}},
    "WWW-Authenticate": {"description": "Bearer.", "schema": {"type": "string"}},
}

LINKS: dict[str, dict[str, dict[str, Any]]] = {
    "startRun": {
        "202": {
            "GetRun": {
                "operationId": "getRun",
                "parameters": {"slug": "$request.path.slug", "run_id": "$response.body#/id"},
                "description": "Poll the run until its status is no longer running.",
            }
        }
    },
    "startConformanceRun": {
        "202": {
            "GetConformanceRun": {
                "operationId": "getConformanceRun",
                "parameters": {"slug": "$request.path.slug", "run_id": "$response.body#/id"},
                "description": "Poll the run until its status is no longer running.",
            }
        }
    },
    "addComment": {
        "201": {
            "ListComments": {
                "operationId": "listComments",
                "parameters": {"slug": "$request.path.slug", "key": "$request.path.key"},
            }
        }
    },
}

EXAMPLES = {
    "slug": "musterstadt-gewerbe",
    "key": "step2.client",
    "run_id": 1,
    "environment": "test",
}


def _scopes(router: Router) -> dict[str, str]:
    scopes = {}
    for path_view in router.path_operations.values():
        for operation in path_view.operations:
            for callback in operation.auth_callbacks:
                scope = getattr(callback, "scope", None)
                if scope and operation.operation_id:
                    scopes[operation.operation_id] = scope
    return scopes


class PortalApi(NinjaAPI):
    """NinjaAPI with the portal's additions to the generated OpenAPI document."""

    scopes: dict[str, str]

    def add_router_with_scopes(self, router: Router) -> None:
        self.add_router("", router)
        self.scopes = _scopes(router)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for methods in schema["paths"].values():
            for operation in methods.values():
                self._complete(operation)
        return schema

    def _complete(self, operation: dict[str, Any]) -> None:
        operation_id = operation.get("operationId", "")
        if operation_id in OPERATIONS:  # whole sentences, not the wrapped docstrings
            operation["summary"], operation["description"] = OPERATIONS[operation_id]
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            with translation.override("en"):
                example = example_body(str(body["schema"].get("$ref", "")).rsplit("/", 1)[-1])
            if example is not None:
                body["example"] = example
        scope = self.scopes.get(operation_id)
        if scope:
            # OpenAPI 3.1 lets any security scheme name the roles it needs.
            operation["security"] = [{"TokenAuth": [scope]}]
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and parameter["name"] in EXAMPLES:
                parameter["example"] = EXAMPLES[parameter["name"]]
        for status, response in operation.get("responses", {}).items():
            code = int(status)
            content = response.get("content", {})
            if code >= 400 and "application/json" in content:
                response["content"] = {PROBLEM_TYPE: content["application/json"]}
            headers = {}
            if code == 200 and operation_id.startswith("list"):
                headers = {name: HEADER_DOCS[name] for name in ("Link", "X-Total-Count")}
            elif code == 202 and operation_id == "getRecordPdf":
                headers = {
                    "Location": {
                        "description": "Where to ask again for the PDF.",
                        "schema": {"type": "string"},
                    },
                    "Retry-After": HEADER_DOCS["Retry-After"],
                }
            elif code == 202:
                headers = {"Location": HEADER_DOCS["Location"]}
            elif code == 401:
                headers = {"WWW-Authenticate": HEADER_DOCS["WWW-Authenticate"]}
            elif code == 429:
                headers = {"Retry-After": HEADER_DOCS["Retry-After"]}
            if headers:
                response["headers"] = copy.deepcopy(headers)
            link = LINKS.get(operation_id, {}).get(str(code))
            if link:
                response["links"] = copy.deepcopy(link)
