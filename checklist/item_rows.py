"""What an item row of the step page shows, worked out in Python once per row.

A step page has up to twenty rows, each rendered by the same partial (``checklist/step.html``
``#item``), which is also the answer to a tick, a note, a comment and an assignment. The
words every row shows are translated and escaped once per language (``labels``) instead of
by a ``{% translate %}`` per row and word, and what a row derives from its item and state
(its HTML id, title, who is responsible, to whom it is assigned) is put into the row's
context once instead of being looked up through properties again and again. The fields of
the note and comment forms differ between rows only by the item's id (and note): they are
rendered once per language with stand-ins, and each row's values put in.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.template.loader import render_to_string
from django.utils.formats import date_format, localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from checklist.stand_ins import cut, fill, kept, stand_in
from checklist.state import ItemView


@lru_cache(maxsize=16)
def _labels(language: str | None) -> dict[str, SafeString]:
    # Translations are fixed for the life of the process, so per language once is enough.
    words = {
        "done": _("Done"),
        "open": _("Open"),
        "authority": _("Responsible: authority"),
        "provider": _("Responsible: IT service provider"),
        "both": _("Responsible: both"),
        "optional": _("optional"),
        "unassigned": _("Not assigned to a person"),
        "hand_tick_summary": _("Tick by hand, with a reason"),
        "hand_tick": _("Tick by hand"),
        "mark_open": _("Mark as open"),
        "mark_done": _("Mark as done"),
        "saving": _("Saving …"),
        "assigned_to": _("Assigned to"),
        "nobody": _("Nobody: the whole side"),
        "assign": _("Assign"),
        "docs": _("More in FITKO's documentation"),
        "note": _("Note"),
        "save_note": _("Save note"),
        "note_label": _("Note:"),
        "comments": _("Comments"),
        "former_member": _("a former member"),
        "new_comment": _("New comment"),
        "mention_hint": _("Write @ and a name to notify a person, e.g. @Anna Amtmann."),
        "mention": _("Notify a person (optional)"),
        "add_comment": _("Add comment"),
    }
    return {name: conditional_escape(word) for name, word in words.items()}


def labels() -> dict[str, SafeString]:
    """The words every item row shows, in the current language, escaped for HTML."""
    return _labels(get_language())


@kept(maxsize=64)
def _fields(template: str, language: str | None, done: bool) -> tuple[str, ...]:
    """The template's HTML cut where the item's id goes and where its other value
    (``note``: the note, or the title for the tick button) goes."""
    value = stand_in("value")
    context = {
        "dom_id": stand_in("dom_id"),
        "note": value,
        "title": value,
        "labels": _labels(language),
        "done": done,
    }
    return cut(render_to_string(f"checklist/includes/{template}.html", context))


def _filled(
    template: str, language: str | None, dom_id: str, value: str = "", done: bool = False
) -> SafeString:
    """``template`` as it renders in ``language`` with the row's (escaped) id and value."""
    return fill(_fields(template, language, done), {"dom_id": dom_id, "value": value})


def _who_and_when(view: ItemView, words: dict[str, SafeString]) -> dict[str, Any]:
    """Who ticked the item (or "a former member") and when, for the kind's snippet: as
    ``view.done_by|default:_("a former member")`` and ``view.done_at|date:"d.m.Y, H:i"``
    gave them (``{% blocktranslate %}`` escapes both)."""
    done_at = view.done_at
    return {
        "who": view.done_by or words["former_member"],
        "when": date_format(localtime(done_at), "d.m.Y, H:i") if done_at else "",
    }


def row(view: ItemView, comments: list[Any], *, whole: bool = True) -> dict[str, Any]:
    """What the row of an item shows beyond its forms: id, words, state, as plain values.

    ``whole=False``: only what the item's status and assign form show (``#item_status``,
    ``#assign_slot``: a tick's answer), not its help, note and comments."""
    item, state = view.item, view.state
    language = get_language()
    words = _labels(language)
    assignee = state.assignee if state.assignee_id is not None else None
    dom_id, title = conditional_escape(item.dom_id), conditional_escape(item.title)
    shown = {
        "view": view,
        "labels": words,
        # Escaped here once: the id and the title appear up to twenty times in a row.
        "dom_id": dom_id,
        "title": title,
        "done": view.done,
        "assignee_id": state.assignee_id,
        "responsible": words[item.role],
        "optional": not item.required,
        # As {% blocktranslate %} did: the value escaped, the translated words as they are.
        "assigned": (
            mark_safe(_("Assigned to %(name)s") % {"name": conditional_escape(str(assignee))})  # noqa: S308
            if assignee
            else words["unassigned"]
        ),
        # How the item becomes done is the kind's to say, in its own snippet; who ticked it
        # and when, as the snippets say it, worked out here once.
        "kind_template": item.kind.template,
        "toggle_button": _filled("item_toggle_button", language, dom_id, title, view.done),
        **_who_and_when(view, words),
    }
    if not whole:
        return shown
    counter = localize(len(comments))
    return {
        **shown,
        "help": conditional_escape(item.help),
        "docs_url": conditional_escape(item.docs_url),
        "note": state.note,
        "details_summary": mark_safe(  # noqa: S308
            ngettext("Note and %(counter)s comment", "Note and %(counter)s comments", len(comments))
            % {"counter": conditional_escape(counter)}
        ),
        # The note and comment forms' fields, as their templates render them for the row.
        "note_fields": _filled(
            "item_note_fields", language, dom_id, conditional_escape(state.note)
        ),
        "comment_fields": _filled("item_comment_fields", language, dom_id),
    }
