"""The evidence a sign-off recorded, as lines for people: the e-mail and the PDF.

``SignOff.evidence`` keeps ``checklist.signoff_evidence.Evidence.as_data`` as it stood when
the stage was declared ready (replaced when it was approved), in the site's language. Its
lines here are those ``Evidence.lines`` gave at that moment: the summary, the operator's
allowance of hand evidence in plain words where it was used, and one line per item ("title:
how it is proven"). No key, code or hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from checklist.models import Environment, SignOff


def allowance_words(environment: Environment, reason: str) -> str:
    """The operator's allowance of hand evidence in plain words (``Evidence.allowance`` too)."""
    return _(
        "The portal cannot check %(env)s itself; the site operator allows a declaration "
        "on items ticked by hand with a reason. Reason given: %(reason)s"
    ) % {"env": environment.label, "reason": reason}


@dataclass(frozen=True)
class RecordedEvidence:
    summary: str
    allowance: str  # "" when the operator's allowance did not apply
    items: tuple[str, ...]  # one line per item: "title: how it is proven"
    conformance: tuple[str, ...] = ()  # the newest conformance run: its summary, its cases

    @property
    def lines(self) -> list[str]:
        """All lines, as ``Evidence.lines``: summary, allowance, the items, the conformance
        run."""
        allowance = [self.allowance] if self.allowance else []
        return [self.summary, *allowance, *self.items, *self.conformance]


def recorded(signoff: SignOff | None) -> RecordedEvidence | None:
    """The evidence the sign-off recorded; None for one declared before evidence was kept."""
    data: dict[str, Any] = (signoff.evidence if signoff is not None else None) or {}
    if not data.get("summary") or signoff is None:
        return None
    allowed = bool(data.get("hand_evidence_allowed"))
    return RecordedEvidence(
        summary=str(data["summary"]),
        allowance=(
            allowance_words(Environment(signoff.environment), str(data.get("hand_evidence_reason")))
            if allowed
            else ""
        ),
        items=tuple(
            f"{entry.get('title', '')}: {entry.get('text', '')}"
            for entry in data.get("items") or []
            if isinstance(entry, dict)
        ),
        conformance=_conformance_lines(data.get("conformance")),
    )


def _conformance_lines(data: Any) -> tuple[str, ...]:
    if not isinstance(data, dict) or not data.get("summary"):
        return ()
    return (str(data["summary"]), *(str(line) for line in data.get("cases") or []))
