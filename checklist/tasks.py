"""Work that must not hold up a request: connection checks, conformance runs, PDF renders.

Each runs as a task of Django's tasks framework in the background worker
(``manage.py db_worker``); the page polls for progress. The services here start them.
Each task holds a lease on its row while it works (``portal.leases``); a row whose worker
was lost is resumed or ended by ``checklist.lost_work``.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.tasks import task

from checklist import archive, conformance, export, verification
from checklist.models import (
    ArchiveCopy,
    ConformanceRun,
    FitConnectEnvironment,
    Onboarding,
    PdfExport,
    VerificationRun,
)
from portal import leases, memory
from portal.models import Actor, User

logger = logging.getLogger(__name__)


@task()
def run_checks(run_id: int) -> None:
    """Run a verification run's checks (its typed secrets are stored encrypted on the run)."""
    rows = VerificationRun.objects.filter(finished_at=None)
    if leases.claim(rows, run_id):
        with leases.Renewal(rows, run_id):
            verification.execute_run(run_id)


@task()
def run_conformance(run_id: int) -> None:
    """Send a conformance run's cases and wait for the answers; calling it again resumes."""
    rows = ConformanceRun.objects.filter(finished_at=None)
    if leases.claim(rows, run_id):
        with leases.Renewal(rows, run_id):
            conformance.execute(run_id)


# A PDF someone waits for goes before connection checks and e-mails already queued (the
# worker takes the highest priority first): exports do not wait behind slower work.
PDF_PRIORITY = 50


@task(priority=PDF_PRIORITY)
def render_pdf(export_id: int) -> None:
    """Render a requested PDF export from its stored HTML."""
    rows = PdfExport.objects.filter(rendered_at=None, failed=False)
    if leases.claim(rows, export_id):
        with leases.Renewal(rows, export_id):
            export.render_export(export_id)
        memory.release()  # a render's boxes and fonts would otherwise stay with the worker


@task()
def make_archive_copy(
    onboarding_id: int, reason: str, environment: str = "", requested_by_id: int | None = None
) -> None:
    """Render and store an archive copy of the record as it stands (``checklist.archive``)."""
    archive.make_copy(
        onboarding_id, reason=reason, environment=environment, requested_by_id=requested_by_id
    )
    memory.release()


def archive_after_approval(onboarding_id: int, environment: str) -> None:
    """Have the worker keep an archive copy of an approval (called after it committed)."""
    make_archive_copy.enqueue(onboarding_id, ArchiveCopy.Reason.APPROVAL.value, environment)


def request_archive_copy(onboarding: Onboarding, user: User) -> None:
    """Have the worker keep an archive copy a person asked for (a finished onboarding)."""
    transaction.on_commit(
        lambda: make_archive_copy.enqueue(
            onboarding.pk, ArchiveCopy.Reason.ON_DEMAND.value, "", user.pk
        )
    )


def begin_run(
    onboarding: Onboarding,
    environment: FitConnectEnvironment,
    actor: Actor,
    *,
    provided: dict[str, str],
    store: bool,
) -> VerificationRun:
    """Open a run (keeping the typed secrets if asked to) and hand its checks to the worker.

    The actor is a person in the portal or an API token of the provider's pipeline.
    """
    run = verification.start_run(
        onboarding, environment, actor, store=provided if store else None, provided=provided
    )
    run_checks.enqueue(run.pk)
    run.refresh_from_db()  # with the immediate backend (tests) it has finished already
    return run


def begin_conformance(
    onboarding: Onboarding, environment: FitConnectEnvironment, actor: Actor
) -> ConformanceRun:
    """Open a conformance run and hand it to the worker (a person or an API token)."""
    run = conformance.start(onboarding, environment, actor)
    run_conformance.enqueue(run.pk)
    run.refresh_from_db()  # with the immediate backend (tests) it has finished already
    return run


def look_again(run: ConformanceRun) -> bool:
    """Have the worker look again for the answers a finished conformance run gave up on."""
    if not conformance.reopen(run):
        return False
    run_conformance.enqueue(run.pk)
    return True


def request_pdf(onboarding: Onboarding | None) -> PdfExport:
    """Return the PDF export of the onboarding's current content (or of the blank checklist).

    An unchanged content is served from the cache at once; otherwise the worker renders it.
    """
    pdf_export, created = export.export_for(onboarding)
    if created:
        render_pdf.enqueue(pdf_export.pk)
        pdf_export.refresh_from_db()
    return pdf_export
