"""URL configuration. Paths are German, as users see them in the address bar."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import views
from portal.forms import EmailAuthenticationForm, PortalPasswordResetForm, PortalSetPasswordForm

admin.site.site_header = "FIT-Connect Anbindungsportal"
admin.site.site_title = "Anbindungsportal"

auth_patterns = [
    path(
        "anmelden/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("abmelden/", auth_views.LogoutView.as_view(), name="logout"),
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
    *auth_patterns,
    path("", include("checklist.urls")),
    path("api/v1/", include("api.urls")),
    path("organisation/wechseln/", views.switch_organisation, name="switch_organisation"),
    path("sitzung/verlaengern/", views.extend_session, name="extend_session"),
    path("organisationen/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisationen/<int:pk>/einladen/", views.invite, name="invite"),
    path(
        "organisationen/<int:pk>/einladungen/<int:invitation_pk>/zurueckziehen/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path(
        "organisationen/<int:pk>/mitglieder/<int:membership_pk>/entfernen/",
        views.remove_member,
        name="remove_member",
    ),
    path("organisationen/<int:pk>/api-tokens/", views.api_tokens, name="api_tokens"),
    path(
        "organisationen/<int:pk>/api-tokens/<int:token_pk>/widerrufen/",
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
