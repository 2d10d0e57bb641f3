"""Large overview exports and the management report, built by the background worker
instead of in the request.

Above ``INLINE_LIMIT`` rows the overview's CSV or XLSX is requested as a ``FileExport``:
the worker builds it with the requester's view of the overview (her memberships and the
organisation chosen when she asked, the filters and the sort of her query string), keeps
the bytes and their SHA-256, and the waiting page (htmx) leads to the download of exactly
those bytes. A person who has left the organisation meanwhile gets no file.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.http import QueryDict
from django.tasks import task
from django.utils import timezone

from checklist import management_report, overview, overview_export
from checklist.models import FileExport
from checklist.overview_search import select
from portal.models import Membership, Organisation, User

logger = logging.getLogger(__name__)

INLINE_LIMIT = 2000
# Built files are kept this long (the waiting page and a second download need them).
KEEP = timedelta(days=7)
# Like a PDF someone waits for (checklist.tasks.PDF_PRIORITY): before slower work.
EXPORT_PRIORITY = 50


def request_overview_export(
    user: User, organisation: Organisation | None, query: str, file_format: str
) -> FileExport:
    """Record the export and hand it to the worker (and drop files older than ``KEEP``)."""
    FileExport.objects.filter(requested_at__lt=timezone.now() - KEEP).delete()
    export = FileExport.objects.create(
        requested_by=user, organisation=organisation, query=query, format=file_format
    )
    build_overview_export.enqueue(export.pk)
    export.refresh_from_db()  # with the immediate backend (tests) it is built already
    return export


def request_report(user: User, organisation: Organisation | None, query: str) -> FileExport:
    """Record the management report's PDF (month and filters in the query) for the worker."""
    return request_overview_export(user, organisation, query, FileExport.Format.PDF)


def _build(export: FileExport) -> tuple[bytes, int | None]:
    user = export.requested_by
    memberships = list(
        Membership.objects.filter(user=user, user__is_active=True).select_related("organisation")
    )
    organisation = None
    if export.organisation_id is not None:
        chosen = [m for m in memberships if m.organisation_id == export.organisation_id]
        if not chosen:
            raise PermissionError("no longer a member of the organisation")
        organisation = chosen[0].organisation
    if export.format == FileExport.Format.PDF:
        return management_report.report_pdf(user, memberships, organisation, export.query), None
    data = QueryDict(export.query)
    chosen_rows = select(user, memberships, organisation, data)
    onboardings, _sort = overview.sorted_by(chosen_rows.onboardings, data.get("sort", "name"))
    count = onboardings.count()
    if export.format == FileExport.Format.XLSX:
        return overview_export.xlsx_bytes(onboardings), count
    return "".join(overview_export.csv_lines(onboardings)).encode("utf-8"), count


@task(priority=EXPORT_PRIORITY)
def build_overview_export(export_id: int) -> None:
    """Build a requested overview export once; a failure is recorded, never half a file."""
    export = FileExport.objects.select_related("requested_by").filter(pk=export_id).first()
    if export is None or export.finished_at is not None:
        return
    try:
        content, count = _build(export)
    except Exception as error:
        logger.warning("Overview export %s failed: %s", export_id, type(error).__name__)
        FileExport.objects.filter(pk=export_id).update(failed=True, finished_at=timezone.now())
        return
    FileExport.objects.filter(pk=export_id).update(
        content=content,
        content_sha256=hashlib.sha256(content).hexdigest(),
        rows=count,
        finished_at=timezone.now(),
    )
