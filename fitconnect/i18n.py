"""Translation functions for the fitconnect library without a hard dependency on Django.

Where Django is installed these are Django's ``gettext`` and ``gettext_lazy``, so messages
follow the active language and ``makemessages`` finds every ``_()`` / ``gettext_lazy()``
call in this package (``gettext_noop`` marks the message texts of ``fitconnect.messages``,
which are translated when shown). Without Django they return the English text unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as LazyText
    from django.utils.translation import gettext, gettext_lazy, gettext_noop
else:
    try:
        from django.utils.translation import gettext, gettext_lazy, gettext_noop
    except ImportError:  # pragma: no cover - the portal always has Django

        def gettext(message: str) -> str:
            return message

        def gettext_lazy(message: str) -> str:
            return message

        def gettext_noop(message: str) -> str:
            return message

    LazyText = str  # what gettext_lazy returns without Django; for annotations only

__all__ = ["LazyText", "gettext", "gettext_lazy", "gettext_noop"]
