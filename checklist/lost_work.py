"""Runs and PDF exports whose worker was lost: resumed by another worker or ended as aborted.

Their tasks (``checklist.tasks``) hold a lease (``portal.leases``) while they work. When a
worker dies mid-task the lease passes unrenewed, and the next reader of the row settles it:
the pages and the API that show a run or an export, and the scheduled jobs
(``settle_all`` in ``run_scheduled_jobs``), so a lost run ends within the lease time
(``settings.TASK_LEASE_SECONDS``) even when nobody looks at it.

- A connection check is ended as aborted (``VerificationRun.Outcome.ABORTED``): the check
  that was running may have sent a test submission, and the secrets typed for the run may
  have expired; the page says so and offers to check again (one click, same rules as
  starting a check). Items are neither ticked nor reopened by it.
- A conformance run is resumable (cases already sent are not sent again): its task is
  enqueued once more; if that attempt is lost too (``MAX_ATTEMPTS``) it is aborted.
- A PDF export is rendered again once, then counts as failed (its page offers a retry).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from checklist import stage_rows, tasks
from checklist.models import ConformanceRun, Onboarding, PdfExport, VerificationRun
from portal import leases

logger = logging.getLogger(__name__)

# How many workers may take a resumable task before it counts as lost for good.
MAX_ATTEMPTS = 2

# What the pages and the API say about an aborted run.
RUN_ABORTED = _(
    "The check was aborted: the background process running it stopped before it finished "
    "(e.g. a restart of the server). No checklist item was changed. Please start the check "
    "again."
)
CONFORMANCE_ABORTED = _(
    "The conformance run was aborted: the background process running it stopped twice "
    "before it finished (e.g. a restart of the server). No checklist item was changed. "
    "Please start the conformance run again."
)


def _unfinished_runs() -> QuerySet[VerificationRun]:
    return VerificationRun.objects.filter(finished_at=None)


def _unfinished_conformance() -> QuerySet[ConformanceRun]:
    return ConformanceRun.objects.filter(finished_at=None)


def _unrendered_exports() -> QuerySet[PdfExport]:
    return PdfExport.objects.filter(rendered_at=None, failed=False)


def _end(rows: QuerySet[Any], row: Any, **values: Any) -> bool:
    """Set ``values`` on the row if its lease is still the expired one seen; True if so."""
    ended = rows.filter(pk=row.pk, lease_until=row.lease_until).update(**values)
    if ended:
        for name, value in values.items():
            setattr(row, name, value)
    return bool(ended)


def settle_run(run: VerificationRun) -> bool:
    """End a connection check whose worker was lost as aborted; True if it was."""
    if run.finished_at is not None or not leases.is_expired(run):
        return False
    aborted = _end(
        _unfinished_runs(),
        run,
        status=VerificationRun.Outcome.ABORTED,
        finished_at=timezone.now(),
        secrets_ciphertext="",
    )
    if aborted:
        logger.warning("Connection check %s lost its worker and was aborted", run.pk)
    return aborted


def settle_conformance(run: ConformanceRun) -> bool:
    """Resume a conformance run whose worker was lost, or abort it after MAX_ATTEMPTS."""
    if run.finished_at is not None or not leases.is_expired(run):
        return False
    if run.attempts < MAX_ATTEMPTS:
        if leases.release(_unfinished_conformance(), run):
            logger.warning("Conformance run %s lost its worker and is resumed", run.pk)
            run.lease_until = None
            tasks.run_conformance.enqueue(run.pk)
            run.refresh_from_db()  # with the immediate backend (tests) it has finished
            return True
        return False
    aborted = _end(
        _unfinished_conformance(),
        run,
        status=ConformanceRun.Outcome.ABORTED,
        finished_at=timezone.now(),
    )
    if aborted:
        logger.warning("Conformance run %s lost its worker again and was aborted", run.pk)
    return aborted


def settle_export(export: PdfExport) -> bool:
    """Render a PDF export whose worker was lost again, or let it fail after MAX_ATTEMPTS."""
    if export.ready or export.failed or not leases.is_expired(export):
        return False
    if export.attempts < MAX_ATTEMPTS:
        if leases.release(_unrendered_exports(), export):
            export.lease_until = None
            tasks.render_pdf.enqueue(export.pk)
            export.refresh_from_db()
            return True
        return False
    return _end(_unrendered_exports(), export, failed=True)


def settle_onboarding(onboarding: Onboarding) -> bool:
    """Settle the onboarding's lost runs (the step page, before it shows them); True if any.

    One query while none is lost (both kinds of run looked for together, written out in
    ``checklist.stage_rows``: every first view of a stage's step page asks it).
    """
    if not stage_rows.any_lost(onboarding):
        return False
    settled = False
    for run in leases.expired(_unfinished_runs().filter(onboarding=onboarding)):
        settled = settle_run(run) or settled
    for conformance_run in leases.expired(_unfinished_conformance().filter(onboarding=onboarding)):
        settled = settle_conformance(conformance_run) or settled
    return settled


def settle_all() -> int:
    """Settle every lost run and export (a scheduled job); return how many were settled."""
    settled = 0
    for run in leases.expired(_unfinished_runs()):
        settled += settle_run(run)
    for conformance_run in leases.expired(_unfinished_conformance()):
        settled += settle_conformance(conformance_run)
    for export in leases.expired(_unrendered_exports()).defer("html", "pdf"):
        settled += settle_export(export)
    return settled
