"""URL configuration. Paths are German, as users see them in the address bar."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from portal import mfa, mfa_enrolment, passkeys, views
from portal.forms import PortalPasswordResetForm, PortalSetPasswordForm
from sso.views import SignOutView

auth_patterns = [
    path("anmelden/", mfa.SignInView.as_view(), name="login"),
    path("anmelden/zweiter-faktor/", mfa.login_second_factor, name="login_second_factor"),
    path("konto/zwei-faktor/", mfa.mfa_setup, name="mfa_setup"),
    path(
        "konto/zwei-faktor/wiederherstellungscodes/",
        mfa.mfa_recovery_codes,
        name="mfa_recovery_codes",
    ),
    path(
        "konto/zwei-faktor/bestaetigen/<str:token>/",
        mfa_enrolment.mfa_enrol_link,
        name="mfa_enrol_link",
    ),
    # Passkeys: the JSON endpoints of django-otp-webauthn's JavaScript (portal.passkeys).
    path(
        "konto/zwei-faktor/passkey/hinzufuegen/optionen/",
        passkeys.PasskeyRegistrationBegin.as_view(),
        name="passkey_register_begin",
    ),
    path(
        "konto/zwei-faktor/passkey/hinzufuegen/",
        passkeys.PasskeyRegistrationComplete.as_view(),
        name="passkey_register_complete",
    ),
    path(
        "anmelden/passkey/optionen/",
        passkeys.PasskeyVerificationBegin.as_view(),
        name="passkey_verify_begin",
    ),
    path(
        "anmelden/passkey/",
        passkeys.PasskeyVerificationComplete.as_view(),
        name="passkey_verify_complete",
    ),
    path(
        "konto/zwei-faktor/passkey/texte.js",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="passkey_texts",
    ),
    path(
        "konto/zwei-faktor/passkeys/<id:pk>/entfernen/",
        passkeys.passkey_remove,
        name="passkey_remove",
    ),
    # Ends the identity provider's session too after a single sign-on (sso.views).
    path("abmelden/", SignOutView.as_view(), name="logout"),
    path(
        "passwort-vergessen/",
        auth_views.PasswordResetView.as_view(
            form_class=PortalPasswordResetForm,
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "passwort-vergessen/gesendet/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "passwort-neu/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=PortalSetPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "passwort-neu/fertig/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    # The onboardings' pages first: they are most of the requests, and Django tries the
    # patterns in order. Theirs all start with their own words (vorhaben/, behoerden/,
    # abdeckung/), which no pattern below starts with, so the order changes no match.
    path("", include("checklist.urls")),
    *auth_patterns,
    path("", include("sso.urls")),
    path("", include("notifications.urls")),
    path("vorhaben/", include("watch.urls")),
    path("api/v1/", include("api.urls")),
    path("organisation/wechseln/", views.switch_organisation, name="switch_organisation"),
    path("sitzung/verlaengern/", views.extend_session, name="extend_session"),
    path("organisationen/<id:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisationen/<id:pk>/einladen/", views.invite, name="invite"),
    path(
        "organisationen/<id:pk>/dienstleister-einladen/",
        views.invite_provider,
        name="invite_provider",
    ),
    path(
        "organisationen/<id:pk>/anfragen/<id:request_pk>/annehmen/",
        views.answer_partnership_request,
        {"accept": True},
        name="accept_partnership_request",
    ),
    path(
        "organisationen/<id:pk>/anfragen/<id:request_pk>/ablehnen/",
        views.answer_partnership_request,
        {"accept": False},
        name="decline_partnership_request",
    ),
    path(
        "organisationen/<id:pk>/mitglieder/<id:membership_pk>/rolle/",
        views.change_role,
        name="change_role",
    ),
    path(
        "organisationen/<id:pk>/einladungen/<id:invitation_pk>/zurueckziehen/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path(
        "organisationen/<id:pk>/mitglieder/<id:membership_pk>/entfernen/",
        views.remove_member,
        name="remove_member",
    ),
    path("organisationen/<id:pk>/api-tokens/", views.api_tokens, name="api_tokens"),
    path(
        "organisationen/<id:pk>/api-tokens/<id:token_pk>/widerrufen/",
        views.revoke_api_token,
        name="revoke_api_token",
    ),
    path("einladung/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("impressum/", views.imprint, name="imprint"),
    path("datenschutz/", views.privacy, name="privacy"),
    path("barrierefreiheit/", views.accessibility, name="accessibility"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# A lost database connection answers 503 "kurz nicht erreichbar", anything else the 500 page.
handler500 = "portal.outage.server_error"
