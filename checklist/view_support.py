"""What the onboarding views share: the participation of the request, the item named in the
URL, and the answers to a change of an item (htmx or a plain form post)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.context_processors import csrf
from django.template.loader import render_to_string
from django.urls import reverse

from checklist import catalogue, presentation, services, tick_counters
from checklist.access import Participation, get_onboarding_for_user
from checklist.catalogue import Item
from checklist.forms import HandTickForm
from checklist.state import OnboardingState
from portal.types import AuthenticatedHttpRequest


def participation_for(
    request: AuthenticatedHttpRequest, slug: str, *, lock: bool = False
) -> Participation:
    participation = get_onboarding_for_user(request.user, slug, request.memberships, lock=lock)
    services.ensure_catalogue(participation.onboarding, request.user)
    return participation


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def item_or_404(key: str) -> Item:
    item = catalogue.load().by_key().get(key)
    if item is None:
        raise Http404
    return item


def item_response(
    request: AuthenticatedHttpRequest,
    participation: Participation,
    item: Item,
    announcement: str,
    state: OnboardingState | None = None,
) -> HttpResponse:
    """Return the item's new HTML (htmx) or go back to the step page (plain form post).

    With the state of a tick only the item's status part is rendered; notes and comments
    render the whole item. Counters and the announcement come out of band.
    """
    if not request.htmx:
        messages.success(request, announcement)
        url = reverse("step", args=[participation.onboarding.slug, item.step])
        return redirect(f"{url}#item-{item.dom_id}")
    answer = "tick_answer" if state is not None else "item_answer"
    context = presentation.item_response_context(
        participation, item, state, with_comments=state is None
    )
    context["announcement"] = announcement
    if state is None:
        return render(request, f"checklist/step.html#{answer}", context)
    # progress_oob and announce_oob, their HTML made once per language
    context["counters"] = tick_counters.counters(
        context["card"].progress, context["overall"], announcement
    )
    # Of what the context processors add, the tick's partials show the CSRF token alone
    # (lazy, as the processor gives it): rendered without the others, on every tick.
    context.update(csrf(request))
    return HttpResponse(render_to_string(f"checklist/step.html#{answer}", context))


def refuse(
    request: AuthenticatedHttpRequest, participation: Participation, item: Item, message: str
) -> HttpResponse:
    if not request.htmx:
        messages.error(request, message)
        return redirect("step", slug=participation.onboarding.slug, number=item.step)
    context = {"announcement": message, "error": True}
    return HttpResponse(
        render_to_string("checklist/step.html#announce_oob", context, request=request)
    )


def reason_refused(
    request: AuthenticatedHttpRequest, participation: Participation, item: Item, form: HandTickForm
) -> HttpResponse:
    """A hand tick without a (valid) reason: the item again with the message at the field and
    what was typed, nothing saved; htmx gets the item's status, a plain post the step page."""
    message = " ".join(str(error) for error in form.errors["reason"])
    if request.htmx:
        context = presentation.item_response_context(participation, item, with_comments=False)
        context["entry"]["reason_form"] = form
        context.update({"announcement": message, "error": True})
        return render(request, "checklist/step.html#tick_refused", context)
    context = presentation.step_context(participation, item.step)
    for entry in context["items"]:
        if entry["view"].item.key == item.key:
            entry["reason_form"] = form
    context["tick_form"] = form
    return render(request, "checklist/step.html", context)
