"""Archive copies of the go-live record: a PDF/A-3 with its evidence embedded, kept unchanged.

When an environment is approved (``checklist.signoff.approve``, after the commit) and when a
participant asks for one of a finished onboarding, the worker renders the record as it
stands into a PDF/A-3b and embeds the machine-readable evidence as ``nachweise.json``
(``AFRelationship`` Data): every sign-off with its frozen snapshot and evidence, every
connection check and conformance run with its results, the catalogue version and the head
of the onboarding's audit chain. The bytes and their SHA-256 are stored once
(``ArchiveCopy``, no update path) and the Protokoll records the checksum.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from checklist import export
from checklist.audit import audit
from checklist.models import (
    ArchiveCopy,
    AuditEvent,
    ConformanceRun,
    Environment,
    Onboarding,
    VerificationRun,
)
from checklist.pdf import render_html_to_pdf_a3
from portal.models import User

logger = logging.getLogger(__name__)

EVIDENCE_NAME = "nachweise.json"
EVIDENCE_FORMAT = 1

SIGNOFF_FIELDS = (
    "id",
    "environment",
    "state",
    "declared_at",
    "decided_at",
    "reason",
    "snapshot",
    "snapshot_sha256",
    "invalidated_at",
    "invalidated_changes",
    "evidence",
)
RUN_FIELDS = (
    "id",
    "environment",
    "started_at",
    "finished_at",
    "status",
    "hosts",
    "api_version",
    "rehearsal",
    "changed_items",
)


def _plain(data: Any) -> Any:
    """The data as it reads back from JSON (dates as ISO text)."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _fields(row: models.Model, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def _person(user: Any) -> str | None:
    return str(user) if user is not None else None


def _runs(onboarding: Onboarding) -> dict[str, list[dict[str, Any]]]:
    checks = VerificationRun.objects.filter(onboarding=onboarding).select_related(
        "started_by", "started_by_token"
    )
    conformance = ConformanceRun.objects.filter(onboarding=onboarding).select_related(
        "started_by", "started_by_token"
    )
    # Never the run's stored secrets (``secrets_ciphertext``): only what it found.
    return {
        "connection_checks": [
            {
                **_fields(run, RUN_FIELDS),
                "started_by": _person(run.started_by or run.started_by_token),
                "demo": run.demo,
                "results": run.results,
            }
            for run in checks.order_by("started_at", "pk")
        ],
        "conformance_runs": [
            {
                **_fields(run, RUN_FIELDS),
                "started_by": _person(run.started_by or run.started_by_token),
                "cases": run.cases,
            }
            for run in conformance.order_by("started_at", "pk")
        ],
    }


def chain_head(onboarding: Onboarding) -> str | None:
    """The hash of the onboarding's newest audit entry: the head of its Protokoll's chain
    (``checklist.audit_chain``), None before the first entry."""
    newest = AuditEvent.objects.filter(onboarding=onboarding).order_by("-pk").first()
    return newest.entry_hash or None if newest is not None else None


def evidence(
    onboarding: Onboarding, *, reason: str, environment: str, created_at: Any
) -> dict[str, Any]:
    """Everything the archive copy embeds, as plain JSON data."""
    signoffs = onboarding.signoffs.select_related("declared_by", "decided_by").order_by(
        "declared_at", "pk"
    )
    data = {
        "format": EVIDENCE_FORMAT,
        "created_at": created_at,
        "reason": reason,
        "environment": environment or None,
        "onboarding": {
            "slug": onboarding.slug,
            "name": onboarding.name,
            "authority": onboarding.authority.name,
            "provider": onboarding.provider.name if onboarding.provider else None,
            "in_house": onboarding.in_house,
            "catalogue_version": onboarding.catalogue_version,
        },
        "catalogue_version": onboarding.catalogue_version,
        "signoffs": [
            {
                **_fields(signoff, SIGNOFF_FIELDS),
                "declared_by": _person(signoff.declared_by),
                "decided_by": _person(signoff.decided_by),
            }
            for signoff in signoffs
        ],
        **_runs(onboarding),
        "audit_chain_head": chain_head(onboarding),
    }
    return dict(_plain(data))


def finished(onboarding: Onboarding) -> bool:
    """Whether the production environment holds a valid sign-off (the onboarding's goal)."""
    latest = onboarding.signoffs.filter(environment=Environment.PRODUCTION).first()
    return latest is not None and latest.is_valid


def _cover_note(created_at: Any) -> str:
    when = timezone.localtime(created_at)
    return (
        f'<p class="subtitle">Archivkopie vom {when:%d.%m.%Y}, {when:%H:%M} Uhr. '
        f"Die Nachweise (eingefrorene Stände, Prüfläufe und ihre Ergebnisse, Freigaben) sind "
        f"als Datei „{EVIDENCE_NAME}“ in dieses PDF/A-3 eingebettet.</p>"
    )


def render(onboarding: Onboarding, data: dict[str, Any], created_at: Any) -> bytes:
    """Render the record as it stands into a PDF/A-3b with the evidence embedded."""
    html = export.record_html(onboarding)
    # The note goes under the title page's subtitle.
    subtitle = html.index("</p>", html.index('<p class="subtitle">')) + len("</p>")
    html = html[:subtitle] + _cover_note(created_at) + html[subtitle:]
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    description = "Nachweise der Anbindung (maschinenlesbar)"
    return render_html_to_pdf_a3(html, [(EVIDENCE_NAME, description, text)])


def make_copy(
    onboarding_id: int,
    *,
    reason: str,
    environment: str = "",
    requested_by_id: int | None = None,
) -> ArchiveCopy | None:
    """Render and store one archive copy (in the worker); record its checksum in the Protokoll."""
    onboarding = (
        Onboarding.objects.select_related("authority", "provider").filter(pk=onboarding_id).first()
    )
    if onboarding is None:
        return None
    requested_by = User.objects.filter(pk=requested_by_id).first() if requested_by_id else None
    created_at = timezone.now()
    data = evidence(onboarding, reason=reason, environment=environment, created_at=created_at)
    pdf = render(onboarding, data, created_at)
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        copy = ArchiveCopy(
            onboarding=onboarding,
            onboarding_name=onboarding.name,
            onboarding_slug=onboarding.slug,
            reason=reason,
            environment=environment,
            requested_by=requested_by,
            pdf=pdf,
            sha256=digest,
        )
        copy.save()
        audit(
            onboarding,
            requested_by,
            AuditEvent.Action.ARCHIVE_COPY,
            f"archive:{copy.pk}",
            new=f"SHA-256 {digest}",
        )
        # The onboarding page lists the copies; its cached parts go by the revision.
        Onboarding.objects.filter(pk=onboarding.pk).update(revision=F("revision") + 1)
    logger.info("Archive copy %s of onboarding %s stored", copy.pk, onboarding.pk)
    return copy


def listed(onboarding: Onboarding) -> list[ArchiveCopy]:
    """The onboarding's archive copies, newest first, without their bytes."""
    return list(onboarding.archive_copies.defer("pdf"))
