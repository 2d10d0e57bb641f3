"""The human documentation at ``/api/v1/docs``: a portal page rendered from the OpenAPI document.

No Swagger UI or ReDoc: their bundles set inline styles, which the portal's Content Security
Policy forbids, and they pull in far more than a reader needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from ninja.openapi.docs import DocsBase

from api.problems import PROBLEM_TYPES
from portal.models import ApiToken

if TYPE_CHECKING:
    from ninja import NinjaAPI

METHODS = ("get", "put", "post", "patch", "delete")


def type_name(schema: dict[str, Any]) -> str:
    """Return a JSON schema's type in a few words (``string``, ``array of Item``, …)."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(type_name(option) for option in schema["anyOf"])
    if schema.get("type") == "array":
        return f"array of {type_name(schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(str(value) for value in schema["enum"])
    kind = str(schema.get("type", "object"))
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def _fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": type_name(field),
            "required": name in required,
            "description": field.get("description", ""),
        }
        for name, field in schema.get("properties", {}).items()
    ]


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, methods in document["paths"].items():
        for method in METHODS:
            operation = methods.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            security = operation.get("security", [{}])
            operations.append(
                {
                    "id": operation.get("operationId", ""),
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "scope": ", ".join(next(iter(security[0].values()), [])) if security else "",
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "in": parameter["in"],
                            "required": parameter.get("required", False),
                            "type": type_name(parameter.get("schema", {})),
                            "description": parameter.get("description", ""),
                        }
                        for parameter in operation.get("parameters", [])
                    ],
                    "body": type_name(body["schema"]) if body else "",
                    "responses": [
                        {
                            "status": status,
                            "type": ", ".join(response.get("content", {})),
                            "description": response.get("description", ""),
                        }
                        for status, response in operation.get("responses", {}).items()
                    ],
                }
            )
    return operations


def docs_context(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "document": document,
        "operations": _operations(document),
        "schemas": [
            {"name": name, "description": schema.get("description", ""), "fields": _fields(schema)}
            for name, schema in sorted(document.get("components", {}).get("schemas", {}).items())
        ],
        "problems": sorted(PROBLEM_TYPES.values(), key=lambda p: (p.status, p.code)),
        "scopes": ApiToken.Scope.choices,
        "openapi_url": reverse("api:openapi-json"),
    }


class DocsPage(DocsBase):
    """Render ``api/docs.html`` in the portal's layout."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        document = api.get_openapi_schema(path_params=kwargs)
        return render(request, "api/docs.html", docs_context(document))
