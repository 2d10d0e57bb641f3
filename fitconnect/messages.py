"""Messages stored as codes with parameters and rendered in the reader's language.

A check's result is evidence that outlives the request that produced it: a German run must
read in English for an English reader, and a parameter is never a Python value (``None``, a
list) or a field path. So a message is a ``Text``: a stable code and its parameters, stored as
JSON (``{"code": ..., "params": ..., "text": ...}``) and rendered with the active language when
it is shown. Parameters are plain strings and numbers, lists (joined with commas) or other
texts (rendered first). ``text`` is the rendering at run time, the fallback for a code that no
longer exists. Results stored before codes hold plain strings; ``render`` shows them as they
are.

Each module defines its messages once, at import time::

    OK = define("token.ok", gettext_noop("Token received (valid for %(lifetime)s s)."))
    return Outcome("ok", OK(lifetime=lifetime))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fitconnect.i18n import gettext, gettext_noop

_CATALOGUE: dict[str, str] = {}


@dataclass(frozen=True)
class Text:
    """One message: its code and parameters; ``str()`` renders it in the active language."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self)

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form in which results store the message."""
        return {
            "code": self.code,
            "params": {name: _encode(value) for name, value in self.params.items()},
            "text": render(self),
        }


Message = Callable[..., Text]


def define(code: str, msgid: str) -> Message:
    """Register a message text (English, marked with ``gettext_noop``) under a stable code."""
    known = _CATALOGUE.setdefault(code, msgid)
    if known != msgid:
        raise ValueError(f"The message code {code!r} is defined twice with different texts.")

    def make(**params: Any) -> Text:
        return Text(code, params)

    return make


def is_stored_text(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("code"), str)


def as_text(value: Any) -> Text:
    """Return a stored message (``as_dict`` form) as a ``Text`` again."""
    return Text(str(value["code"]), dict(value.get("params") or {}))


def _encode(value: Any) -> Any:
    if isinstance(value, Text):
        return value.as_dict()
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    if value is None:  # never shown as "None"
        return NOT_SET().as_dict()
    if isinstance(value, bool):  # never shown as "True"
        return (YES() if value else NO()).as_dict()
    if isinstance(value, int | float | str):
        return value
    return str(value)


def _param(value: Any) -> Any:
    if isinstance(value, Text) or is_stored_text(value):
        return render(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(_param(item)) for item in value)
    if value is None:
        return render(NOT_SET())
    if isinstance(value, bool):
        return render(YES() if value else NO())
    if isinstance(value, int | float | str):
        return value
    return str(value)


def encode(value: Any) -> Any:
    """Return a message (or a plain string) in the form results store it."""
    return value.as_dict() if isinstance(value, Text) else value


def render(value: Any) -> str:
    """Return a message in the active language.

    ``value`` is a ``Text``, its stored form, or a plain string (results stored before
    messages had codes, or text from FIT-Connect itself), which is shown as it is.
    """
    if isinstance(value, Text):
        code, params, fallback = value.code, value.params, None
    elif is_stored_text(value):
        code, params, fallback = value["code"], value.get("params") or {}, value.get("text")
    elif value is None:
        return ""
    else:
        return str(value)
    msgid = _CATALOGUE.get(code)
    if msgid is None:  # a message removed since the result was stored
        return str(fallback or code)
    shown = {name: _param(item) for name, item in params.items()}
    if not shown:
        return gettext(msgid)
    try:
        return gettext(msgid) % shown
    except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder
        return msgid % shown


# Words that stand in for values a person must never see raw.
NOT_SET = define("value.not_set", gettext_noop("not set"))
YES = define("value.yes", gettext_noop("yes"))
NO = define("value.no", gettext_noop("no"))


def encode_tree(value: Any) -> Any:
    """Return JSON data with every ``Text`` inside it in its stored form."""
    if isinstance(value, Text):
        return value.as_dict()
    if isinstance(value, dict):
        return {key: encode_tree(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode_tree(item) for item in value]
    return value
