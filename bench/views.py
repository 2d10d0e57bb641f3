"""The benchmark's measuring views (``make bench`` only, through ``bench.urls``).

``bench_bare`` is an empty page behind the full middleware; ``bench_write_floor`` runs the
four statements a durable tick cannot do without, in raw SQL. They live here, not in the
product: no production module writes another app's tables.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from portal.types import AuthenticatedHttpRequest


def bench_bare(request: HttpRequest) -> HttpResponse:
    """An empty page behind the full middleware."""
    user = request.user  # signed in or not, as any page asks
    return HttpResponse(f"ok {user.pk or '-'}", content_type="text/plain")


@login_required
@require_POST
def bench_write_floor(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The least a durable tick can cost.

    Behind the same middleware and CSRF check as a tick, it runs the four statements a tick
    cannot do without, in raw SQL and one transaction: lock the onboarding, write an item
    state, add an audit row, write the summary. Values stay as they were (the note is
    written unchanged, the audit row says so), nothing is rendered.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        select = "SELECT id, progress_done FROM checklist_onboarding WHERE slug = %s"
        if connection.features.has_select_for_update:  # PostgreSQL; SQLite locks the file
            select += " FOR UPDATE"
        cursor.execute(select, [slug])
        row = cursor.fetchone()
        if row is None:
            raise Http404
        onboarding_id, progress_done = row
        key = "step2.client"
        cursor.execute(
            "UPDATE checklist_itemstate SET note = note WHERE onboarding_id = %s AND key = %s",
            [onboarding_id, key],
        )
        cursor.execute(
            "INSERT INTO checklist_auditevent (onboarding_id, actor_id, created_at, step, action,"
            " subject, old_value, new_value) VALUES (%s, %s, %s, 2, 'note_changed', %s, '', '')",
            [onboarding_id, request.user.pk, timezone.now(), f"item:{key}"],
        )
        cursor.execute(
            "UPDATE checklist_onboarding SET progress_done = %s WHERE id = %s",
            [progress_done, onboarding_id],
        )
    return HttpResponse("ok", content_type="text/plain")
