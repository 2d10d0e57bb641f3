"""The onboarding's archive copies: ask for one (a finished onboarding), download one as stored."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from checklist import archive, tasks
from checklist.models import ArchiveCopy
from checklist.view_support import participation_for, require
from portal.types import AuthenticatedHttpRequest


@login_required
@require_POST
def archive_request(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Have the worker keep an archive copy of a finished onboarding as it stands now."""
    participation = participation_for(request, slug)
    require(not participation.reader)
    onboarding = participation.onboarding
    if not archive.finished(onboarding):
        messages.error(
            request,
            _(
                "An archive copy can be made on request once the production environment "
                "is signed off."
            ),
        )
    else:
        tasks.request_archive_copy(onboarding, request.user)
        messages.success(
            request,
            _("The archive copy is being made; it appears in the list in a moment."),
        )
    return redirect("onboarding_detail", slug=slug)


@login_required
@require_GET
def archive_download(request: AuthenticatedHttpRequest, slug: str, copy_id: int) -> HttpResponse:
    """Exactly the bytes stored, under a name with the copy's date."""
    participation = participation_for(request, slug)
    copy = ArchiveCopy.objects.filter(onboarding=participation.onboarding, pk=copy_id).first()
    if copy is None:
        raise Http404
    stamp = timezone.localtime(copy.created_at).strftime("%Y-%m-%d-%H%M")
    response = HttpResponse(bytes(copy.pdf), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="archivkopie-{copy.onboarding_slug}-{stamp}.pdf"'
    )
    response["Cache-Control"] = "no-store"
    response["Digest"] = f"sha-256={copy.sha256}"
    return response
