"""``{% frame_url 'name' %}``: ``{% url 'name' %}`` for the addresses of the page frame.

Every page's frame (``base.html``) names a dozen addresses without arguments; reversing
each anew cost more than the rest of the frame. They depend only on the script prefix and
the URL configuration in force, so they are reversed once per both (and per process).
"""

from __future__ import annotations

import functools
from typing import Any

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@functools.lru_cache(maxsize=256)
def _reversed(name: str, prefix: str, urlconf: Any) -> str:
    return reverse(name, urlconf=urlconf)  # the prefix in force is the one in the key


@register.simple_tag
def frame_url(name: str) -> str:
    """The address of the view named ``name`` (no arguments), as ``{% url %}`` gives it."""
    return _reversed(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
