from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """Return ``mapping[key]`` or None (for dicts keyed by variables in templates)."""
    return mapping.get(key)
