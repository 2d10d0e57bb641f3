"""The overview of many onboardings: filtered, sorted and paged in SQL on the stored summary.

Nothing here builds an ``OnboardingState``: progress, current step, sign-off states and the
next action are columns of the onboarding (``checklist.summary``). One query for the page,
one for the count, one for each list of organisations to filter by.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from checklist.coordination import authorities_q
from checklist.forms import DateInput
from checklist.models import IN_HOUSE, Environment, Onboarding
from checklist.slug_links import SlugLinks
from checklist.state import SIGNOFF_INVALID, describe_next_action, next_action_url
from portal.forms_renderer import KernFormMixin, ListSelect
from portal.models import Organisation
from watch import summary as watch_summary

PER_PAGE = 50
LIVE = "live"

# The column each sort key orders by; ties by name. "Live" (no current step) and "no date"
# come last either way.
SORTS = {
    "name": "name",
    "step": "current_step",
    "progress": "progress_percent",
    "go_live": "target_go_live",
}
SORT_COLUMNS = [
    ("name", _("Fachverfahren")),
    ("step", _("Current step")),
    ("progress", _("Progress")),
    ("go_live", _("Target go-live")),
]
SIGNOFF_STATES = [
    ("declared", _("waiting for sign-off")),
    ("returned", _("sent back")),
    (SIGNOFF_INVALID, _("invalid – check again")),
    ("approved", _("signed off")),
]


class OverviewFilterForm(KernFormMixin, forms.Form):
    """The overview's filters, from the query string (plain GET links and forms), styled like
    every other form; the date is a date picker as everywhere else."""

    q = forms.CharField(label=_("Search by name"), required=False, max_length=200)
    # Hundreds of organisations at a Land's scale: their options are written without a
    # template each (ListSelect).
    authority = forms.TypedChoiceField(
        label=_("Authority"), required=False, coerce=int, widget=ListSelect
    )
    provider = forms.ChoiceField(label=_("IT service provider"), required=False, widget=ListSelect)
    step = forms.ChoiceField(label=_("Current step"), required=False, widget=ListSelect)
    signoff = forms.ChoiceField(label=_("Sign-off"), required=False, widget=ListSelect)
    approved = forms.ChoiceField(label=_("Signed off"), required=False, widget=ListSelect)
    watch = forms.ChoiceField(label=_("Production connection"), required=False, widget=ListSelect)
    overdue = forms.BooleanField(label=_("Only overdue (target go-live passed)"), required=False)
    go_live_from = forms.DateField(
        label=_("Target go-live from"),
        required=False,
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        widget=DateInput(),
        error_messages={"invalid": _("Please enter a date as DD.MM.YYYY, e.g. 31.12.2027.")},
    )
    go_live_before = forms.DateField(
        label=_("Target go-live before"),
        required=False,
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        widget=DateInput(),
        error_messages={"invalid": _("Please enter a date as DD.MM.YYYY, e.g. 31.12.2027.")},
    )

    def __init__(
        self,
        data: Any,
        authorities: list[tuple[int, str]],
        providers: list[tuple[int, str]],
    ) -> None:
        super().__init__(data)
        everyone: list[tuple[Any, Any]] = [("", _("all"))]
        choices: dict[str, list[tuple[Any, Any]]] = {
            "authority": everyone + authorities,
            "provider": everyone
            + [(IN_HOUSE, _("in-house"))]
            + [(str(pk), name) for pk, name in providers],
            "step": everyone
            + [(str(n), _("Step %(number)d") % {"number": n}) for n in range(1, 6)]
            + [(LIVE, _("Live"))],
            "signoff": everyone + SIGNOFF_STATES,
            "approved": everyone + [(stage.value, stage.label) for stage in Environment],
            "watch": everyone + list(watch_summary.FILTER_CHOICES),
        }
        for name, options in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101
            field.choices = options


def scope(
    user: Any, memberships: list[Any], organisation: Organisation | None
) -> QuerySet[Onboarding]:
    """Return the onboardings the overview lists: a site operator's all, a coordination
    office's those of its area, else the organisation's."""
    if user.is_staff or user.is_superuser:
        return Onboarding.objects.all()
    if organisation is None:
        return Onboarding.objects.none()
    if organisation.is_coordination:
        return Onboarding.objects.filter(authorities_q(organisation, "authority__"))
    return Onboarding.objects.filter(Q(authority=organisation) | Q(provider=organisation))


def filter_options(
    onboardings: QuerySet[Onboarding],
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Return the authorities and providers that occur among the onboardings, each as its
    id and name (the filter's choices: a provider with a few hundred authorities would
    otherwise build as many organisations for every overview)."""
    authorities = list(
        Organisation.objects.filter(pk__in=onboardings.values("authority_id"))
        .order_by("name")
        .values_list("pk", "name")
    )
    providers = list(
        Organisation.objects.filter(pk__in=onboardings.values("provider_id"))
        .order_by("name")
        .values_list("pk", "name")
    )
    return authorities, providers


def apply_filters(
    onboardings: QuerySet[Onboarding], values: dict[str, Any]
) -> QuerySet[Onboarding]:
    """Return the onboardings narrowed by the form's cleaned values."""
    today = timezone.localdate()
    if values.get("q"):
        onboardings = onboardings.filter(name__icontains=values["q"])
    if values.get("authority"):
        onboardings = onboardings.filter(authority_id=values["authority"])
    provider = values.get("provider")
    if provider == IN_HOUSE:
        onboardings = onboardings.filter(in_house=True)
    elif provider:
        onboardings = onboardings.filter(provider_id=int(provider))
    step = values.get("step")
    if step == LIVE:
        onboardings = onboardings.filter(current_step__isnull=True)
    elif step:
        onboardings = onboardings.filter(current_step=int(step))
    signoff = values.get("signoff")
    if signoff:
        onboardings = onboardings.filter(
            Q(signoff_test=signoff) | Q(signoff_reference=signoff) | Q(signoff_production=signoff)
        )
    if values.get("approved") in Environment.values:
        onboardings = onboardings.filter(**{f"signoff_{values['approved']}": "approved"})
    if values.get("watch"):
        onboardings = watch_summary.filter_by_state(onboardings, values["watch"])
    if values.get("overdue"):
        onboardings = onboardings.filter(target_go_live__lt=today, current_step__isnull=False)
    since: date | None = values.get("go_live_from")
    if since is not None:
        onboardings = onboardings.filter(target_go_live__gte=since)
    before: date | None = values.get("go_live_before")
    if before is not None:
        onboardings = onboardings.filter(target_go_live__lt=before)
    return onboardings


def sorted_by(onboardings: QuerySet[Onboarding], sort: str) -> tuple[QuerySet[Onboarding], str]:
    """Return the onboardings in the order of ``sort`` (``-`` first for descending)."""
    key = sort.lstrip("-")
    if key not in SORTS:
        key, sort = "name", "name"
    column = F(SORTS[key])
    first = column.desc(nulls_last=True) if sort.startswith("-") else column.asc(nulls_last=True)
    return onboardings.order_by(first, "name", "pk"), sort


@dataclass
class Row:
    """One line of the overview, from the onboarding's stored summary, every text and link
    worked out here once so that the row template only prints them (50 rows a page)."""

    onboarding: Onboarding
    overdue: bool
    url: str = ""
    parties: str = ""
    step: str = ""
    go_live: str = ""
    signoffs: str = ""  # safe HTML (_signoff_line)
    next_action: str = ""
    next_action_url: str = ""
    # The production watch's badge ("" while not watched), from its stored summary.
    watch_badge: str = ""


@functools.lru_cache(maxsize=512)
def _signoff_line(language: str, states: tuple[str, ...]) -> SafeString:
    """The sign-off line of a row: the same for every row with these states (there are
    5×5×5 combinations per language), so rendered once for all of them."""
    signoffs = list(zip(Environment, states, strict=True))
    return mark_safe(  # noqa: S308 - a template's output
        render_to_string("checklist/includes/signoff_compact.html", {"signoffs": signoffs})
    )


@functools.lru_cache(maxsize=64)
def _watch_badge(language: str, state: str) -> SafeString:
    """The production watch's badge of a row, rendered once per state and language."""
    if not state:
        return mark_safe("")
    return mark_safe(  # noqa: S308 - a template's output
        render_to_string("watch/includes/state_badge.html", {"state": state}).strip()
    )


def _row(onboarding: Onboarding, today: date, links: SlugLinks, in_house: str) -> Row:
    o = onboarding
    parties = o.authority.name
    if o.provider_id is not None:
        parties += f" · {o.provider.name}"  # type: ignore[union-attr]
    elif o.in_house:
        parties += f" · {in_house}"
    states = (o.signoff_test, o.signoff_reference, o.signoff_production)
    return Row(
        o,
        overdue=bool(o.target_go_live and o.target_go_live < today and o.current_step is not None),
        url=links.of("onboarding_detail", o.slug),
        parties=parties,
        step=(
            gettext_now("Step %(number)d") % {"number": o.current_step}
            if o.current_step
            else gettext_now("Live")
        ),
        go_live=o.target_go_live.strftime("%d.%m.%Y") if o.target_go_live else "–",
        signoffs=_signoff_line(get_language() or "", states),
        next_action=describe_next_action(o.current_step, o.next_action, o.next_action_item),
        next_action_url=next_action_url(o.slug, o.current_step, o.next_action, o.next_action_item),
        watch_badge=_watch_badge(get_language() or "", getattr(o, "watch_state", None) or ""),
    )


def page_of(onboardings: QuerySet[Onboarding], number: str | None) -> tuple[Page[Any], list[Row]]:
    """Return the requested page (50 rows) and its rows, each linking to its onboarding."""
    columns = (
        "name",
        "slug",
        "in_house",
        "target_go_live",
        "authority__name",
        "provider__name",
        "progress_done",
        "progress_total",
        "progress_percent",
        "current_step",
        "signoff_test",
        "signoff_reference",
        "signoff_production",
        "next_action",
        "next_action_item",
    )
    paginator = Paginator(
        onboardings.select_related("authority", "provider")
        .only(*columns)
        .annotate(watch_state=F("watch__state")),
        PER_PAGE,
    )
    page = paginator.get_page(number)
    today = timezone.localdate()
    links = SlugLinks()  # the row's link to its onboarding (never the admin's)
    in_house = gettext_now("in-house")
    return page, [_row(onboarding, today, links, in_house) for onboarding in page.object_list]
