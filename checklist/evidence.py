"""What a stored check result shows a person, in the reader's language.

Results are stored as JSON with their messages as codes and parameters (``fitconnect.messages``);
results stored before that hold plain strings and are shown as they are. Nothing here shows a
field path, ``None`` or a Python list: values become words, requests become lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from fitconnect.checks import CHECK_TITLES
from fitconnect.messages import is_stored_text, render

DASH = "–"


def words(value: Any) -> str:
    """Return a stored value as people read it: a message rendered, a list joined, "–"."""
    if value is None or value == "" or value == []:
        return DASH
    if is_stored_text(value):
        return render(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(words(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {words(item)}" for key, item in value.items())
    return str(value)


def _requests(evidence: Any) -> list[dict[str, Any]]:
    """Return every HTTP request the evidence records, in order."""
    found: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("method"), str) and isinstance(value.get("url"), str):
                found.append(
                    {
                        "method": value["method"],
                        "url": value["url"],
                        "status": value.get("status"),
                        "duration_ms": value.get("duration_ms"),
                    }
                )
            for key, inner in value.items():
                if key != "diff":
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(evidence)
    return found


def _facts(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the facts a check recorded besides its requests, labelled."""
    facts: list[tuple[str, str]] = []
    simple = (
        ("lifetime_s", _("Validity of the token (seconds)")),
        ("scopes", _("Scopes of the token")),
        ("submission_id", _("Submission ID")),
        ("case_id", _("Case ID")),
        ("leistung", _("Service")),
        ("duration_s", _("Until accepted or rejected (seconds)")),
        ("kids", _("Key IDs of the delivery service")),
        ("algs", _("Algorithms of the delivery service's keys")),
        ("reference", _("Error reference")),
        ("retry_after_s", _("Wait requested by the service (seconds)")),
    )
    for key, label in simple:
        if key in evidence:
            facts.append((label, words(evidence[key])))
    for key in evidence.get("keys") or []:
        if not isinstance(key, dict):
            continue
        label = _("Key %(kid)s") % {"kid": key.get("kid", DASH)}
        findings = [
            words(finding.get("message"))
            for finding in key.get("findings") or []
            if isinstance(finding, dict)
        ]
        facts.append((label, " ".join(findings) or DASH))
        if key.get("expires"):
            facts.append(
                (
                    _("Key %(kid)s: certificate valid until") % {"kid": key.get("kid")},
                    format_date(str(key["expires"])),
                )
            )
    for route in evidence.get("routes") or []:
        if isinstance(route, dict):
            label = _("Routing for service %(key)s, ARS %(ars)s") % {
                "key": route.get("leistung", DASH),
                "ars": route.get("ars", DASH),
            }
            found = _("found") if route.get("found") else _("not found")
            if "signature_valid" in route:
                found += ", " + (
                    _("signature valid") if route["signature_valid"] else _("signature invalid")
                )
            facts.append((label, found))
    for event in evidence.get("events") or []:
        if isinstance(event, dict):
            facts.append(
                (
                    _("Event %(event)s") % {"event": event.get("event", DASH)},
                    words(event.get("issued_at")),
                )
            )
    for call in evidence.get("callbacks") or []:
        if isinstance(call, dict):
            label = _("Callback %(case)s") % {"case": words(call.get("case"))}
            facts.append((label, _("HTTP %(status)s") % {"status": call.get("status", DASH)}))
    if "check_duration_ms" in evidence:
        facts.append((_("Duration of the check (ms)"), words(evidence["check_duration_ms"])))
    return facts


def format_date(iso: str) -> str:
    """An ISO date (2028-01-31) as people read it (31.01.2028)."""
    parts = iso.split("-")
    return f"{parts[2]}.{parts[1]}.{parts[0]}" if len(parts) == 3 else iso


def shown_result(result: dict[str, Any]) -> dict[str, Any]:
    """Return a stored check result as a page shows it (see module docstring)."""
    evidence = result.get("evidence") if isinstance(result.get("evidence"), dict) else {}
    assert isinstance(evidence, dict)  # noqa: S101 - for the type checker
    check = str(result.get("check", ""))
    title = CHECK_TITLES.get(check)
    status = str(result.get("status", ""))
    return {
        "check": check,
        "status": status,
        "title": str(title) if title is not None else str(result.get("title", check)),
        "message": render(result.get("message")),
        "details": [render(line) for line in result.get("details") or []],
        "fixes": [
            {"text": render(f.get("text")), "url": f.get("url", "")}
            for f in result.get("fixes") or []
            if isinstance(f, dict)
        ],
        "diff": [
            {
                "field": words(row.get("field")),
                "recorded": words(row.get("recorded")),
                "configured": words(row.get("configured")),
                "match": bool(row.get("match")),
            }
            for row in evidence.get("diff") or []
            if isinstance(row, dict)
        ],
        "requests": _requests(evidence),
        "facts": _facts(evidence),
        # A failure that proves nothing about the item: it reopened nothing.
        "inconclusive": status == "failed" and not result.get("conclusive", True),
    }


def key_expiries(results: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], date]]:
    """Yield each key a stored keys check recorded with its expiry date (the end of its x5c
    certificate), skipping keys without a readable date."""
    for result in results:
        if result.get("check") != "keys":
            continue
        for key in (result.get("evidence") or {}).get("keys", []):
            try:
                yield key, date.fromisoformat(str(key.get("expires")))
            except ValueError:
                continue
