"""The checklist and go-live record as PDF, for the authority's files. Never a secret."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone, translation

from checklist import catalogue, frozen, verification
from checklist.environments import environment_label, environment_labels
from checklist.evidence_record import recorded
from checklist.models import Comment, Environment, Onboarding, PdfExport
from checklist.pdf import render_html_to_pdf
from checklist.presentation import evidence_runs, invalidating_changes, step_cards
from checklist.state import OnboardingState
from checklist.steps import STEPS

logger = logging.getLogger(__name__)

ROLE_LABELS = {
    "authority": "Behörde",
    "provider": "IT-Dienstleister",
    "both": "Behörde und IT-Dienstleister",
}


def record_context(onboarding: Onboarding) -> dict[str, Any]:
    """Return everything the record PDF shows, derived once.

    Nothing in it depends on who exports it or when, so the same content gives the same
    HTML and the rendered PDF can be served again (``export_for``).
    """
    state = OnboardingState(onboarding)
    comment_counts = dict(
        Comment.objects.filter(item__onboarding=onboarding)
        .values_list("item__key")
        .annotate(count=Count("id"))
    )
    cards = step_cards(state)
    steps = [
        {
            "card": card,
            "rows": [
                {
                    "view": view,
                    "done_by": view.item.kind.pdf_done_by(view),
                    "role": ROLE_LABELS[view.item.role],
                    "comments": comment_counts.get(view.item.key, 0),
                }
                for view in state.items(card.step.number)
            ],
        }
        for card in cards
    ]
    environments = [
        {
            "environment": environment,
            "record": state.records.get(environment),
            "signoff": state.signoff(environment),
            "changes": invalidating_changes(state.signoff(environment)),
            "evidence_runs": evidence_runs(state, environment),
            # What the sign-off rests on and what it froze, in words (the hash stays below).
            "evidence": recorded(state.signoff(environment)),
            "frozen": frozen.groups(getattr(state.signoff(environment), "snapshot", None)),
            "history": list(
                onboarding.signoffs.filter(environment=environment).select_related(
                    "declared_by", "decided_by"
                )
            ),
        }
        for environment in Environment
    ]
    runs = verification.last_runs(onboarding)
    labels = environment_labels()
    last_change = onboarding.audit_events.values_list("created_at", flat=True).first()
    return {
        "onboarding": onboarding,
        "state": state,
        "runs": [(environment_label(env, labels), run) for env, run in runs.items()],
        "steps": steps,
        "overall": state.overall(),
        "current_step": state.current_step(),
        "next_action": state.next_action(),
        "leistungen": state.leistungen,
        "environments": environments,
        "as_of": timezone.localtime(last_change) if last_change else None,
    }


def record_html(onboarding: Onboarding) -> str:
    """Return the HTML of the onboarding's checklist and go-live record, in German."""
    with translation.override("de"):
        return render_to_string("checklist/pdf/record.html", record_context(onboarding))


def export_record(onboarding: Onboarding) -> bytes:
    """Return the onboarding's checklist and go-live record as PDF/UA-1, in German."""
    return render_html_to_pdf(record_html(onboarding))


def export_blank() -> bytes:
    """Return the empty checklist of every catalogue item, for authorities that start on paper."""
    return render_html_to_pdf(blank_html())


def blank_html() -> str:
    """Return the HTML of the empty checklist (it names the day it was made)."""
    with translation.override("de"):
        cat = catalogue.load()
        steps = [
            {
                "step": step,
                "items": [(item, ROLE_LABELS[item.role]) for item in cat.for_step(step.number)],
            }
            for step in STEPS
        ]
        context = {
            "steps": steps,
            "catalogue_version": cat.version,
            "exported_at": timezone.localtime(),
        }
        return render_to_string("checklist/pdf/blank.html", context)


# Cached exports ---------------------------------------------------------------------------

# Rendered exports kept per onboarding (older ones are deleted when a new one is rendered).
KEEP_EXPORTS = 3


def export_for(onboarding: Onboarding | None) -> tuple[PdfExport, bool]:
    """Return the export of the current content and whether it still has to be rendered.

    The HTML is built (cheap) and hashed; a PDF rendered from the same HTML is reused.
    """
    html = record_html(onboarding) if onboarding is not None else blank_html()
    digest = hashlib.sha256(html.encode("utf-8")).hexdigest()
    found = PdfExport.objects.defer("html").filter(content_sha256=digest).first()
    if found is not None and not found.failed:
        return found, False
    if found is not None:  # a failed render: try again
        PdfExport.objects.filter(pk=found.pk).update(
            failed=False, html=html, lease_until=None, attempts=0
        )
        found.failed = False
        return found, True
    try:
        with transaction.atomic():
            return PdfExport.objects.create(
                onboarding=onboarding, content_sha256=digest, html=html
            ), True
    except IntegrityError:  # requested at the same moment by someone else
        return PdfExport.objects.defer("html").get(content_sha256=digest), False


def render_export(export_id: int) -> None:
    """Render a requested export (in the background worker) and drop outdated ones."""
    pending = PdfExport.objects.filter(pk=export_id, rendered_at=None).first()
    if pending is None:
        return
    try:
        pdf = render_html_to_pdf(pending.html)
    except Exception:
        logger.exception("PDF export %s could not be rendered", export_id)
        PdfExport.objects.filter(pk=export_id).update(failed=True)
        return
    PdfExport.objects.filter(pk=export_id).update(pdf=pdf, html="", rendered_at=timezone.now())
    if pending.onboarding_id is not None:
        outdated = PdfExport.objects.filter(
            onboarding_id=pending.onboarding_id, rendered_at__isnull=False
        ).values_list("pk", flat=True)[KEEP_EXPORTS:]
        PdfExport.objects.filter(pk__in=list(outdated)).delete()


def filename(onboarding: Onboarding | None, when: datetime) -> str:
    stamp = timezone.localtime(when).strftime("%Y-%m-%d")
    return (
        f"checkliste-{onboarding.slug}-{stamp}.pdf"
        if onboarding
        else f"checkliste-leer-{stamp}.pdf"
    )
