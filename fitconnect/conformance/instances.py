"""Documents for a JSON Schema: a minimal valid one and one that violates the schema.

Enough of JSON Schema for the Fachdaten schemas of FIM and XÖV in JSON: ``$ref`` inside the
schema, ``allOf``/``anyOf``/``oneOf``, ``const``, ``enum``, the usual types with their
lower bounds, and the common string formats. A schema this cannot satisfy gives ``None``;
the conformance run then asks for a template instead of guessing.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 30
_FORMATS = {
    "date": "2026-01-01",
    "date-time": "2026-01-01T00:00:00Z",
    "time": "00:00:00Z",
    "email": "konformitaet@example.org",
    "uri": "https://example.org/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


class Unsatisfiable(ValueError):
    """The schema uses something the generator does not handle."""


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    if not ref.startswith("#"):
        raise Unsatisfiable(ref)
    node: Any = root
    for part in [p for p in ref[1:].split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise Unsatisfiable(ref)
        node = node[part]
    if not isinstance(node, dict):
        raise Unsatisfiable(ref)
    return node


def _merged(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Return the schema with ``$ref`` and ``allOf`` folded in (shallowly)."""
    merged = {k: v for k, v in schema.items() if k not in ("$ref", "allOf")}
    parts = [_resolve(schema["$ref"], root)] if "$ref" in schema else []
    parts += [p for p in schema.get("allOf", []) if isinstance(p, dict)]
    for part in parts:
        part = _merged(part, root)
        for key, value in part.items():
            if key == "required":
                merged["required"] = sorted(set(merged.get("required", [])) | set(value))
            elif key == "properties":
                merged["properties"] = {**value, **merged.get("properties", {})}
            else:
                merged.setdefault(key, value)
    return merged


def _type(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None and "properties" in schema:
        kind = "object"
    return kind if isinstance(kind, str) else None


def _minimal(schema: dict[str, Any], root: dict[str, Any], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise Unsatisfiable("too deep")
    schema = _merged(schema, root)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return _minimal({**schema, key: None, **schema[key][0]}, root, depth + 1)
    kind = _type(schema)
    if kind == "object":
        properties = schema.get("properties") or {}
        return {
            name: _minimal(properties.get(name, {}), root, depth + 1)
            for name in schema.get("required", [])
        }
    if kind == "array":
        items: dict[str, Any] = schema["items"] if isinstance(schema.get("items"), dict) else {}
        return [_minimal(items, root, depth + 1) for _ in range(int(schema.get("minItems", 0)))]
    if kind == "string":
        if "pattern" in schema:
            raise Unsatisfiable("pattern")
        text = _FORMATS.get(str(schema.get("format")), "Konformitätstest")
        return text.ljust(int(schema.get("minLength", 0)), "x")
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        value = int(low) + (1 if "exclusiveMinimum" in schema else 0)
        return value if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return {}


def minimal_instance(schema: dict[str, Any]) -> Any:
    """Return a small document valid against ``schema``, or None if none can be made."""
    try:
        return _minimal(schema, schema, 0)
    except (Unsatisfiable, RecursionError, TypeError, ValueError):
        return None


def invalid_instance(schema: dict[str, Any]) -> Any:
    """Return a document of the wrong type for ``schema``, or None if its type is open."""
    try:
        kind = _type(_merged(schema, schema))
    except Unsatisfiable:
        return None
    wrong = {"object": ["kein Objekt"], "array": {"kein": "Array"}, "string": 0}
    return wrong.get(kind or "")
