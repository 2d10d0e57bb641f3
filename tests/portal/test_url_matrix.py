"""Every URL of the portal, requested by every persona.

Objects of an organisation the user does not belong to answer 404; anonymous users are
sent to sign in. A guard test fails when a new URL is added without a row here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portal.models import ApiToken, Invitation, Membership
from tests.conftest import PERSONAS, World, make_user
from watch.models import Outage

LOGIN = "login"
ADMIN_LOGIN = "admin_login"


@dataclass
class Case:
    method: str
    path: Callable[[World], str]
    expect: dict[str, int | str]
    data: Callable[[World], dict[str, str]] = field(default=lambda w: {})


def everyone(status: int | str, **overrides: int | str) -> dict[str, int | str]:
    return {persona: overrides.get(persona, status) for persona in PERSONAS}


def members_only(ok: int) -> dict[str, int | str]:
    return {
        "authority_admin": ok,
        "authority_staff": ok,
        "provider_staff": 404,
        "outsider": 404,
        "site_operator": 404,
        "coordinator": 404,
        "anonymous": LOGIN,
    }


def admins_only(ok: int) -> dict[str, int | str]:
    return {**members_only(ok), "authority_staff": 404}


def participants(authority: int, provider: int, readers: int = 403) -> dict[str, int | str]:
    """Members of the onboarding's authority and of its assigned provider take part; the
    coordination office of its region and the site operator read along (``readers``: pages
    200, comments 302, every other change 403)."""
    return {
        **members_only(authority),
        "provider_staff": provider,
        "site_operator": readers,
        "coordinator": readers,
    }


SLUG = "musterstadt-gewerbe"
STEP2_ITEM = "step2.client"
STEP5_ITEM = "step5.terms_of_use"


def _run(world: World, finished: bool) -> int:
    from django.utils import timezone

    from checklist.models import VerificationRun

    run = VerificationRun.objects.create(
        onboarding=world.onboarding,
        environment="test",
        finished_at=timezone.now() if finished else None,
    )
    return run.pk


def _conformance_run(world: World, finished: bool) -> int:
    from django.utils import timezone

    from checklist.models import ConformanceRun

    run = ConformanceRun.objects.create(
        onboarding=world.onboarding,
        environment="test",
        finished_at=timezone.now() if finished else None,
    )
    return run.pk


def _export(world: World, onboarding: object, ready: bool) -> int:
    from django.utils import timezone

    from checklist.models import PdfExport

    return PdfExport.objects.create(
        onboarding=onboarding,
        content_sha256=f"{id(onboarding)}-{ready}".ljust(64, "0"),
        pdf=b"%PDF-1.7 test" if ready else None,
        rendered_at=timezone.now() if ready else None,
    ).pk


def _archive_copy(world: World) -> int:
    from checklist.models import ArchiveCopy

    copy = ArchiveCopy(
        onboarding=world.onboarding,
        onboarding_name=world.onboarding.name,
        onboarding_slug=world.onboarding.slug,
        reason=ArchiveCopy.Reason.ON_DEMAND,
        pdf=b"%PDF-1.7 test",
        sha256="0" * 64,
    )
    copy.save()
    return copy.pk


def _comparison(world: World) -> int:
    from checklist.models import RoutingComparison

    return RoutingComparison.objects.create(office=world.coordination, environment="x").pk


def _leistung(world: World) -> int:
    return world.onboarding.leistungen.get().pk


def _invitation(world: World) -> Invitation:
    invitation, _ = Invitation.create(
        organisation=world.authority,
        email="neu@musterstadt.example",
        role="staff",
        invited_by=world.authority_admin,
    )
    return invitation


def _partnership_request(world: World) -> int:
    """The other authority asks the provider; only the provider's administrators answer."""
    from portal.partnership_requests import PartnershipRequest

    request = PartnershipRequest.create(
        world.other_authority, world.provider, "clara@kommunal-it.example", world.outsider
    )
    return request.pk


def _removable_member(world: World) -> Membership:
    user = make_user("weg@musterstadt.example", "Walter Weg")
    return Membership.objects.create(user=user, organisation=world.authority, role="staff")


def _notification(world: World) -> int:
    from notifications.models import Kind, Notification

    return Notification.objects.create(
        recipient=world.authority_admin, kind=Kind.ASSIGNED, onboarding=world.onboarding, url="/"
    ).pk


def _file_export(world: World) -> int:
    """A large overview export Kora asked for, not built yet."""
    from checklist.models import FileExport

    return FileExport.objects.create(
        requested_by=world.coordinator, organisation=world.coordination, format="csv"
    ).pk


def _saved_filter(world: World) -> int:
    from checklist.models import SavedFilter

    return SavedFilter.objects.create(
        user=world.authority_admin, name="Mein Filter", query="step=1"
    ).pk


def _outage(world: World) -> int:
    outage = Outage.objects.create(
        onboarding=world.onboarding, kind="unplanned", starts_on=date(2026, 11, 1)
    )
    return outage.pk


def recipient_only(ok: int) -> dict[str, int | str]:
    """Only the person a notification is for may open it."""
    return {**everyone(404, anonymous=LOGIN), "authority_admin": ok}


def _api_token(world: World) -> ApiToken:
    token, _plain = ApiToken.create(
        organisation=world.authority,
        name="Pipeline",
        scopes=["read"],
        valid_days=30,
        created_by=world.authority_admin,
    )
    return token


def _passkey(world: World) -> int:
    from django_otp_webauthn.models import WebAuthnCredential

    return WebAuthnCredential.objects.create(
        user=world.authority_admin, name="Firefox, Windows", credential_id=b"\x01" * 32
    ).pk


def _invitation_link(world: World) -> str:
    _, token = Invitation.create(
        organisation=world.authority,
        email="eingeladen@musterstadt.example",
        role="staff",
        invited_by=world.authority_admin,
    )
    return reverse("accept_invitation", args=[token])


CASES: dict[str, Case] = {
    "home": Case("get", lambda w: reverse("home"), everyone(200, anonymous=LOGIN)),
    "login": Case(
        "get",
        lambda w: reverse("login"),
        everyone(302, anonymous=200),  # signed-in users go straight to the overview
    ),
    "logout": Case("post", lambda w: reverse("logout"), everyone(302)),
    # Without a password step just before, the second step sends back to sign in.
    "login_second_factor": Case("get", lambda w: reverse("login_second_factor"), everyone(302)),
    "mfa_setup": Case("get", lambda w: reverse("mfa_setup"), everyone(200, anonymous=LOGIN)),
    "mfa_recovery_codes": Case(
        "post",
        lambda w: reverse("mfa_recovery_codes"),
        everyone(302, anonymous=LOGIN),  # new codes only in a session confirmed by a code
    ),
    # Passkeys: the JSON endpoints of django-otp-webauthn's script answer JSON, never a
    # sign-in page (403 without a person to add to or confirm); completing needs a ceremony
    # begun in the same session (400). tests/portal/test_passkeys.py runs whole ceremonies.
    "passkey_register_begin": Case(
        "post", lambda w: reverse("passkey_register_begin"), everyone(200, anonymous=403)
    ),
    "passkey_register_complete": Case(
        "post", lambda w: reverse("passkey_register_complete"), everyone(400, anonymous=403)
    ),
    "passkey_verify_begin": Case(
        "post", lambda w: reverse("passkey_verify_begin"), everyone(200, anonymous=403)
    ),
    "passkey_verify_complete": Case(
        "post", lambda w: reverse("passkey_verify_complete"), everyone(400, anonymous=403)
    ),
    # The script's texts, needed on the second sign-in step too.
    "passkey_texts": Case("get", lambda w: reverse("passkey_texts"), everyone(200)),
    "passkey_remove": Case(
        "get",
        lambda w: reverse("passkey_remove", args=[_passkey(w)]),
        # the owner, in a session not confirmed with a second factor, is sent to confirm it
        {**everyone(404, anonymous=LOGIN), "authority_admin": 302},
    ),
    "password_reset": Case("get", lambda w: reverse("password_reset"), everyone(200)),
    "password_reset_done": Case("get", lambda w: reverse("password_reset_done"), everyone(200)),
    "password_reset_confirm": Case(
        "get",
        lambda w: reverse("password_reset_confirm", args=["MQ", "invalid-token"]),
        everyone(200),  # shows "this link is not valid"
    ),
    "password_reset_complete": Case(
        "get", lambda w: reverse("password_reset_complete"), everyone(200)
    ),
    "switch_organisation": Case(
        "post",
        lambda w: reverse("switch_organisation"),
        everyone(302, anonymous=LOGIN),
        data=lambda w: {"organisation": str(w.authority.pk)},
    ),
    "extend_session": Case(
        "post", lambda w: reverse("extend_session"), everyone(200, anonymous=LOGIN)
    ),
    "organisation_detail": Case(
        "get", lambda w: reverse("organisation_detail", args=[w.authority.pk]), members_only(200)
    ),
    "invite": Case(
        "post",
        lambda w: reverse("invite", args=[w.authority.pk]),
        admins_only(302),
        data=lambda w: {"email": "kollegin@musterstadt.example", "role": "staff"},
    ),
    "revoke_invitation": Case(
        "post",
        lambda w: reverse("revoke_invitation", args=[w.authority.pk, _invitation(w).pk]),
        admins_only(302),
    ),
    "remove_member": Case(
        "post",
        lambda w: reverse("remove_member", args=[w.authority.pk, _removable_member(w).pk]),
        admins_only(302),
    ),
    "invite_provider": Case(
        "post",
        lambda w: reverse("invite_provider", args=[w.authority.pk]),
        admins_only(302),
        data=lambda w: {
            "provider-email": "kontakt@neue-it.example",
            "provider-name": "Neue IT GmbH",
        },
    ),
    # The personas hold no administrator of the provider (tests/portal/test_provider_side.py).
    "accept_partnership_request": Case(
        "post",
        lambda w: reverse(
            "accept_partnership_request", args=[w.provider.pk, _partnership_request(w)]
        ),
        everyone(404, anonymous=LOGIN),
    ),
    "decline_partnership_request": Case(
        "post",
        lambda w: reverse(
            "decline_partnership_request", args=[w.provider.pk, _partnership_request(w)]
        ),
        everyone(404, anonymous=LOGIN),
    ),
    "change_role": Case(
        "post",
        lambda w: reverse("change_role", args=[w.authority.pk, _removable_member(w).pk]),
        admins_only(302),
        data=lambda w: {"role": "admin"},
    ),
    "accept_invitation": Case("get", _invitation_link, everyone(200)),
    "imprint": Case("get", lambda w: reverse("imprint"), everyone(200)),
    "privacy": Case("get", lambda w: reverse("privacy"), everyone(200)),
    "accessibility": Case("get", lambda w: reverse("accessibility"), everyone(200)),
    "set_language": Case(
        "post", lambda w: reverse("set_language"), everyone(302), data=lambda w: {"language": "en"}
    ),
    "overview": Case("get", lambda w: reverse("overview"), everyone(200, anonymous=LOGIN)),
    # Coordination offices and site operators steer by it; nobody else has one.
    "dashboard": Case(
        "get",
        lambda w: reverse("dashboard"),
        everyone(404, anonymous=LOGIN, site_operator=200, coordinator=200),
    ),
    # The management report (a PDF the worker builds): whoever has the dashboard.
    "management_report": Case(
        "get",
        lambda w: reverse("management_report"),
        everyone(404, anonymous=LOGIN, site_operator=200, coordinator=200),
    ),
    # The dashboard's tables as files: whoever has the dashboard.
    "dashboard_csv": Case(
        "get",
        lambda w: reverse("dashboard_csv"),
        everyone(404, anonymous=LOGIN, site_operator=200, coordinator=200),
    ),
    "dashboard_xlsx": Case(
        "get",
        lambda w: reverse("dashboard_xlsx"),
        everyone(404, anonymous=LOGIN, site_operator=200, coordinator=200),
    ),
    # The overview's list as a file: everyone their own overview's onboardings.
    "overview_csv": Case("get", lambda w: reverse("overview_csv"), everyone(200, anonymous=LOGIN)),
    "overview_xlsx": Case(
        "get", lambda w: reverse("overview_xlsx"), everyone(200, anonymous=LOGIN)
    ),
    # Saved filters: everyone saves her own; only the owner deletes one.
    "save_filter": Case(
        "get", lambda w: reverse("save_filter") + "?step=1", everyone(200, anonymous=LOGIN)
    ),
    "delete_filter": Case(
        "post", lambda w: reverse("delete_filter", args=[_saved_filter(w)]), recipient_only(302)
    ),
    # A large export: only the person who asked for it (waiting page, then the file).
    "overview_export_status": Case(
        "get",
        lambda w: reverse("overview_export_status", args=[_file_export(w)]),
        everyone(404, anonymous=LOGIN, coordinator=200),
    ),
    "overview_export_download": Case(
        "get",
        lambda w: reverse("overview_export_download", args=[_file_export(w)]),
        everyone(404, anonymous=LOGIN, coordinator=302),
    ),
    # Administrators of a coordination office (Kora is one) and site operators only.
    "onboarding_import": Case(
        "get",
        lambda w: reverse("onboarding_import"),
        everyone(404, anonymous=LOGIN, site_operator=200, coordinator=200),
    ),
    # Coverage: a coordination office's area (the operator: all, without an office's expected
    # lists, so the office-bound URLs answer 404 for the operator); nobody else has one.
    "coverage": Case(
        "get",
        lambda w: reverse("coverage"),
        everyone(404, anonymous=LOGIN, site_operator=200, coordinator=200),
    ),
    "coverage_regions": Case(
        "post",
        lambda w: reverse("coverage_regions"),
        everyone(404, anonymous=LOGIN, coordinator=200),
    ),
    "coverage_leistungen": Case(
        "post",
        lambda w: reverse("coverage_leistungen"),
        everyone(404, anonymous=LOGIN, coordinator=200),
    ),
    "coverage_gaps_csv": Case(
        "get",
        lambda w: reverse("coverage_gaps_csv"),
        everyone(404, anonymous=LOGIN, coordinator=200),
    ),
    "coverage_compare": Case(
        "post",
        lambda w: reverse("coverage_compare"),
        everyone(404, anonymous=LOGIN, coordinator=302),
    ),
    "coverage_progress": Case(
        "get",
        lambda w: reverse("coverage_progress", args=[_comparison(w)]),
        everyone(404, anonymous=LOGIN, coordinator=302),
    ),
    "onboarding_create": Case(
        "get",
        lambda w: reverse("onboarding_create"),
        # an authority admin creates onboardings for their own authority only
        {**admins_only(200), "outsider": 200},
    ),
    "onboarding_detail": Case(
        "get",
        lambda w: reverse("onboarding_detail", args=[SLUG]),
        participants(200, 200, readers=200),
    ),
    "onboarding_edit": Case(
        "get", lambda w: reverse("onboarding_edit", args=[SLUG]), participants(200, 403)
    ),
    "step": Case(
        "get", lambda w: reverse("step", args=[SLUG, 2]), participants(200, 200, readers=200)
    ),
    "leistung_create": Case(
        "get", lambda w: reverse("leistung_create", args=[SLUG]), participants(200, 403)
    ),
    "leistung_edit": Case(
        "get",
        lambda w: reverse("leistung_edit", args=[SLUG, _leistung(w)]),
        participants(200, 403),
    ),
    "leistung_delete": Case(
        "post",
        lambda w: reverse("leistung_delete", args=[SLUG, _leistung(w)]),
        participants(302, 403),
    ),
    "leistung_delete_confirm": Case(
        "get",
        lambda w: reverse("leistung_delete", args=[SLUG, _leistung(w)]),
        participants(200, 403),  # the confirmation page for browsers without JavaScript
    ),
    "xml_template": Case(
        "get",
        lambda w: reverse("xml_template", args=[SLUG, _leistung(w)]),
        participants(200, 200),  # the authority records the Leistung, the provider the file
    ),
    "xml_template_save": Case(
        "post",
        lambda w: reverse("xml_template", args=[SLUG, _leistung(w)]),
        participants(200, 200),  # no file chosen: the form answers with its error
    ),
    "leika_lookup": Case(
        "get",
        lambda w: reverse("leika_lookup") + "?q=Gewerbe",
        everyone(200, anonymous=LOGIN),
    ),
    "metadata_versions": Case(
        "post",
        lambda w: reverse("metadata_versions", args=[SLUG]),
        participants(403, 302),  # an SSP setting of the provider's step 2
        data=lambda w: {"versions": ["1.2.0"]},
    ),
    "environment_edit": Case(
        "get",
        lambda w: reverse("environment_edit", args=[SLUG, "test"]),
        participants(403, 200),
    ),
    "item_toggle": Case(
        "post",
        lambda w: reverse("item_toggle", args=[SLUG, STEP2_ITEM]),
        participants(403, 302),
        data=lambda w: {"done": "1"},
    ),
    "item_note": Case(
        "post",
        lambda w: reverse("item_note", args=[SLUG, STEP5_ITEM]),
        participants(302, 403),
        data=lambda w: {"note": "Antrag liegt bei der FITKO"},
    ),
    "item_comment": Case(
        "post",
        lambda w: reverse("item_comment", args=[SLUG, STEP2_ITEM]),
        participants(302, 302, readers=302),
        data=lambda w: {"text": "Wer übernimmt das?"},
    ),
    "item_assign": Case(
        "post",
        lambda w: reverse("item_assign", args=[SLUG, STEP2_ITEM]),
        # the side that works on the step, and the authority's administrators
        {**participants(403, 302), "authority_admin": 302},
        data=lambda w: {"assignee": str(w.provider_staff.pk)},
    ),
    "deadlines": Case("get", lambda w: reverse("deadlines", args=[SLUG]), participants(200, 403)),
    # Everybody who takes part or reads along may remind (checklist.rules.may_remind).
    "onboarding_remind": Case(
        "post",
        lambda w: reverse("onboarding_remind", args=[SLUG]),
        participants(302, 302, readers=302),
        data=lambda w: {"message": "Bitte weitermachen."},
    ),
    "served_authorities": Case(
        "get", lambda w: reverse("served_authorities"), everyone(200, anonymous=LOGIN)
    ),
    "inbox": Case("get", lambda w: reverse("inbox"), everyone(200, anonymous=LOGIN)),
    "mark_all_read": Case(
        "post", lambda w: reverse("mark_all_read"), everyone(302, anonymous=LOGIN)
    ),
    "notification_open": Case(
        "post", lambda w: reverse("notification_open", args=[_notification(w)]), recipient_only(302)
    ),
    "notification_settings": Case(
        "get", lambda w: reverse("notification_settings"), everyone(200, anonymous=LOGIN)
    ),
    "signoff_declare": Case(
        "post",
        lambda w: reverse("signoff_declare", args=[SLUG, "test"]),
        participants(403, 302),
    ),
    "signoff_approve": Case(
        "post",
        lambda w: reverse("signoff_approve", args=[SLUG, "test"]),
        participants(302, 403),
    ),
    "signoff_return": Case(
        "post",
        lambda w: reverse("signoff_return", args=[SLUG, "test"]),
        participants(302, 403),
        data=lambda w: {"reason": "Schlüssel fehlen"},
    ),
    "onboarding_pdf": Case(
        "get", lambda w: reverse("onboarding_pdf", args=[SLUG]), participants(200, 200, readers=200)
    ),
    # Not finished: the request answers with the page and a message (302).
    "archive_request": Case(
        "post", lambda w: reverse("archive_request", args=[SLUG]), participants(302, 302)
    ),
    "archive_download": Case(
        "get",
        lambda w: reverse("archive_download", args=[SLUG, _archive_copy(w)]),
        participants(200, 200, readers=200),
    ),
    # Only the signed-in person's own data, whoever asks.
    "my_data": Case("get", lambda w: reverse("my_data"), everyone(200, anonymous=LOGIN)),
    "blank_pdf": Case("get", lambda w: reverse("blank_pdf"), everyone(200, anonymous=LOGIN)),
    "verify_start": Case(
        "post",
        lambda w: reverse("verify_start", args=[SLUG, "test"]),
        participants(403, 200),  # no secret given: the form explains what is missing
    ),
    "verify_progress": Case(
        "get",
        lambda w: reverse("verify_progress", args=[SLUG, _run(w, finished=False)]),
        participants(
            302, 302, readers=302
        ),  # without htmx: to the step page, which shows the progress
    ),
    "pdf_status": Case(
        "get",
        lambda w: reverse("pdf_status", args=[SLUG, _export(w, w.onboarding, ready=False)]),
        participants(200, 200, readers=200),  # "the PDF is being created"
    ),
    "pdf_download": Case(
        "get",
        lambda w: reverse("pdf_download", args=[SLUG, _export(w, w.onboarding, ready=True)]),
        participants(200, 200, readers=200),
    ),
    "blank_pdf_status": Case(
        "get",
        lambda w: reverse("blank_pdf_status", args=[_export(w, None, ready=False)]),
        everyone(200, anonymous=LOGIN),
    ),
    "blank_pdf_download": Case(
        "get",
        lambda w: reverse("blank_pdf_download", args=[_export(w, None, ready=True)]),
        everyone(200, anonymous=LOGIN),
    ),
    "verify_run": Case(
        "get",
        lambda w: reverse("verify_run", args=[SLUG, _run(w, finished=True)]),
        participants(200, 200, readers=200),
    ),
    # No Zustellpunkt recorded in the world: the start says so on the step page (302).
    "conformance_start": Case(
        "post",
        lambda w: reverse("conformance_start", args=[SLUG, "test"]),
        participants(403, 302),
    ),
    "conformance_progress": Case(
        "get",
        lambda w: reverse("conformance_progress", args=[SLUG, _conformance_run(w, False)]),
        # Without htmx: to the step page, which shows the progress (readers see it too).
        participants(302, 302, readers=302),
    ),
    "conformance_look_again": Case(
        "post",
        lambda w: reverse("conformance_look_again", args=[SLUG, _conformance_run(w, True)]),
        participants(403, 302),  # nothing without an answer: back to the step page
    ),
    "conformance_run": Case(
        "get",
        lambda w: reverse("conformance_run", args=[SLUG, _conformance_run(w, True)]),
        participants(200, 200, readers=200),
    ),
    "secret_delete": Case(
        "post",
        lambda w: reverse("secret_delete", args=[SLUG, "test", "subscriber"]),
        participants(403, 302),
    ),
    "hosts_confirm": Case(
        "post",
        lambda w: reverse("hosts_confirm", args=[SLUG, "test"]),
        participants(403, 302),
    ),
    "key_tool": Case("get", lambda w: reverse("key_tool"), everyone(200, anonymous=LOGIN)),
    "jwk_validator": Case(
        "post", lambda w: reverse("jwk_validator"), everyone(200, anonymous=LOGIN)
    ),
    "audit_trail": Case(
        "get", lambda w: reverse("audit_trail", args=[SLUG]), participants(200, 200, readers=200)
    ),
    # The production watch: every participant and reader reads the Betrieb page; the
    # provider's side records outages and confirms a deactivated Zustellpunkt.
    "watch_page": Case(
        "get", lambda w: reverse("watch_page", args=[SLUG]), participants(200, 200, readers=200)
    ),
    "watch_outage": Case(
        "post",
        lambda w: reverse("watch_outage", args=[SLUG]),
        participants(403, 302),
        data=lambda w: {"kind": "planned", "starts_on": "2026-12-01"},
    ),
    "watch_outage_deactivated": Case(
        "post",
        lambda w: reverse("watch_outage_deactivated", args=[SLUG, _outage(w)]),
        participants(403, 302),
    ),
    "api_tokens": Case(
        "get", lambda w: reverse("api_tokens", args=[w.authority.pk]), admins_only(200)
    ),
    "revoke_api_token": Case(
        "post",
        lambda w: reverse("revoke_api_token", args=[w.authority.pk, _api_token(w).pk]),
        admins_only(302),
    ),
    # The API: documentation for everyone; the operations need an API token, a session is
    # no way in (tests/api/test_matrix.py calls them with tokens of each organisation).
    "api:openapi-json": Case("get", lambda w: reverse("api:openapi-json"), everyone(200)),
    "api:openapi-view": Case("get", lambda w: reverse("api:openapi-view"), everyone(200)),
    "api:api-root": Case("get", lambda w: reverse("api:api-root"), everyone(302)),
    "api:unknown": Case("get", lambda w: "/api/v1/gibt-es-nicht", everyone(404)),
    **{
        f"api:{name}": Case(method, path, everyone(401))
        for name, method, path in (
            ("list_onboardings", "get", lambda w: reverse("api:list_onboardings")),
            ("get_onboarding", "get", lambda w: reverse("api:get_onboarding", args=[SLUG])),
            ("list_items", "get", lambda w: reverse("api:list_items", args=[SLUG])),
            ("get_item", "get", lambda w: reverse("api:get_item", args=[SLUG, STEP2_ITEM])),
            (
                "set_item_done",
                "put",
                lambda w: reverse("api:set_item_done", args=[SLUG, STEP2_ITEM]),
            ),
            (
                "set_item_note",
                "put",
                lambda w: reverse("api:set_item_note", args=[SLUG, STEP2_ITEM]),
            ),
            (
                "list_comments",
                "get",
                lambda w: reverse("api:list_comments", args=[SLUG, STEP2_ITEM]),
            ),
            (
                "add_comment",
                "post",
                lambda w: reverse("api:add_comment", args=[SLUG, STEP2_ITEM]),
            ),
            ("list_environments", "get", lambda w: reverse("api:list_environments")),
            ("start_checks", "post", lambda w: reverse("api:start_checks", args=[SLUG, "test"])),
            ("list_runs", "get", lambda w: reverse("api:list_runs", args=[SLUG])),
            ("getRun", "get", lambda w: reverse("api:getRun", args=[SLUG, _run(w, True)])),
            (
                "start_conformance",
                "post",
                lambda w: reverse("api:start_conformance", args=[SLUG, "test"]),
            ),
            (
                "getConformanceRun",
                "get",
                lambda w: reverse("api:getConformanceRun", args=[SLUG, _conformance_run(w, True)]),
            ),
            ("get_record_pdf", "get", lambda w: reverse("api:get_record_pdf", args=[SLUG])),
        )
    },
    # The link that opens the first enrolment of a second factor (tests/portal/
    # test_operator_second_factor.py): a wrong one sends back to the set-up page.
    "mfa_enrol_link": Case(
        "get", lambda w: reverse("mfa_enrol_link", args=["x"]), everyone(302, anonymous=LOGIN)
    ),
    # Single sign-on (sso/; tests/sso/ runs whole sign-ins against a real provider): an
    # unknown provider is not found; a callback or link without a sign-in begun in the same
    # session, and a logout token that is none, are refused in words (400), never a 500.
    "sso_start": Case("get", lambda w: reverse("sso_start", args=[999_999]), everyone(404)),
    "sso_callback": Case("get", lambda w: reverse("sso_callback"), everyone(400)),
    "sso_link": Case("get", lambda w: reverse("sso_link"), everyone(400)),
    "sso_backchannel_logout": Case(
        "post", lambda w: reverse("sso_backchannel_logout"), everyone(400)
    ),
    "admin:index": Case(
        "get",
        lambda w: reverse("admin:index"),
        everyone(ADMIN_LOGIN, site_operator=200),
    ),
}


def _url_names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_portal_url_is_in_the_matrix() -> None:
    portal_urls = {name for name in _url_names(get_resolver()) if not name.startswith("admin:")}
    missing = portal_urls - CASES.keys()
    assert not missing, f"Add these URLs to the persona matrix: {sorted(missing)}"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_url_answers_each_persona_as_expected(
    name: str, persona: str, world: World, client_for: Callable[[str], Client]
) -> None:
    case = CASES[name]
    client = client_for(persona)
    path = case.path(world)
    response = getattr(client, case.method)(path, case.data(world))
    expected = case.expect[persona]
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    else:
        assert response.status_code == expected, (
            f"{persona} {case.method.upper()} {path} → {response.status_code}, expected {expected}"
        )
