"""The bases an item of a sign-off stands on, and the summary line of their counts.

Below ``checklist.audit_sentences`` (the Protokoll names a decision's evidence by its stored
counts) and ``checklist.signoff_evidence`` (which builds the evidence).
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from checklist.models import Environment


class Basis(StrEnum):
    RUN = "run"  # ticked by a passed connection check
    HAND = "hand"  # a check item ticked by hand, with its reason
    HAND_UNEXPLAINED = "hand_unexplained"  # a check item ticked by hand before reasons
    CONFORMANCE = "conformance"  # the rejection item, ticked by a passed conformance run
    MANUAL = "manual"  # an item people tick, ticked
    DATA = "data"  # follows from the recorded data
    OPEN = "open"


def summary_of(counts: dict[str, int], environment: Environment) -> str:
    """The summary line of stored counts (``Evidence.counts``), in the reader's language."""
    total = counts.get("checks", 0)
    parts = [
        ngettext(
            "%(proven)d of %(total)d check item proven by a connection check against %(env)s",
            "%(proven)d of %(total)d check items proven by a connection check against %(env)s",
            total,
        )
        % {"proven": counts.get(Basis.RUN, 0), "total": total, "env": environment.label}
    ]
    for name, text in (
        (Basis.HAND, _("%(n)d by hand with a reason")),
        (Basis.HAND_UNEXPLAINED, _("%(n)d by hand without a reason")),
        (Basis.OPEN, _("%(n)d open")),
    ):
        if counts.get(name):
            parts.append(text % {"n": counts[name]})
    line = ", ".join(parts) + "."
    others = [
        text % {"n": counts[f"other_{name}"]}
        for name, text in (
            (Basis.CONFORMANCE, _("%(n)d proven by a conformance run")),
            (Basis.MANUAL, _("%(n)d confirmed by hand")),
            (Basis.DATA, _("%(n)d from the recorded data")),
            (Basis.OPEN, _("%(n)d open")),
        )
        if counts.get(f"other_{name}")
    ]
    if others:
        line += " " + _("Other items: %(parts)s.") % {"parts": ", ".join(others)}
    return line
