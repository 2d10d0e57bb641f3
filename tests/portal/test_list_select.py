"""A filter's select writes its options itself, as Django's template-rendered one does."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test.html import parse_html
from django.utils.translation import gettext_lazy, override

from portal.forms_renderer import ListSelect

CHOICES: list[tuple[Any, Any]] = [
    ("", gettext_lazy("all")),
    (3, "Stadt <Muster> & Söhne"),
    ("in_house", 'Eigenbetrieb "IT"'),
    (None, "ohne"),
    ("3", "dieselbe Nummer noch einmal"),
]


@pytest.mark.parametrize("value", [None, "", 3, "3", "in_house", "unknown"])
def test_the_options_are_django_s_with_the_first_matching_one_selected(value: Any) -> None:
    attrs = {"id": "id_authority", "class": "kern-form-input__select"}
    with override("de"):
        ours = ListSelect(attrs=attrs, choices=CHOICES).render("authority", value)
        django_s = forms.Select(attrs=attrs, choices=CHOICES).render("authority", value)
    # The same elements, attributes and texts (Django's templates add empty lines).
    assert parse_html(ours) == parse_html(django_s)
    assert "Stadt &lt;Muster&gt; &amp; Söhne" in ours
    assert ">alle</option>" in ours
    assert ours.count(" selected") == (0 if value == "unknown" else 1)
