"""The benchmark's measuring views (``make bench`` only, through ``bench.urls``).

``bench_bare`` is an empty page behind the full middleware; ``bench_write_floor`` runs the
four statements a durable tick cannot do without, in raw SQL; ``bench_read_floor`` reads
what a step page shows, in raw SQL; ``bench_render_floor`` renders a step page's
templates from a context built ahead. They live here, not in the product: no production
module writes another app's tables.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from checklist import page_cache, presentation
from checklist.audit_chain import content_hash
from checklist.models import Environment
from checklist.steps import STEPS
from checklist.view_support import participation_for
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
    state, read the Protokoll's head and add an audit row chained onto it, write the summary. Values stay as they were (the note is
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
        # The audit row is chained onto the onboarding's Protokoll (checklist.audit_chain).
        cursor.execute(
            "SELECT entry_hash FROM checklist_auditevent WHERE onboarding_id = %s"
            " ORDER BY id DESC LIMIT 1",
            [onboarding_id],
        )
        head = cursor.fetchone()
        entry = SimpleNamespace(
            onboarding_id=onboarding_id,
            actor_id=request.user.pk,
            api_token_id=None,
            run_id=None,
            created_at=timezone.now(),
            step=2,
            action="note_changed",
            subject=f"item:{key}",
            old_value="",
            new_value="",
            previous_hash=head[0] if head else "",
        )
        cursor.execute(
            "INSERT INTO checklist_auditevent (onboarding_id, actor_id, created_at, step, action,"
            " subject, old_value, new_value, previous_hash, entry_hash)"
            " VALUES (%s, %s, %s, 2, 'note_changed', %s, '', '', %s, %s)",
            [
                onboarding_id,
                entry.actor_id,
                entry.created_at,
                entry.subject,
                entry.previous_hash,
                content_hash(entry),
            ],
        )
        cursor.execute(
            "UPDATE checklist_onboarding SET progress_done = %s WHERE id = %s",
            [progress_done, onboarding_id],
        )
    return HttpResponse("ok", content_type="text/plain")


# What a step page shows beside its items, in raw SQL: per step, the reads it makes (see
# ``checklist.presentation.step_context`` and ``checklist.step_reads``). ``%(o)s`` is the
# onboarding's id, ``%(stage)s`` the stage the step signs off.
_LEISTUNGEN = "SELECT * FROM checklist_leistung WHERE onboarding_id = %(o)s ORDER BY key"
_ENVIRONMENTS = (
    "SELECT e.*, r.* FROM checklist_fitconnectenvironment e LEFT JOIN"
    " checklist_environmentrecord r ON r.environment = e.key AND r.onboarding_id = %(o)s"
    " ORDER BY e.position"
)
_STAGE_READS = (
    "SELECT EXISTS (SELECT 1 FROM checklist_verificationrun WHERE finished_at IS NULL"
    " AND onboarding_id = %(o)s AND lease_until < now()) OR EXISTS (SELECT 1 FROM"
    " checklist_conformancerun WHERE finished_at IS NULL AND onboarding_id = %(o)s"
    " AND lease_until < now())",
    _ENVIRONMENTS,
    "SELECT x.*, u.full_name FROM checklist_verificationrun x"
    " LEFT JOIN portal_user u ON u.id = x.started_by_id"
    " WHERE x.onboarding_id = %(o)s ORDER BY x.started_at DESC",
    "SELECT x.*, u.full_name FROM checklist_conformancerun x"
    " LEFT JOIN portal_user u ON u.id = x.started_by_id"
    " WHERE x.onboarding_id = %(o)s AND x.environment IN (SELECT key FROM"
    " checklist_fitconnectenvironment WHERE stage = %(stage)s)"
    " ORDER BY x.started_at DESC LIMIT 20",
    "SELECT s.*, a.full_name, d.full_name FROM checklist_signoff s"
    " LEFT JOIN portal_user a ON a.id = s.declared_by_id"
    " LEFT JOIN portal_user d ON d.id = s.decided_by_id"
    " WHERE s.onboarding_id = %(o)s ORDER BY s.declared_at DESC",
    _LEISTUNGEN,
    "SELECT x.id, x.environment, x.kind, x.client_id, x.updated_at, u.full_name"
    " FROM checklist_storedsecret x LEFT JOIN portal_user u ON u.id = x.updated_by_id"
    " WHERE x.onboarding_id = %(o)s",
)
_STEP_READS: dict[int, tuple[str, ...]] = {
    1: (_LEISTUNGEN,),
    2: (_ENVIRONMENTS,),
    3: _STAGE_READS,
    4: _STAGE_READS,
    5: _STAGE_READS,
}


@login_required
def bench_read_floor(request: AuthenticatedHttpRequest, slug: str, number: int) -> HttpResponse:
    """The least a step page seen for the first time can cost.

    Behind the same middleware as the page, it reads in raw SQL what the page reads, step by
    step as the page does: the onboarding (only where the person's organisation takes part),
    the step's item states with who ticked them (a person or a token) and their comments
    with their authors, the people of both sides, and then what the step shows beside its
    items (the Leistungen in step 1, the environments with their records in step 2; in steps
    3 to 5 interrupted checks, environments, connection checks, conformance checks,
    sign-offs, Leistungen and stored secrets). Nothing is built from the rows, nothing
    rendered.
    """
    if number not in _STEP_READS:
        raise Http404
    organisations = [m.organisation_id for m in request.memberships]
    if not organisations:
        raise Http404
    marks = ", ".join(["%s"] * len(organisations))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, authority_id, provider_id, * FROM checklist_onboarding WHERE slug = %s"  # noqa: S608
            f" AND (authority_id IN ({marks}) OR provider_id IN ({marks}))",
            [slug, *organisations, *organisations],
        )
        row = cursor.fetchone()
        if row is None:
            raise Http404
        onboarding_id, authority_id, provider_id = row[0], row[1], row[2]
        cursor.execute(
            "SELECT s.*, u.full_name, t.name, c.*, a.full_name, at.name"
            " FROM checklist_itemstate s"
            " LEFT JOIN portal_user u ON u.id = s.done_by_id"
            " LEFT JOIN portal_apitoken t ON t.id = s.done_by_token_id"
            " LEFT JOIN checklist_comment c ON c.item_id = s.id"
            " LEFT JOIN portal_user a ON a.id = c.author_id"
            " LEFT JOIN portal_apitoken at ON at.id = c.author_token_id"
            " WHERE s.onboarding_id = %s AND s.key LIKE %s ORDER BY s.id, c.created_at",
            [onboarding_id, f"step{number}.%"],
        )
        cursor.fetchall()
        cursor.execute(
            "SELECT m.organisation_id, u.id, u.full_name, u.email FROM portal_membership m"
            " JOIN portal_user u ON u.id = m.user_id WHERE m.organisation_id IN (%s, %s)"
            " AND u.is_active ORDER BY u.full_name, u.email",
            [authority_id, provider_id or authority_id],
        )
        cursor.fetchall()
        stage = Environment.of_step(number)  # steps 3 to 5 sign a stage off
        values = {"o": onboarding_id, "stage": stage.value if stage else ""}
        for sql in _STEP_READS[number]:
            cursor.execute(sql, values)
            cursor.fetchall()
    return HttpResponse("ok", content_type="text/plain")


# Contexts built ahead for bench_render_floor, per app server process (the bench's only).
_built: dict[tuple[str, int, str, int], tuple[dict[str, Any], dict[str, Any]]] = {}


@login_required
def bench_render_floor(request: AuthenticatedHttpRequest, slug: str, number: int) -> HttpResponse:
    """The least rendering a step page seen for the first time costs with its templates.

    Behind the same middleware as the page, it renders the page's part and the frame around
    it (``checklist/step.html``) exactly as ``page_cache.page`` does on a miss, but from a
    context built on this process's first request for the page and kept: no statement
    after that, nothing built, only the templates. With the read floor it bounds from
    below what a first view can cost while the page is rendered by these templates.
    """
    if number not in range(1, 6):
        raise Http404
    key = (slug, number, translation.get_language(), request.user.pk)
    if key not in _built:
        participation = participation_for(request, slug)
        frame = {"onboarding": participation.onboarding, "step": STEPS[number - 1]}
        _built[key] = (presentation.step_context(participation, number), frame)
    context, frame = _built[key]
    part = render_to_string(
        "checklist/step.html#page",
        {**context, "csrf_token": page_cache.CSRF_PLACEHOLDER},
        request=request,
    )
    html = render_to_string(
        "checklist/step.html",
        {
            **frame,
            "csrf_token": page_cache.CSRF_PLACEHOLDER,
            "csp_nonce": page_cache.NONCE_PLACEHOLDER,
            "session_seconds": page_cache.SESSION_PLACEHOLDER,
            "page_part": mark_safe(part),  # noqa: S308 - rendered just now by the templates
        },
        request=request,
    )
    return HttpResponse(html)
