"""Views of the onboarding: overview, steps, checklist items, recorded data, sign-offs, audit."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from checklist import catalogue, export, services, verification
from checklist.access import Participation, get_onboarding_for_user, onboardings_for
from checklist.catalogue import Item
from checklist.forms import (
    IN_HOUSE,
    CommentForm,
    EnvironmentRecordForm,
    LeistungForm,
    MetadataVersionsForm,
    NoteForm,
    OnboardingForm,
    SendBackForm,
    VerifyForm,
)
from checklist.models import (
    ENVIRONMENT_STEP,
    AuditEvent,
    Environment,
    EnvironmentRecord,
    Leistung,
    Onboarding,
    RecordEnvironment,
)
from checklist.presentation import describe_subject, step_cards
from checklist.steps import GUIDE_URL, STEPS
from portal.models import Organisation, User
from portal.types import AuthenticatedHttpRequest

SORTS = {
    "name": lambda row: row["onboarding"].name.lower(),
    "step": lambda row: row["current_step"] or 6,
    "progress": lambda row: row["progress"].percent,
    "go_live": lambda row: (
        row["onboarding"].target_go_live is None,
        row["onboarding"].target_go_live,
    ),
}


def _participation(request: AuthenticatedHttpRequest, slug: str) -> Participation:
    participation = get_onboarding_for_user(request.user, slug)
    services.ensure_catalogue(participation.onboarding, request.user)
    return participation


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# Overview and creation ------------------------------------------------------------------


@login_required
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    visible = onboardings_for(request.user).select_related("provider").order_by("name")
    organisations = [
        (
            membership,
            [o for o in visible if membership.organisation_id in (o.authority_id, o.provider_id)],
        )
        for membership in request.memberships
    ]
    return render(
        request,
        "checklist/home.html",
        {
            "memberships": request.memberships,
            "organisations": organisations,
            "steps": STEPS,
            "guide_url": GUIDE_URL,
        },
    )


@login_required
@require_GET
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    membership = request.membership
    rows = []
    if membership is not None:
        organisation = membership.organisation
        onboardings = onboardings_for(request.user).filter(
            Q(authority=organisation) | Q(provider=organisation)
        )
        for onboarding in onboardings.select_related("authority", "provider"):
            state = services.OnboardingState(onboarding)
            rows.append(
                {
                    "onboarding": onboarding,
                    "current_step": state.current_step(),
                    "progress": state.overall(),
                    "signoffs": [(env, state.signoff(env)) for env in Environment],
                    "next_action": state.next_action(),
                }
            )
    sort = request.GET.get("sort", "name")
    if sort.lstrip("-") not in SORTS:
        sort = "name"
    rows.sort(key=SORTS[sort.lstrip("-")], reverse=sort.startswith("-"))
    can_create = (
        membership is not None and membership.organisation.is_authority and membership.is_admin
    )
    return render(
        request,
        "checklist/overview.html",
        {
            "rows": rows,
            "sort": sort,
            "sort_columns": [
                ("name", _("Fachverfahren")),
                ("step", _("Current step")),
                ("progress", _("Progress")),
                ("go_live", _("Target go-live")),
            ],
            "can_create": can_create,
            "organisation": membership.organisation if membership else None,
            "steps": STEPS,
            "guide_url": GUIDE_URL,
        },
    )


def _unique_slug(authority: Organisation, name: str) -> str:
    base = slugify(f"{authority.slug}-{name}")[:90] or "vorhaben"
    slug, number = base, 2
    while Onboarding.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


def _apply_provider(onboarding: Onboarding, choice: Organisation | str | None) -> None:
    onboarding.in_house = choice == IN_HOUSE
    onboarding.provider = choice if isinstance(choice, Organisation) else None


@login_required
@require_http_methods(["GET", "POST"])
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    membership = request.membership
    if membership is None or not (membership.organisation.is_authority and membership.is_admin):
        raise Http404
    form = OnboardingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        onboarding = form.save(commit=False)
        onboarding.authority = membership.organisation
        onboarding.slug = _unique_slug(membership.organisation, onboarding.name)
        _apply_provider(onboarding, form.cleaned_data.get("provider_choice"))
        services.create_onboarding(onboarding, request.user)
        messages.success(
            request, _("The onboarding “%(name)s” has been created.") % {"name": onboarding.name}
        )
        return redirect("onboarding_detail", slug=onboarding.slug)
    return render(request, "checklist/onboarding_form.html", {"form": form, "onboarding": None})


def _field_values(instance: Any, names: list[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in names}


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    participation = _participation(request, slug)
    _require(participation.is_authority_member)
    onboarding = participation.onboarding
    fields = list(OnboardingForm.Meta.fields)
    before = _field_values(onboarding, fields)
    before_provider = services.provider_label(onboarding)
    form = OnboardingForm(
        request.POST or None, instance=onboarding, can_assign_provider=participation.can_manage
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            onboarding = form.save(commit=False)
            if "provider_choice" in form.cleaned_data:
                _apply_provider(onboarding, form.cleaned_data["provider_choice"])
            onboarding.save()
            services.audit_changes(
                onboarding, request.user, before, _field_values(onboarding, fields), "onboarding", 1
            )
            after_provider = services.provider_label(onboarding)
            if after_provider != before_provider:
                services.audit(
                    onboarding,
                    request.user,
                    AuditEvent.Action.PROVIDER_CHANGED,
                    "onboarding.provider",
                    before_provider,
                    after_provider,
                    1,
                )
            services.refresh_signoffs(onboarding, request.user)
        messages.success(request, _("The changes have been saved."))
        return redirect("onboarding_detail", slug=onboarding.slug)
    return render(
        request, "checklist/onboarding_form.html", {"form": form, "onboarding": onboarding}
    )


# Onboarding and step pages ----------------------------------------------------------------


def _page_context(participation: Participation, with_comments: bool = False) -> dict[str, Any]:
    state = services.OnboardingState(participation.onboarding, with_comments=with_comments)
    return {
        "onboarding": participation.onboarding,
        "participation": participation,
        "state": state,
        "cards": step_cards(state),
        "overall": state.overall(),
        "next_action": state.next_action(),
    }


@login_required
@require_GET
def detail(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    participation = _participation(request, slug)
    return render(request, "checklist/onboarding_detail.html", _page_context(participation))


def _step_context(participation: Participation, number: int) -> dict[str, Any]:
    context = _page_context(participation, with_comments=True)
    state: services.OnboardingState = context["state"]
    step = STEPS[number - 1]
    environment = services.STEP_ENVIRONMENT.get(number)
    onboarding = participation.onboarding
    context.update(
        {
            "step": step,
            "card": context["cards"][number - 1],
            "items": [_item_context(participation, state, view) for view in state.items(number)],
            "can_edit": participation.can_edit_step(number),
            "locked": state.status(number) == services.StepStatus.LOCKED,
            "environment": environment,
            "environment_label": Environment(environment).label if environment else "",
            "record": state.records.get(environment) if environment else None,
            "signoff": state.signoff(environment) if environment else None,
            "signoff_history": (
                onboarding.signoffs.filter(environment=environment).select_related(
                    "declared_by", "decided_by"
                )
                if environment
                else []
            ),
            "send_back_form": SendBackForm(),
            "previous_step": number - 1 if number > 1 else None,
            "next_step": number + 1 if number < 5 else None,
        }
    )
    if number in verification.STEP_ENVIRONMENTS:
        runs = verification.last_runs(onboarding)
        panels = []
        for env in verification.STEP_ENVIRONMENTS[number]:
            stored = verification.stored_secrets(onboarding, env)
            panels.append(
                {
                    "environment": env,
                    "record": state.records.get(env),
                    "stored": stored,
                    "form": VerifyForm(stored=set(stored), production=env == "production"),
                    "last_run": runs.get(env),
                    "read_only": env == "production",
                }
            )
        context["verify_panels"] = panels
    if number == 1:
        context["leistungen"] = state.leistungen
        context["metadata_form"] = MetadataVersionsForm(
            initial={"versions": onboarding.metadata_versions}
        )
    if number == 2:
        context["records"] = [(env, state.records.get(env)) for env in RecordEnvironment]
    return context


def _item_context(
    participation: Participation, state: services.OnboardingState, view: services.ItemView
) -> dict[str, Any]:
    step = view.item.step
    editable = (
        participation.can_edit_step(step)
        and not view.automatic
        and state.status(step) != services.StepStatus.LOCKED
    )
    return {
        "view": view,
        "editable": editable,
        # comments are prefetched with the item states (OnboardingState)
        "comments": list(view.state.comments.all()) if view.state.pk else [],
    }


@login_required
@require_GET
def step_page(request: AuthenticatedHttpRequest, slug: str, number: int) -> HttpResponse:
    if number not in range(1, 6):
        raise Http404
    participation = _participation(request, slug)
    return render(request, "checklist/step.html", _step_context(participation, number))


# Checklist items ---------------------------------------------------------------------------


def _item(key: str) -> Item:
    item = catalogue.load().by_key().get(key)
    if item is None:
        raise Http404
    return item


def _item_response(
    request: AuthenticatedHttpRequest, participation: Participation, item: Item, announcement: str
) -> HttpResponse:
    """Return the item's new HTML (htmx) or go back to the step page (plain form post)."""
    if not request.htmx:
        messages.success(request, announcement)
        url = reverse("step", args=[participation.onboarding.slug, item.step])
        return redirect(f"{url}#item-{item.dom_id}")
    context = _step_context(participation, item.step)
    context["entry"] = next(e for e in context["items"] if e["view"].item.key == item.key)
    context["announcement"] = announcement
    html = render_to_string("checklist/step.html#item", context, request=request)
    html += render_to_string("checklist/step.html#progress_oob", context, request=request)
    html += render_to_string("checklist/step.html#announce_oob", context, request=request)
    return HttpResponse(html)


def _refuse(
    request: AuthenticatedHttpRequest, participation: Participation, item: Item, message: str
) -> HttpResponse:
    if not request.htmx:
        messages.error(request, message)
        return redirect("step", slug=participation.onboarding.slug, number=item.step)
    context = {"announcement": message, "error": True}
    return HttpResponse(
        render_to_string("checklist/step.html#announce_oob", context, request=request)
    )


@login_required
@require_POST
def item_toggle(request: AuthenticatedHttpRequest, slug: str, key: str) -> HttpResponse:
    participation = _participation(request, slug)
    item = _item(key)
    _require(participation.can_edit_step(item.step))
    state = services.OnboardingState(participation.onboarding)
    if not state.visible(item):
        raise Http404
    if state.status(item.step) == services.StepStatus.LOCKED:
        return _refuse(
            request, participation, item, _("This step is locked until the Test sign-off is valid.")
        )
    done = request.POST.get("done") == "1"
    try:
        services.set_item_done(participation.onboarding, item, done, request.user)
    except services.NotAllowed as refusal:
        return _refuse(request, participation, item, str(refusal))
    text = _("“%(title)s” is marked as done.") if done else _("“%(title)s” is open again.")
    return _item_response(request, participation, item, text % {"title": item.title})


@login_required
@require_POST
def item_note(request: AuthenticatedHttpRequest, slug: str, key: str) -> HttpResponse:
    participation = _participation(request, slug)
    item = _item(key)
    _require(participation.can_edit_step(item.step))
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _refuse(request, participation, item, _("A note may have at most 2000 characters."))
    services.set_item_note(participation.onboarding, item, form.cleaned_data["note"], request.user)
    return _item_response(
        request, participation, item, _("The note on “%(title)s” is saved.") % {"title": item.title}
    )


@login_required
@require_POST
def item_comment(request: AuthenticatedHttpRequest, slug: str, key: str) -> HttpResponse:
    participation = _participation(request, slug)
    item = _item(key)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _refuse(request, participation, item, _("Please write a comment first."))
    services.add_comment(participation.onboarding, item, form.cleaned_data["text"], request.user)
    return _item_response(
        request,
        participation,
        item,
        _("Your comment on “%(title)s” is saved.") % {"title": item.title},
    )


# Step 1 data -------------------------------------------------------------------------------

LEISTUNG_FIELDS = [
    "name",
    "schema_kind",
    "schema_uri",
    "mime_type",
    "regions",
    "reply_fitconnect",
    "process_standards",
    "reply_elster",
    "reply_fink",
    "reply_email",
    "email_pgp",
    "reply_demail",
]


@login_required
@require_http_methods(["GET", "POST"])
def leistung_form(
    request: AuthenticatedHttpRequest, slug: str, pk: int | None = None
) -> HttpResponse:
    participation = _participation(request, slug)
    _require(participation.can_edit_step(1))
    onboarding = participation.onboarding
    leistung = None
    if pk is not None:
        leistung = onboarding.leistungen.filter(pk=pk).first()
        if leistung is None:
            raise Http404
    before = _field_values(leistung, LEISTUNG_FIELDS) if leistung else {}
    before_key = leistung.key if leistung else ""
    form = LeistungForm(request.POST or None, instance=leistung, onboarding=onboarding)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.apply()
            saved.save()
            if leistung is None:
                services.audit(
                    onboarding,
                    request.user,
                    AuditEvent.Action.LEISTUNG_ADDED,
                    f"leistung.{saved.key}",
                    "",
                    f"{saved.key} {saved.name}",
                    1,
                )
            else:
                if before_key != saved.key:
                    services.audit_changes(
                        onboarding,
                        request.user,
                        {"key": before_key},
                        {"key": saved.key},
                        f"leistung.{saved.key}",
                        1,
                    )
                services.audit_changes(
                    onboarding,
                    request.user,
                    before,
                    _field_values(saved, LEISTUNG_FIELDS),
                    f"leistung.{saved.key}",
                    1,
                )
            services.refresh_signoffs(onboarding, request.user)
        messages.success(request, _("The service %(key)s is saved.") % {"key": saved.key})
        return redirect(f"{reverse('step', args=[onboarding.slug, 1])}#leistungen")
    return render(
        request,
        "checklist/leistung_form.html",
        {"form": form, "onboarding": onboarding, "leistung": leistung},
    )


@login_required
@require_POST
def leistung_delete(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    participation = _participation(request, slug)
    _require(participation.can_edit_step(1))
    onboarding = participation.onboarding
    leistung: Leistung | None = onboarding.leistungen.filter(pk=pk).first()
    if leistung is None:
        raise Http404
    with transaction.atomic():
        leistung.delete()
        services.audit(
            onboarding,
            request.user,
            AuditEvent.Action.LEISTUNG_REMOVED,
            f"leistung.{leistung.key}",
            f"{leistung.key} {leistung.name}",
            "",
            1,
        )
        services.refresh_signoffs(onboarding, request.user)
    messages.success(request, _("The service %(key)s has been removed.") % {"key": leistung.key})
    return redirect(f"{reverse('step', args=[onboarding.slug, 1])}#leistungen")


@login_required
@require_POST
def metadata_versions(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    participation = _participation(request, slug)
    _require(participation.can_edit_step(1))
    onboarding = participation.onboarding
    form = MetadataVersionsForm(request.POST)
    if not form.is_valid():
        context = _step_context(participation, 1)
        context["metadata_form"] = form
        return render(request, "checklist/step.html", context)
    with transaction.atomic():
        before = sorted(onboarding.metadata_versions)
        onboarding.metadata_versions = sorted(form.cleaned_data["versions"])
        onboarding.save(update_fields=["metadata_versions"])
        services.audit_changes(
            onboarding,
            request.user,
            {"metadata_versions": before},
            {"metadata_versions": onboarding.metadata_versions},
            "onboarding",
            1,
        )
        services.refresh_signoffs(onboarding, request.user)
    messages.success(request, _("The metadata versions are saved."))
    return redirect(f"{reverse('step', args=[onboarding.slug, 1])}#metadaten")


# Environment records ------------------------------------------------------------------------

RECORD_FIELDS = list(EnvironmentRecordForm.Meta.fields)


def record_environment(value: str) -> RecordEnvironment:
    """Return the environment named in a URL (the sandbox included), or raise 404."""
    if value not in RecordEnvironment.values:
        raise Http404
    return RecordEnvironment(value)


def _environment(value: str) -> Environment:
    if value not in Environment.values:
        raise Http404
    return Environment(value)


@login_required
@require_http_methods(["GET", "POST"])
def environment_form(
    request: AuthenticatedHttpRequest, slug: str, environment: str
) -> HttpResponse:
    env = record_environment(environment)
    participation = _participation(request, slug)
    _require(participation.can_edit_environments)
    onboarding = participation.onboarding
    record = onboarding.environments.filter(environment=env).first() or EnvironmentRecord(
        onboarding=onboarding, environment=env
    )
    before = _field_values(record, RECORD_FIELDS) if record.pk else {}
    form = EnvironmentRecordForm(request.POST or None, instance=record, environment=env)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            services.audit_changes(
                onboarding,
                request.user,
                before,
                _field_values(saved, RECORD_FIELDS),
                f"environment.{env.value}",
                # the sandbox stands in for the test environment (step 3)
                ENVIRONMENT_STEP[Environment(env)] if env != RecordEnvironment.SANDBOX else 3,
            )
            services.refresh_signoffs(onboarding, request.user)
        messages.success(request, _("The %(env)s environment is saved.") % {"env": env.label})
        return redirect("step", slug=onboarding.slug, number=2)
    return render(
        request,
        "checklist/environment_form.html",
        {"form": form, "onboarding": onboarding, "environment": env},
    )


# Sign-off ------------------------------------------------------------------------------------


def _signoff_action(
    request: AuthenticatedHttpRequest, slug: str, environment: str, action: str
) -> HttpResponse:
    env = _environment(environment)
    participation = _participation(request, slug)
    onboarding = participation.onboarding
    step = ENVIRONMENT_STEP[env]
    try:
        if action == "declare":
            _require(participation.does_provider_work)
            services.declare_ready(onboarding, env, request.user)
            messages.success(
                request, _("%(env)s is declared ready for sign-off.") % {"env": env.label}
            )
        elif action == "approve":
            _require(participation.can_decide_signoff)
            signoff = services.approve(onboarding, env, request.user)
            messages.success(
                request,
                _("%(env)s is signed off. SHA-256 of the snapshot: %(hash)s")
                % {"env": env.label, "hash": signoff.snapshot_sha256},
            )
        else:
            _require(participation.can_decide_signoff)
            form = SendBackForm(request.POST)
            if not form.is_valid():
                context = _step_context(participation, step)
                context["send_back_form"] = form
                return render(request, "checklist/step.html", context, status=200)
            services.send_back(onboarding, env, request.user, form.cleaned_data["reason"])
            messages.success(request, _("%(env)s has been sent back.") % {"env": env.label})
    except services.NotAllowed as refusal:
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


# PDF export -----------------------------------------------------------------------------------


def _pdf_response(pdf: bytes, name: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def onboarding_pdf(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    participation = _participation(request, slug)
    onboarding = participation.onboarding
    pdf = export.export_record(onboarding, request.user)
    return _pdf_response(pdf, export.filename(onboarding, timezone.now()))


@login_required
@require_GET
def blank_pdf(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _pdf_response(export.export_blank(), export.filename(None, timezone.now()))


# Audit trail ----------------------------------------------------------------------------------


@login_required
@require_GET
def audit_trail(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    participation = _participation(request, slug)
    onboarding = participation.onboarding
    events = onboarding.audit_events.select_related("actor")
    step = request.GET.get("step", "")
    person = request.GET.get("person", "")
    if step.isdigit():
        events = events.filter(step=int(step))
    if person.isdigit():
        events = events.filter(actor_id=int(person))
    actor_ids = onboarding.audit_events.values("actor_id")
    people = User.objects.filter(pk__in=actor_ids).order_by("full_name")
    rows = [(event, describe_subject(event)) for event in events[:500]]
    return render(
        request,
        "checklist/audit.html",
        {
            "onboarding": onboarding,
            "rows": rows,
            "people": people,
            "steps": STEPS,
            "selected_step": step,
            "selected_person": person,
        },
    )
