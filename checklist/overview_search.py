"""The overview's filters for those who follow many authorities (coordination offices, site
operators): authority, provider and region as search fields instead of selects listing
thousands of organisations. In the query string like every other filter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from checklist import overview
from checklist.coordination import is_operator
from checklist.models import IN_HOUSE, Onboarding
from checklist.overview import OverviewFilterForm
from portal.models import ARS_PATTERN, Membership, Organisation, User
from portal.types import AuthenticatedHttpRequest


def region_field() -> forms.RegexField:
    """The region filter (an ARS prefix) the overview and the dashboard both offer."""
    return forms.RegexField(
        label=_("Region (ARS of a Land or Kreis)"),
        required=False,
        regex=ARS_PATTERN,
        error_messages={
            "invalid": _(
                "Please enter an ARS of 2 (Land), 3 (Regierungsbezirk), 5 (Kreis), "
                "9 (Gemeindeverband) or 12 (Gemeinde) digits, e.g. 06 for Hessen."
            )
        },
    )


class SearchFilterForm(OverviewFilterForm):
    """The overview's filters with authority, provider and region searched by text."""

    authority_name = forms.CharField(
        label=_("Authority (name or ARS)"), required=False, max_length=200
    )
    provider_name = forms.CharField(
        label=_("IT service provider (name)"),
        required=False,
        max_length=200,
        help_text=_("“in-house” for authorities without a service provider"),
    )
    region = region_field()

    def __init__(self, data: Any) -> None:
        super().__init__(data, [], [])
        del self.fields["authority"]
        del self.fields["provider"]
        # Search fields first, in the order a coordinator narrows down.
        order = ["q", "region", "authority_name", "provider_name"]
        self.order_fields(order)


IN_HOUSE_WORDS = {"in-house", "inhouse", "in house", "in eigenregie", "eigenregie", IN_HOUSE}


def apply_search(onboardings: QuerySet[Onboarding], values: dict[str, Any]) -> QuerySet[Onboarding]:
    """Narrow by the search fields (the other filters: ``overview.apply_filters``)."""
    if region := values.get("region"):
        onboardings = onboardings.filter(authority__ars__startswith=region)
    if authority := (values.get("authority_name") or "").strip():
        match = Q(authority__name__icontains=authority)
        if authority.isdigit():
            match |= Q(authority__ars__startswith=authority)
        onboardings = onboardings.filter(match)
    if provider := (values.get("provider_name") or "").strip():
        if provider.lower() in IN_HOUSE_WORDS:
            onboardings = onboardings.filter(in_house=True)
        else:
            onboardings = onboardings.filter(provider__name__icontains=provider)
    return onboardings


@dataclass
class Selection:
    """The overview's onboardings as the request's filters narrow them."""

    form: OverviewFilterForm
    values: dict[str, Any]
    onboardings: QuerySet[Onboarding]
    organisation: Organisation | None


def selection(request: AuthenticatedHttpRequest) -> Selection:
    """The onboardings the person's overview lists, narrowed by the query string's filters
    (the page, its exports and the dashboard's links agree on them)."""
    membership = request.membership
    organisation = membership.organisation if membership else None
    return select(request.user, request.memberships, organisation, request.GET)


def select(
    user: User, memberships: list[Membership], organisation: Organisation | None, data: Any
) -> Selection:
    """``selection`` for a person, her memberships and chosen organisation, and the filters
    (a query dict): also for the worker building a large export."""
    onboardings = overview.scope(user, memberships, organisation)
    # Who follows many authorities searches them; the others choose from their few.
    searching = is_operator(user) or bool(organisation and organisation.is_coordination)
    form: OverviewFilterForm
    if searching:
        form = SearchFilterForm(data)
    else:
        authorities, providers = overview.filter_options(onboardings)
        form = OverviewFilterForm(data, authorities, providers)
    values = form.cleaned_data if form.is_valid() else {}
    onboardings = overview.apply_filters(onboardings, values)
    if searching:
        onboardings = apply_search(onboardings, values)
    return Selection(form, values, onboardings, organisation)
