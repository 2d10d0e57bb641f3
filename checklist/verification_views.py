"""The "Verbindung prüfen" panel, the key tool and the JWK validator.

With htmx the checks run one request per check, so each result shows as it completes;
without JavaScript one form post runs them all. Secrets typed for a single run travel
between those requests only Fernet-encrypted and expire after ten minutes.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from checklist import presentation, secrets, verification
from checklist.access import Participation
from checklist.environments import environment_label, get_environment
from checklist.forms import JwkValidatorForm, KeyToolForm, VerifyForm
from checklist.models import FitConnectEnvironment, StoredSecret, VerificationRun
from checklist.views import _participation
from fitconnect import crypto
from fitconnect.checks import CHECK_TITLES
from portal.types import AuthenticatedHttpRequest

CARRY_TTL = 600
SECRET_FIELDS = ("subscriber_secret", "sender_secret", "callback_secret")


def _may_run(participation: Participation) -> None:
    if not participation.does_provider_work:
        raise PermissionDenied


def _form(
    participation: Participation, environment: FitConnectEnvironment, data: Any = None
) -> VerifyForm:
    stored = set(verification.stored_secrets(participation.onboarding, environment.key))
    return VerifyForm(data, stored=stored, production=environment.is_production)


@sensitive_post_parameters(*SECRET_FIELDS)
@login_required
@require_POST
@never_cache
@sensitive_variables("form", "provided", "carry")
def verify_start(request: AuthenticatedHttpRequest, slug: str, environment: str) -> HttpResponse:
    env = get_environment(environment)
    participation = _participation(request, slug)
    _may_run(participation)
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
    if not request.htmx:
        run, changed = verification.run_verification(
            onboarding, env, request.user, provided=provided, store=store
        )
        _announce(request, run, changed)
        return redirect(f"{reverse('step', args=[slug, env.step])}#verbindung")
    run = verification.start_run(onboarding, env, request.user, store=provided if store else None)
    carry = secrets.encrypt(json.dumps(provided))
    return render(
        request,
        "checklist/includes/verify_run.html",
        {
            "run": run,
            "onboarding": onboarding,
            "next_check": verification.checks_for(env)[0],
            "carry": carry,
            "titles": CHECK_TITLES,
        },
    )


def _announce(request: AuthenticatedHttpRequest, run: VerificationRun, changed: list[str]) -> None:
    text = {
        VerificationRun.Outcome.OK: _("All checks passed."),
        VerificationRun.Outcome.WARNING: _("The checks passed with warnings."),
        VerificationRun.Outcome.FAILED: _("At least one check failed."),
    }[VerificationRun.Outcome(run.status)]
    if changed:
        text += " " + _("%(count)d checklist item(s) changed by the result.") % {
            "count": len(changed)
        }
    (messages.success if run.status != VerificationRun.Outcome.FAILED else messages.warning)(
        request, text
    )


@sensitive_post_parameters("carry")
@login_required
@require_POST
@never_cache
@sensitive_variables("provided", "carry", "decrypted", "checker")
def verify_step(
    request: AuthenticatedHttpRequest, slug: str, run_id: int, check: str
) -> HttpResponse:
    participation = _participation(request, slug)
    _may_run(participation)
    onboarding = participation.onboarding
    run = onboarding.verification_runs.filter(pk=run_id, finished_at=None).first()
    env = FitConnectEnvironment.objects.filter(key=run.environment).first() if run else None
    checks = verification.checks_for(env) if env else ()
    if run is None or env is None or check not in checks:
        raise Http404
    if check in {r["check"] for r in run.results}:
        raise Http404
    decrypted = secrets.decrypt(request.POST.get("carry", ""), ttl=CARRY_TTL)
    if decrypted is None:
        return HttpResponse(
            render_to_string("checklist/includes/verify_expired.html", {}, request=request)
        )
    provided = json.loads(decrypted)
    checker = verification.prepare_checks(
        onboarding, env, verification.credentials_for(onboarding, env.key, provided)
    )
    result = checker.run_check(check)
    verification.add_result(run, result)
    index = checks.index(check)
    context: dict[str, Any] = {
        "result": result.as_dict(),
        "run": run,
        "onboarding": onboarding,
        "titles": CHECK_TITLES,
        "carry": request.POST["carry"],
        "next_check": checks[index + 1] if index + 1 < len(checks) else None,
    }
    if context["next_check"] is None:
        changed = verification.finish_run(run, request.user)
        page = presentation.step_context(participation, env.step)
        context["changed_items"] = [e for e in page["items"] if e["view"].item.key in changed]
        keys = ("card", "overall", "state", "step", "signoff_panel", "send_back_form")
        context.update({k: page[k] for k in keys})
        context["summary"] = True
    return render(request, "checklist/includes/verify_step.html", context)


@login_required
@require_POST
def secret_delete(
    request: AuthenticatedHttpRequest, slug: str, environment: str, kind: str
) -> HttpResponse:
    env = get_environment(environment)
    participation = _participation(request, slug)
    _may_run(participation)
    if kind not in StoredSecret.Kind.values:
        raise Http404
    if verification.delete_secret(participation.onboarding, env.key, kind, request.user):
        messages.success(request, _("The stored secret has been deleted."))
    return redirect(f"{reverse('step', args=[slug, env.step])}#verbindung")


@login_required
@require_GET
def verify_run(request: AuthenticatedHttpRequest, slug: str, run_id: int) -> HttpResponse:
    participation = _participation(request, slug)
    run = (
        participation.onboarding.verification_runs.filter(pk=run_id)
        .select_related("started_by")
        .first()
    )
    if run is None:
        raise Http404
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


@login_required
@require_POST
def jwk_validator(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = JwkValidatorForm(request.POST)
    findings = None
    if form.is_valid():
        findings = crypto.check_jwk(
            form.cleaned_data["jwk"],
            form.cleaned_data["purpose"],
            self_signed_allowed=form.cleaned_data["self_signed_allowed"],
        )
    return render(
        request,
        "checklist/key_tool.html",
        {"form": KeyToolForm(), "validator": form, "findings": findings},
    )
