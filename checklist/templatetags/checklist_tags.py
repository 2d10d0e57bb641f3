from __future__ import annotations

from typing import Any

from django import template

from checklist import evidence

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """Return ``mapping[key]`` or None (for dicts keyed by variables in templates)."""
    return mapping.get(key)


@register.filter
def shown_result(result: dict[str, Any]) -> dict[str, Any]:
    """Return a stored check result in the reader's language (see checklist/evidence.py)."""
    return evidence.shown_result(result)
