"""Forms for sign-in, invitations and the organisation switcher. Forms only validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from portal.forms_renderer import KernFormMixin
from portal.mail import send_password_reset
from portal.models import (
    ApiToken,
    Membership,
    Organisation,
    User,
    normalise_email,
)


class EmailAuthenticationForm(KernFormMixin, AuthenticationForm):
    """Sign in with e-mail address and password."""

    username = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    error_messages = {
        "invalid_login": _(
            "The e-mail address or the password is not correct. Please check both and try again."
        ),
        "inactive": _("This account has been deactivated."),
    }

    def clean_username(self) -> str:
        return normalise_email(self.cleaned_data["username"])

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        from sso.policy import password_refused_by  # sso builds on portal's models

        organisation = password_refused_by(user)
        if organisation:
            raise forms.ValidationError(
                _(
                    "%(organisation)s signs its staff in through its own sign-in service. "
                    'Please use the button "Sign in with service account" below.'
                )
                % {"organisation": organisation},
                code="sso_required",
            )


class PortalPasswordResetForm(KernFormMixin, PasswordResetForm):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def save(  # type: ignore[override]
        self,
        domain_override: str | None = None,
        subject_template_name: str = "registration/password_reset_subject.txt",
        email_template_name: str = "registration/password_reset_email.txt",
        use_https: bool = False,
        request: HttpRequest | None = None,
        **ignored: Any,
    ) -> None:
        """Enqueue the reset for the background worker; look nothing up in the request.

        Known and unknown addresses then cost the request the same: one queued task.
        """
        send_password_reset.enqueue(
            self.cleaned_data["email"],
            domain_override or get_current_site(request).domain,
            use_https,
            translation.get_language() or settings.LANGUAGE_CODE,
            subject_template_name,
            email_template_name,
        )


class InvitationForm(KernFormMixin, forms.Form):
    """Invite a person by e-mail address into an organisation."""

    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text=_("The person receives a link that is valid for 7 days and can be used once."),
        error_messages={
            "required": _("Please enter the e-mail address of the person you want to invite."),
            "invalid": _("Please enter a valid e-mail address, for example name@behoerde.de."),
        },
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Membership.Role.choices,
        initial=Membership.Role.STAFF,
        widget=forms.RadioSelect,
        help_text=_("Administrators can invite further people, change roles and remove members."),
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean_email(self) -> str:
        email = normalise_email(self.cleaned_data["email"])
        if self.organisation.memberships.filter(user__email=email).exists():
            raise forms.ValidationError(
                _("This person is already a member of %(organisation)s."),
                code="already_member",
                params={"organisation": self.organisation.name},
            )
        return email


class ProviderInvitationForm(KernFormMixin, forms.Form):
    """Bring in an IT service provider by the e-mail address of its contact person."""

    email = forms.EmailField(
        label=_("E-mail address of the contact person"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text=_(
            "If this person already works for an IT service provider in the portal, that "
            "provider's administrators are asked to agree. Otherwise the person is invited as "
            "the administrator of a new provider organisation. The provider is linked to your "
            "authority once it accepts."
        ),
        error_messages={
            "required": _("Please enter the e-mail address of the contact person."),
            "invalid": _("Please enter a valid e-mail address, for example name@dienstleister.de."),
        },
    )
    name = forms.CharField(
        label=_("Name of the IT service provider"),
        max_length=180,
        required=False,  # the message is the form's own, below
        help_text=_("Used for a provider that is not yet in the portal."),
    )

    prefix = "provider"  # the page also has the colleague invitation's e-mail field

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        email = cleaned.get("email")
        if not email:
            return cleaned
        cleaned["email"] = email = normalise_email(email)
        if self.organisation.memberships.filter(user__email=email).exists():
            self.add_error(
                "email",
                _(
                    "This person belongs to your authority. Please enter the address of a "
                    "contact person at the IT service provider."
                ),
            )
            return cleaned
        # Asked of every address alike, so that the answer reveals nothing about it.
        if not (cleaned.get("name") or "").strip():
            self.add_error(
                "name",
                _(
                    "Please enter the name of the IT service provider; it is used when the "
                    "provider is not yet in the portal."
                ),
            )
        return cleaned


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class AcceptInvitationForm(KernFormMixin, forms.Form):
    """Set name and password when accepting an invitation as a new user."""

    full_name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("First name and surname, as colleagues should see it."),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters; not only digits and not a common password."),
    )
    password2 = forms.CharField(
        label=_("Repeat password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords do not match."))
        elif password1:
            candidate = User(email=self.email, full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class PortalSetPasswordForm(KernFormMixin, SetPasswordForm[User]):
    """Set a new password after a reset, with the portal's hint text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = _(
            "At least 12 characters; not only digits and not a common password."
        )


class OrganisationSwitchForm(KernFormMixin, forms.Form):
    organisation = forms.TypedChoiceField(label=_("Organisation"), coerce=int)

    def __init__(self, *args: Any, memberships: list[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [  # type: ignore[attr-defined]
            (m.organisation_id, m.organisation.name) for m in memberships
        ]


class ApiTokenForm(KernFormMixin, forms.Form):
    """Create an API token for the organisation's pipelines."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("So that you recognise it later, e.g. the pipeline that uses it."),
        error_messages={"required": _("Please give the token a name.")},
    )
    scopes = forms.MultipleChoiceField(
        label=_("Permissions"),
        choices=ApiToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Give the token only what its pipeline needs."),
        error_messages={"required": _("Please choose at least one permission.")},
    )
    valid_days = forms.TypedChoiceField(
        label=_("Valid for"),
        choices=[
            (days, ngettext_lazy("%(count)d day", "%(count)d days", days) % {"count": days})
            for days in ApiToken.VALID_DAYS_CHOICES
        ],
        coerce=int,
        initial=90,
        widget=forms.RadioSelect,
        help_text=_("After that the token stops working; create a new one in time."),
        error_messages={"required": _("Please choose how long the token is valid.")},
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if self.organisation.api_tokens.filter(name=name, revoked_at__isnull=True).exists():
            raise forms.ValidationError(
                _("A token with this name exists already. Please choose another name."),
                code="duplicate",
            )
        return name
