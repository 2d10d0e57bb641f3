"""The "Mit Dienstkonto anmelden" buttons on the sign-in page, one per enabled provider."""

from __future__ import annotations

from typing import Any

from django import template

from sso.models import IdentityProvider

register = template.Library()


@register.inclusion_tag("sso/buttons.html")
def sso_buttons(next_url: str = "") -> dict[str, Any]:
    return {"providers": list(IdentityProvider.objects.filter(enabled=True)), "next": next_url}
