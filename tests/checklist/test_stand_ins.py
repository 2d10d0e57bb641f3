"""Fragments kept after their first rendering are made anew when a template changes."""

from __future__ import annotations

from pathlib import Path

from django.utils.autoreload import file_changed
from django.utils.html import escape

from checklist.stand_ins import cut, fill, kept, stand_in


def test_a_kept_fragment_is_rendered_anew_after_a_template_changes_but_not_after_code() -> None:
    renders: list[str] = []

    @kept(8)
    def fragment(language: str) -> str:
        renders.append(language)
        return f"<p>{language}</p>"

    fragment("de")
    fragment("de")
    assert renders == ["de"]

    file_changed.send(sender=None, file_path=Path("templates/checklist/step.html"))
    fragment("de")
    assert renders == ["de", "de"]

    # A change to Python code restarts the development server; nothing to forget then.
    file_changed.send(sender=None, file_path=Path("checklist/views.py"))
    fragment("de")
    assert renders == ["de", "de"]


def test_stand_ins_survive_escaping_and_are_filled_per_use() -> None:
    pieces = cut(escape(f'<input id="{stand_in("key")}" title="{stand_in("title")}">'))
    assert fill(pieces, {"key": "step2.client", "title": "Client &amp; Schl&uuml;ssel"}) == (
        "&lt;input id=&quot;step2.client&quot; title=&quot;Client &amp; Schl&uuml;ssel&quot;&gt;"
    )
