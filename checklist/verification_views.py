"""The "Verbindung prüfen" panel, the key tool and the JWK validator.

A run's checks run in the background worker (``checklist.tasks``), never in a request; the
page polls the run (htmx, every second) and shows each check's progress, and without
JavaScript a reload of the step page shows it. Secrets typed for a single run are kept
with the run only Fernet-encrypted, and only until it finishes.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from checklist import lost_work, presentation, rules, secret_hosts, tasks, verification
from checklist.access import Participation
from checklist.environments import environment_label, get_environment
from checklist.models import FitConnectEnvironment, StoredSecret, VerificationRun
from checklist.verification_forms import JwkValidatorForm, KeyToolForm, VerifyForm
from checklist.view_support import participation_for
from fitconnect import crypto
from fitconnect.checks import CHECK_TITLES
from portal.mfa import require_second_factor
from portal.types import AuthenticatedHttpRequest

SECRET_FIELDS = ("subscriber_secret", "sender_secret", "callback_secret")


def _form(
    participation: Participation, environment: FitConnectEnvironment, data: Any = None
) -> VerifyForm:
    stored = verification.stored_secrets(participation.onboarding, environment)
    usable = {kind for kind, state in stored.items() if state.usable}
    return VerifyForm(
        data,
        stored=usable,
        withheld=set(stored) - usable,
        production=environment.is_production,
    )


@sensitive_post_parameters(*SECRET_FIELDS)
@login_required
@require_POST
@never_cache
@sensitive_variables("form", "provided")
def verify_start(request: AuthenticatedHttpRequest, slug: str, environment: str) -> HttpResponse:
    env = get_environment(environment)
    participation = participation_for(request, slug)
    rules.enforce(rules.may_start_run(participation))
    storing = request.POST.get("handling") == VerifyForm.STORE or "mfa_resume" in request.POST
    if env.is_production and storing:
        stop = require_second_factor(
            request,
            _(
                "Storing secrets of the production environment needs two-factor sign-in. Please "
                "set it up (or confirm it); what you entered is kept and you send it with one "
                "click afterwards."
            ),
        )
        if stop:
            return stop
    onboarding = participation.onboarding
    form = _form(participation, env, request.POST)
    if not form.is_valid():
        if request.htmx:
            return HttpResponse(
                render_to_string(
                    "checklist/includes/verify_form_errors.html", {"form": form}, request=request
                )
            )
        context = presentation.step_context(participation, env.step)
        for panel in context["verify_panels"]:
            if panel["environment"].key == env.key:
                panel["form"] = form
        return render(request, "checklist/step.html", context)
    provided = {
        k: v for k, v in form.cleaned_data.items() if k in (*SECRET_FIELDS, "sender_id") and v
    }
    store = form.cleaned_data["handling"] == VerifyForm.STORE
    run = tasks.begin_run(onboarding, env, request.user, provided=provided, store=store)
    if not request.htmx:
        if run.finished_at is not None:
            _announce(request, run, run.changed_items)
        else:
            messages.info(
                request, _("The connection check is running; this page shows its progress.")
            )
        return redirect(f"{reverse('step', args=[slug, env.step])}#verbindung")
    return render(
        request,
        "checklist/includes/verify_progress.html",
        presentation.run_progress_context(participation, run, env, announce=True),
    )


def _announce(request: AuthenticatedHttpRequest, run: VerificationRun, changed: list[str]) -> None:
    text = {
        VerificationRun.Outcome.OK: _("All checks passed."),
        VerificationRun.Outcome.WARNING: _("The checks passed with warnings."),
        VerificationRun.Outcome.FAILED: _("At least one check failed."),
        VerificationRun.Outcome.ABORTED: str(lost_work.RUN_ABORTED),
    }[VerificationRun.Outcome(run.status)]
    if changed:
        text += " " + ngettext(
            "%(count)d checklist item changed by the result.",
            "%(count)d checklist items changed by the result.",
            len(changed),
        ) % {"count": len(changed)}
    failed = run.status in (VerificationRun.Outcome.FAILED, VerificationRun.Outcome.ABORTED)
    (messages.warning if failed else messages.success)(request, text)


@login_required
@require_GET
def verify_progress(request: AuthenticatedHttpRequest, slug: str, run_id: int) -> HttpResponse:
    """The run's progress for the polling panel; the step page without htmx."""
    participation = participation_for(request, slug)
    run = (
        participation.onboarding.verification_runs.filter(pk=run_id)
        .defer("secrets_ciphertext")
        .first()
    )
    env = FitConnectEnvironment.objects.filter(key=run.environment).first() if run else None
    if run is None or env is None:
        raise Http404
    if not request.htmx:
        return redirect(f"{reverse('step', args=[slug, env.step])}#verbindung")
    lost_work.settle_run(run)  # a run whose worker was lost ends here as aborted
    seen = request.GET.get("seen", "")
    if run.finished_at is None and seen.isdigit() and int(seen) == len(run.results):
        return HttpResponse(status=204)  # nothing new: htmx keeps the panel and polls again
    return render(
        request,
        "checklist/includes/verify_progress.html",
        presentation.run_progress_context(participation, run, env, announce=True),
    )


@login_required
@require_POST
def secret_delete(
    request: AuthenticatedHttpRequest, slug: str, environment: str, kind: str
) -> HttpResponse:
    env = get_environment(environment)
    participation = participation_for(request, slug)
    rules.enforce(rules.may_start_run(participation))
    if kind not in StoredSecret.Kind.values:
        raise Http404
    if env.is_production:
        stop = require_second_factor(
            request,
            _(
                "Deleting a stored secret of the production environment needs two-factor "
                "sign-in, like storing one. Please set it up (or confirm it); afterwards you "
                "delete it with one click."
            ),
        )
        if stop:
            return stop
    if verification.delete_secret(participation.onboarding, env.key, kind, request.user):
        messages.success(request, _("The stored secret has been deleted."))
    return redirect(f"{reverse('step', args=[slug, env.step])}#verbindung")


@login_required
@require_POST
def hosts_confirm(request: AuthenticatedHttpRequest, slug: str, environment: str) -> HttpResponse:
    """Use the stored secrets again after the site operators changed the environment's hosts:
    a person who may store secrets confirms the new hosts (with the second factor)."""
    env = get_environment(environment)
    participation = participation_for(request, slug)
    rules.enforce(rules.may_start_run(participation))
    stop = require_second_factor(
        request,
        _(
            "Confirming new addresses for stored secrets needs two-factor sign-in. Please set "
            "it up (or confirm it); afterwards you confirm them with one click."
        ),
    )
    if stop:
        return stop
    if secret_hosts.confirm_hosts(participation.onboarding, env, request.user):
        messages.success(
            request,
            _(
                "The new addresses are confirmed: the stored secrets of %(env)s are used again "
                "in the next connection check."
            )
            % {"env": env.label},
        )
    return redirect(f"{reverse('step', args=[slug, env.step])}#verbindung")


@login_required
@require_GET
def verify_run(request: AuthenticatedHttpRequest, slug: str, run_id: int) -> HttpResponse:
    participation = participation_for(request, slug)
    run = (
        participation.onboarding.verification_runs.filter(pk=run_id)
        .select_related("started_by", "started_by_token__organisation")
        .first()
    )
    if run is None:
        raise Http404
    lost_work.settle_run(run)
    return render(
        request,
        "checklist/verify_run_detail.html",
        {
            "onboarding": participation.onboarding,
            "run": run,
            "titles": CHECK_TITLES,
            "environment_label": environment_label(run.environment),
        },
    )


# Key tool and validator ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def key_tool(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = KeyToolForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "validator": JwkValidatorForm()}
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["common_name"]
        public_enc, private_enc = crypto.generate_key_pair("encryption", name)
        public_sig, private_sig = crypto.generate_key_pair("signature", name)
        private_set = json.dumps({"keys": [private_enc, private_sig]}, indent=2)
        context.update(
            {
                "public_encryption": json.dumps(public_enc, indent=2),
                "public_signature": json.dumps(public_sig, indent=2),
                "public_set": json.dumps({"keys": [public_enc, public_sig]}, indent=2),
                # The private keys leave the server only inside this response, never stored.
                "private_download": "data:application/jwk-set+json;base64,"
                + base64.b64encode(private_set.encode()).decode(),
                "kids": (public_enc["kid"], public_sig["kid"]),
            }
        )
    return render(request, "checklist/key_tool.html", context)


@sensitive_post_parameters("jwk")
@login_required
@require_POST
@never_cache
def jwk_validator(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Check a pasted public key; a private key is never shown back (nor cached)."""
    form = JwkValidatorForm(request.POST)
    findings = None
    private = contains_private_key(request.POST.get("jwk", ""))
    if form.is_valid():
        findings = crypto.check_jwk(
            form.cleaned_data["jwk"],
            form.cleaned_data["purpose"],
            self_signed_allowed=form.cleaned_data["self_signed_allowed"],
        )
    if private:
        # The form is shown again without the key: only the warning names what happened.
        data = request.POST.copy()
        data["jwk"] = ""
        form = JwkValidatorForm(data)
        form.is_valid()
        form.errors.pop("jwk", None)
        form.add_error(
            "jwk",
            _(
                "You pasted a private key. The portal did not keep it and does not show it "
                "again. Never paste a private key anywhere: it belongs only to the "
                "Fachverfahren. If others may have seen it, create a new key pair."
            ),
        )
        findings = None
    return render(
        request,
        "checklist/key_tool.html",
        {"form": KeyToolForm(), "validator": form, "findings": findings},
    )


PRIVATE_JWK_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")


def contains_private_key(text: str) -> bool:
    """Whether pasted text holds a private key: a JWK (or key set) with private members,
    or a PEM private key."""
    if "PRIVATE KEY" in text:
        return True
    try:
        data = json.loads(text)
    except ValueError:
        return any(f'"{member}"' in text for member in PRIVATE_JWK_MEMBERS)

    # Walked without recursion: a pasted text may nest deeper than Python's stack.
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            if any(member in value for member in PRIVATE_JWK_MEMBERS):
                return True
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False
