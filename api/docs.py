"""The human documentation at ``/api/v1/docs``: a portal page rendered from the OpenAPI document,
wholly in German or wholly in English, with an example body and a ``curl`` line per operation.

No Swagger UI or ReDoc: their bundles set inline styles, which the portal's Content Security
Policy forbids, and they pull in far more than a reader needs.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from ninja.openapi.docs import DocsBase

from api.docs_texts import (
    FIELD_TEXTS,
    OPERATIONS,
    PARAMETER_PLACES,
    SCHEMA_DESCRIPTIONS,
    SCHEMA_TITLES,
    STATUS_TEXTS,
    example_body,
)
from api.problems import PROBLEM_TYPES, preferred_language
from portal.models import ApiToken

if TYPE_CHECKING:
    from ninja import NinjaAPI

METHODS = ("get", "put", "post", "patch", "delete")
LANGUAGES = ("de", "en")
TOKEN_VARIABLE = "$FCAP_TOKEN"  # noqa: S105 - the name of a shell variable


def _schema_title(name: str) -> str:
    return _(SCHEMA_TITLES.get(name, name))


def type_name(schema: dict[str, Any]) -> str:
    """Return a JSON schema's type in a few words ("text", "list of Checklist item", …)."""
    if "$ref" in schema:
        return _schema_title(str(schema["$ref"]).rsplit("/", 1)[-1])
    if "anyOf" in schema:
        options = [o for o in schema["anyOf"] if o.get("type") != "null"]
        named = _(" or ").join(type_name(option) for option in options)
        if len(options) < len(schema["anyOf"]):
            return _("%(type)s or null") % {"type": named}
        return named
    if schema.get("type") == "array":
        return _("list of %(type)s") % {"type": type_name(schema.get("items", {}))}
    if "enum" in schema:
        return _("one of %(values)s") % {"values": ", ".join(str(v) for v in schema["enum"])}
    kinds = {
        "string": _("text"),
        "integer": _("whole number"),
        "number": _("number"),
        "boolean": _("true or false"),
        "object": _("object"),
    }
    formats = {"date": _("date"), "date-time": _("date and time"), "binary": _("file")}
    kind = str(schema.get("type", "object"))
    if "format" in schema:
        return formats.get(str(schema["format"]), kinds.get(kind, kind))
    return kinds.get(kind, kind)


def _text(text: str) -> str:
    """A text of the OpenAPI document in the reader's language (one line, whole sentences)."""
    one_line = " ".join(text.split())
    return _(one_line) if one_line else ""


def _fields(name: str, schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    return [
        {
            "name": field_name,
            "type": type_name(field),
            "ref": str(field.get("$ref", "")).rsplit("/", 1)[-1],
            "required": field_name in required,
            "description": _(FIELD_TEXTS[(name, field_name)])
            if (name, field_name) in FIELD_TEXTS
            else _text(field.get("description", "")),
        }
        for field_name, field in schema.get("properties", {}).items()
    ]


def _example_path(path: str, parameters: list[dict[str, Any]]) -> str:
    for parameter in parameters:
        if parameter["in"] == "path" and "example" in parameter:
            path = path.replace("{" + parameter["name"] + "}", str(parameter["example"]))
    return path


def curl_line(method: str, url: str, body: dict[str, Any] | None, pdf: bool = False) -> str:
    """A ``curl`` command for the operation, the token taken from ``$FCAP_TOKEN``."""
    parts = ["curl --fail-with-body -sS"]
    if method != "GET":
        parts.append(f"-X {method}")
    parts.append(f'-H "Authorization: Bearer {TOKEN_VARIABLE}"')
    if body is not None:
        parts.append('-H "Content-Type: application/json"')
        data = json.dumps(body, ensure_ascii=False).replace("'", "'\\''")
        parts.append(f"-d '{data}'")
    if pdf:
        parts.append("-o checkliste.pdf")
    parts.append(f'"{url}"')
    return " \\\n  ".join(parts)


def _operations(document: dict[str, Any], base_url: str) -> list[dict[str, Any]]:
    operations = []
    for path, methods in document["paths"].items():
        for method in METHODS:
            operation = methods.get(method)
            if operation is None:
                continue
            operation_id = operation.get("operationId", "")
            summary, description = OPERATIONS.get(
                operation_id, (operation.get("summary", ""), operation.get("description", ""))
            )
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            body_name = str(body["schema"].get("$ref", "")).rsplit("/", 1)[-1] if body else ""
            example = example_body(body_name) if body else None
            security = operation.get("security", [{}])
            parameters = operation.get("parameters", [])
            url = base_url.rstrip("/") + _example_path(path, parameters)
            operations.append(
                {
                    "id": operation_id,
                    "method": method.upper(),
                    "path": path,
                    "summary": _text(summary),
                    "description": _text(description),
                    "scope": ", ".join(next(iter(security[0].values()), [])) if security else "",
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "in": _(PARAMETER_PLACES.get(parameter["in"], parameter["in"])),
                            "required": parameter.get("required", False),
                            "type": type_name(parameter.get("schema", {})),
                            "description": _text(parameter.get("description", "")),
                        }
                        for parameter in parameters
                    ],
                    "body": body_name,
                    "body_title": _schema_title(body_name) if body_name else "",
                    "example": json.dumps(example, ensure_ascii=False, indent=2)
                    if example is not None
                    else "",
                    "curl": curl_line(
                        method.upper(),
                        url,
                        example if body else None,
                        pdf=operation_id == "getRecordPdf",
                    ),
                    "responses": [
                        {
                            "status": str(status),
                            "type": ", ".join(response.get("content", {})),
                            "description": _(STATUS_TEXTS[str(status)])
                            if str(status) in STATUS_TEXTS
                            and response.get("description", "") in HTTP_REASONS
                            else _text(response.get("description", "")),
                        }
                        for status, response in operation.get("responses", {}).items()
                    ],
                }
            )
    return operations


# Ninja describes a response by its HTTP reason phrase; the page says what it means instead.
HTTP_REASONS = {
    "OK",
    "Created",
    "Accepted",
    "Bad Request",
    "Unauthorized",
    "Forbidden",
    "Not Found",
    "Conflict",
    "Unprocessable Content",
    "Unprocessable Entity",
    "Too Many Requests",
}


def docs_context(document: dict[str, Any], base_url: str = "") -> dict[str, Any]:
    return {
        "document": document,
        "operations": _operations(document, base_url),
        "schemas": [
            {
                "name": name,
                "title": _schema_title(name),
                "description": _(SCHEMA_DESCRIPTIONS[name])
                if name in SCHEMA_DESCRIPTIONS
                else _text(schema.get("description", "")),
                "fields": _fields(name, schema),
            }
            for name, schema in sorted(document.get("components", {}).get("schemas", {}).items())
        ],
        "problems": sorted(PROBLEM_TYPES.values(), key=lambda p: (p.status, p.code)),
        "scopes": ApiToken.Scope.choices,
        "openapi_url": reverse("api:openapi-json"),
    }


def docs_language(request: HttpRequest) -> str:
    """German unless the reader asks for English: ?lang=, the portal's language switcher, or
    Accept-Language ranking English above German (as the API's error messages do)."""
    asked = request.GET.get("lang", "")
    if asked in LANGUAGES:
        return asked
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in LANGUAGES:
        return chosen
    return preferred_language(request)


class DocsPage(DocsBase):
    """Render ``api/docs.html`` in the portal's layout, wholly in one language."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        document = api.get_openapi_schema(path_params=kwargs)
        language = docs_language(request)
        base_url = request.build_absolute_uri("/")
        with translation.override(language):
            context = docs_context(document, base_url)
            context["language"] = language
            context["other_language"] = "en" if language == "de" else "de"
            response = render(request, "api/docs.html", context)
        response["Content-Language"] = language
        patch_vary_headers(response, ["Accept-Language", "Cookie"])
        return response
