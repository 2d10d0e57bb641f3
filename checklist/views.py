"""Views of the onboarding: overview, steps, checklist items, recorded data, sign-offs, audit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from checklist import (
    archive,
    leika,
    lost_work,
    page_cache,
    people,
    presentation,
    rules,
    saved_filters,
    services,
)
from checklist import overview as overview_query
from checklist.audit import describe_actor
from checklist.audit_sentences import sentence
from checklist.environments import environment_labels, get_environment
from checklist.forms import (
    CommentForm,
    EnvironmentRecordForm,
    HandTickForm,
    LeistungForm,
    MetadataVersionsForm,
    NoteForm,
    OnboardingForm,
    SendBackForm,
)
from checklist.models import (
    Environment,
    EnvironmentRecord,
    Leistung,
    Onboarding,
)
from checklist.overview_search import selection
from checklist.signoff import approve, declare_ready, send_back
from checklist.state import NotAllowed, ReasonRequired
from checklist.steps import GUIDE_URL, STEPS
from checklist.view_support import (
    item_or_404,
    item_response,
    participation_for,
    reason_refused,
    refuse,
    require,
)
from portal.converters import parse_id
from portal.mfa import require_second_factor
from portal.models import ApiToken, Organisation, User
from portal.types import AuthenticatedHttpRequest
from watch import summary as watch_summary

# Overview and creation ------------------------------------------------------------------


@login_required
@require_GET
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    membership = request.membership
    chosen = selection(request)
    form, values, onboardings = chosen.form, chosen.values, chosen.onboardings
    organisation = chosen.organisation
    onboardings, sort = overview_query.sorted_by(onboardings, request.GET.get("sort", "name"))
    page, rows = overview_query.page_of(onboardings, request.GET.get("page"))
    # Links keep the filters; the sort and page links add their own parameter.
    kept = request.GET.copy()
    for name in ("sort", "page"):
        kept.pop(name, None)
    can_create = (
        membership is not None and membership.organisation.is_authority and membership.is_admin
    )
    return render(
        request,
        "checklist/overview.html",
        {
            "rows": rows,
            "page": page,
            "form": form,
            "filtered": bool(values and any(values.values())),
            "query": kept.urlencode(),
            "sort": sort,
            "sort_query": f"sort={sort}&" if sort != "name" else "",
            "sort_columns": overview_query.SORT_COLUMNS,
            "can_create": can_create,
            "organisation": organisation,
            "operator": request.user.is_staff or request.user.is_superuser,
            "steps": STEPS,
            "guide_url": GUIDE_URL,
            "saved_filters": list(saved_filters.of(request.user)),
            "save_query": saved_filters.cleaned_query(f"{kept.urlencode()}&sort={sort}"),
        },
    )


def _unique_slug(authority: Organisation, name: str) -> str:
    base = slugify(f"{authority.slug}-{name}")[:90] or "vorhaben"
    slug, number = base, 2
    while Onboarding.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


@login_required
@require_http_methods(["GET", "POST"])
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    membership = request.membership
    if membership is None or not (membership.organisation.is_authority and membership.is_admin):
        raise Http404
    form = OnboardingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        onboarding = form.instance
        onboarding.authority = membership.organisation
        onboarding.slug = _unique_slug(membership.organisation, onboarding.name)
        services.apply_provider(onboarding, form.cleaned_data.get("provider_choice"))
        services.create_onboarding(onboarding, request.user)
        messages.success(
            request, _("The onboarding “%(name)s” has been created.") % {"name": onboarding.name}
        )
        return redirect("onboarding_detail", slug=onboarding.slug)
    return render(request, "checklist/onboarding_form.html", {"form": form, "onboarding": None})


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    participation = participation_for(request, slug)
    require(participation.is_authority_member)
    onboarding = participation.onboarding
    form = OnboardingForm(
        request.POST or None, instance=onboarding, can_assign_provider=participation.can_manage
    )
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in OnboardingForm.Meta.fields}
        if "provider_choice" in form.cleaned_data:
            services.update_onboarding(
                onboarding, values, request.user, provider=form.cleaned_data["provider_choice"]
            )
        else:
            services.update_onboarding(onboarding, values, request.user)
        messages.success(request, _("The changes have been saved."))
        return redirect("onboarding_detail", slug=onboarding.slug)
    return render(
        request, "checklist/onboarding_form.html", {"form": form, "onboarding": onboarding}
    )


# Onboarding and step pages ----------------------------------------------------------------


@login_required
@require_GET
def detail(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    participation = participation_for(request, slug)
    # The production watch's state is no part of the revision: it is in the part's key.
    watch_state = watch_summary.state_of(participation.onboarding)
    return page_cache.page(
        request,
        participation,
        f"overview:{watch_state}",
        "checklist/onboarding_detail.html",
        lambda: {
            **presentation.page_context(participation),
            "watch_state": watch_state,
            "archive_copies": archive.listed(participation.onboarding),
            "archive_possible": archive.finished(participation.onboarding),
        },
        {"onboarding": participation.onboarding},
    )


@login_required
@require_GET
def step_page(request: AuthenticatedHttpRequest, slug: str, number: int) -> HttpResponse:
    if number not in range(1, 6):
        raise Http404
    participation = participation_for(request, slug)
    if number in (3, 4, 5) and lost_work.settle_onboarding(participation.onboarding):
        # Runs whose worker was lost have just ended or resumed: a new revision to show.
        participation.onboarding.refresh_from_db(fields=["revision"])
    # Rendered again only when the onboarding's revision (or what the frame shows) changed.
    return page_cache.page(
        request,
        participation,
        f"step{number}",
        "checklist/step.html",
        lambda: presentation.step_context(participation, number),
        {"onboarding": participation.onboarding, "step": STEPS[number - 1]},
    )


# Checklist items ---------------------------------------------------------------------------


@login_required
@require_POST
def item_toggle(request: AuthenticatedHttpRequest, slug: str, key: str) -> HttpResponse:
    item = item_or_404(key)
    done = request.POST.get("done") == "1"
    refused, reason_missing = "", False
    # An item a connection check proves is ticked by hand only with a reason (the service
    # refuses without one, after the rules); an invalid one (too long) counts as none.
    # Other items take no reason: no form is made for them.
    form = HandTickForm(request.POST, dom_id=item.dom_id) if item.kind.proven_by_run else None
    reason = form.cleaned_data["reason"] if form is not None and form.is_valid() else ""
    # The onboarding is read under its row lock: access and the tick's lock in one query.
    with transaction.atomic():
        participation = participation_for(request, slug, lock=True)
        try:
            # Opened again, the item's assign form offers people: read with the item's state.
            state = services.tick_item(
                participation, item, done, locked=True, reason=reason, with_people=not done
            )
        except NotAllowed as refusal:
            refused, reason_missing = str(refusal), isinstance(refusal, ReasonRequired)
    if reason_missing and form is not None:
        if "reason" not in form.errors:
            form.add_error("reason", refused)
        return reason_refused(request, participation, item, form)
    if refused:
        return refuse(request, participation, item, refused)
    text = _("“%(title)s” is marked as done.") if done else _("“%(title)s” is open again.")
    return item_response(request, participation, item, text % {"title": item.title}, state)


@login_required
@require_POST
def item_note(request: AuthenticatedHttpRequest, slug: str, key: str) -> HttpResponse:
    participation = participation_for(request, slug)
    item = item_or_404(key)
    rules.enforce(rules.may_note(participation, item))
    form = NoteForm(request.POST)
    if not form.is_valid():
        return refuse(request, participation, item, _("A note may have at most 2000 characters."))
    services.note_item(participation, item, form.cleaned_data["note"])
    return item_response(
        request, participation, item, _("The note on “%(title)s” is saved.") % {"title": item.title}
    )


@login_required
@require_POST
def item_comment(request: AuthenticatedHttpRequest, slug: str, key: str) -> HttpResponse:
    participation = participation_for(request, slug)
    item = item_or_404(key)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return refuse(request, participation, item, _("Please write a comment first."))
    mention: list[User] = []
    if name := form.cleaned_data["mention"].strip().lstrip("@"):
        mention = people.find_mentions(f"@{name}", people.participants(participation.onboarding))
        if not mention:
            return refuse(
                request,
                participation,
                item,
                _("Nobody taking part in this onboarding is called “%(name)s”.") % {"name": name},
            )
    services.add_comment(
        participation.onboarding, item, form.cleaned_data["text"], request.user, mention
    )
    return item_response(
        request,
        participation,
        item,
        _("Your comment on “%(title)s” is saved.") % {"title": item.title},
    )


# Step 1 data -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def leistung_form(
    request: AuthenticatedHttpRequest, slug: str, pk: int | None = None
) -> HttpResponse:
    participation = participation_for(request, slug)
    require(participation.can_edit_step(1))
    onboarding = participation.onboarding
    leistung = None
    if pk is not None:
        leistung = onboarding.leistungen.filter(pk=pk).first()
        if leistung is None:
            raise Http404
    form = LeistungForm(request.POST or None, instance=leistung, onboarding=onboarding)
    if request.method == "POST" and form.is_valid():
        saved = services.save_leistung(form.apply(), request.user)
        messages.success(request, _("The service %(key)s is saved.") % {"key": saved.key})
        return redirect(f"{reverse('step', args=[onboarding.slug, 1])}#leistungen")
    typed = form["key"].value() or ""
    return render(
        request,
        "checklist/leistung_form.html",
        {
            "form": form,
            "onboarding": onboarding,
            "leistung": leistung,
            "leika_entries": leika.entries(),
            "match": leika.lookup(str(typed)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def leistung_delete(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Ask before removing a service (GET: a confirmation page that works without JS)."""
    participation = participation_for(request, slug)
    require(participation.can_edit_step(1))
    onboarding = participation.onboarding
    leistung: Leistung | None = onboarding.leistungen.filter(pk=pk).first()
    if leistung is None:
        raise Http404
    if request.method == "GET":
        return render(
            request,
            "checklist/leistung_delete.html",
            {"onboarding": onboarding, "leistung": leistung},
        )
    services.remove_leistung(leistung, request.user)
    messages.success(request, _("The service %(key)s has been removed.") % {"key": leistung.key})
    return redirect(f"{reverse('step', args=[onboarding.slug, 1])}#leistungen")


@login_required
@require_GET
def leika_lookup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Find a Leistungsschlüssel's name in the shipped extract (a page, or an htmx partial)."""
    key = request.GET.get("key", "").strip()
    query = request.GET.get("q", "").strip()
    context = {
        "key": key,
        "query": query,
        "match": leika.lookup(key) if key else None,
        "results": leika.search(query) if query else [],
        "entries": leika.entries(),
    }
    if request.htmx:
        return render(request, "checklist/leika_lookup.html#match", context)
    return render(request, "checklist/leika_lookup.html", context)


@login_required
@require_POST
def metadata_versions(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    participation = participation_for(request, slug)
    # Activating metadata versions is an SSP setting of the provider's step 2.
    require(participation.can_edit_step(2))
    onboarding = participation.onboarding
    form = MetadataVersionsForm(request.POST)
    if not form.is_valid():
        context = presentation.step_context(participation, 2)
        context["metadata_form"] = form
        return render(request, "checklist/step.html", context)
    services.save_metadata_versions(onboarding, form.cleaned_data["versions"], request.user)
    messages.success(request, _("The metadata versions are saved."))
    return redirect(f"{reverse('step', args=[onboarding.slug, 2])}#metadaten")


# Environment records ------------------------------------------------------------------------


def _stage(value: str) -> Environment:
    if value not in Environment.values:
        raise Http404
    return Environment(value)


@login_required
@require_http_methods(["GET", "POST"])
def environment_form(
    request: AuthenticatedHttpRequest, slug: str, environment: str
) -> HttpResponse:
    env = get_environment(environment)
    participation = participation_for(request, slug)
    require(participation.can_edit_environments)
    onboarding = participation.onboarding
    record = onboarding.environments.filter(environment=env.key).first() or EnvironmentRecord(
        onboarding=onboarding, environment=env.key
    )
    form = EnvironmentRecordForm(request.POST or None, instance=record, environment=env)
    if request.method == "POST" and form.is_valid():
        services.save_environment_record(form.instance, request.user)
        messages.success(request, _("The %(env)s environment is saved.") % {"env": env.label})
        return redirect("step", slug=onboarding.slug, number=2)
    return render(
        request,
        "checklist/environment_form.html",
        {"form": form, "onboarding": onboarding, "environment": env},
    )


# Sign-off ------------------------------------------------------------------------------------


SIGNOFF_NEEDS_MFA = gettext_lazy(
    "Deciding a sign-off needs two-factor sign-in. Please set it up (or confirm it); your "
    "decision is kept and you send it with one click afterwards."
)


def _signoff_action(
    request: AuthenticatedHttpRequest, slug: str, environment: str, action: str
) -> HttpResponse:
    env = _stage(environment)
    participation = participation_for(request, slug)
    onboarding = participation.onboarding
    step = env.step
    try:
        if action == "declare":
            declare_ready(onboarding, env, request.user, participation)
            messages.success(
                request, _("%(env)s is declared ready for sign-off.") % {"env": env.label}
            )
        elif action == "approve":
            require(participation.can_decide_signoff)  # before the second factor is asked
            if stop := require_second_factor(request, str(SIGNOFF_NEEDS_MFA)):
                return stop
            approve(onboarding, env, request.user, participation)
            messages.success(
                request,
                _(
                    "%(env)s is signed off. If a signed value changes later, the sign-off "
                    "becomes invalid by itself."
                )
                % {"env": env.label},
            )
        else:
            require(participation.can_decide_signoff)
            if stop := require_second_factor(request, str(SIGNOFF_NEEDS_MFA)):
                return stop
            form = SendBackForm(request.POST)
            if not form.is_valid():
                context = presentation.step_context(participation, step)
                context["send_back_form"] = form
                return render(request, "checklist/step.html", context, status=200)
            send_back(onboarding, env, request.user, form.cleaned_data["reason"], participation)
            messages.success(request, _("%(env)s has been sent back.") % {"env": env.label})
    except NotAllowed as refusal:
        messages.error(request, str(refusal))
    return redirect(f"{reverse('step', args=[onboarding.slug, step])}#abnahme")


@login_required
@require_POST
def signoff_declare(request: AuthenticatedHttpRequest, slug: str, environment: str) -> HttpResponse:
    return _signoff_action(request, slug, environment, "declare")


@login_required
@require_POST
def signoff_approve(request: AuthenticatedHttpRequest, slug: str, environment: str) -> HttpResponse:
    return _signoff_action(request, slug, environment, "approve")


@login_required
@require_POST
def signoff_return(request: AuthenticatedHttpRequest, slug: str, environment: str) -> HttpResponse:
    return _signoff_action(request, slug, environment, "return")


# Audit trail ----------------------------------------------------------------------------------


@login_required
@require_GET
def audit_trail(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    participation = participation_for(request, slug)
    onboarding = participation.onboarding
    events = onboarding.audit_events.select_related(
        "actor", "api_token__organisation", "run__started_by", "run__started_by_token__organisation"
    )
    step = parse_id(request.GET.get("step", ""))
    person_value = request.GET.get("person", "")
    person = parse_id(person_value)
    token_id = parse_id(person_value.removeprefix("token-"))
    if step is not None and step <= 5:
        events = events.filter(step=step)
    if person is not None:
        events = events.filter(actor_id=person)
    elif person_value.startswith("token-") and token_id is not None:
        events = events.filter(api_token_id=token_id)
    actor_ids = onboarding.audit_events.values("actor_id")
    people = User.objects.filter(pk__in=actor_ids).order_by("full_name")
    token_ids = onboarding.audit_events.values("api_token_id")
    tokens = ApiToken.objects.filter(pk__in=token_ids).select_related("organisation")
    labels = environment_labels()
    rows = [(event, describe_actor(event), sentence(event, labels)) for event in events[:500]]
    return render(
        request,
        "checklist/audit.html",
        {
            "onboarding": onboarding,
            "rows": rows,
            "people": people,
            "token_options": [(f"token-{t.pk}", str(t)) for t in tokens],
            "steps": STEPS,
            "selected_step": step,
            "selected_person": person,
        },
    )
