"""Saved filters of the overview: a person keeps a filter under a name, applies it and
deletes it. Only she sees her own. A saved filter is the overview's query string and
nothing else: applied, it narrows what the overview lists for her at that moment (her
memberships decide, never the filter), so it can never show more than she may see.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from checklist.models import SavedFilter
from portal.models import User

# The overview's filters and sort; anything else in a query string is not kept.
KEPT = (
    "q",
    "region",
    "authority",
    "authority_name",
    "provider",
    "provider_name",
    "step",
    "signoff",
    "approved",
    "overdue",
    "go_live_from",
    "go_live_before",
    "sort",
)
MAX_PER_PERSON = 50


class FilterRefused(ValueError):
    """Why a filter cannot be saved, for the name field."""


def cleaned_query(query: str) -> str:
    """The overview's filters of a query string, empty values and other parameters left out."""
    data = QueryDict(query)
    kept = QueryDict(mutable=True)
    for name in KEPT:
        value = data.get(name, "").strip()
        if value and not (name == "sort" and value == "name"):  # the default order
            kept[name] = value
    return kept.urlencode()


def of(user: User) -> QuerySet[SavedFilter]:
    return SavedFilter.objects.filter(user=user).order_by("name", "pk")


def save_filter(user: User, name: str, query: str) -> SavedFilter:
    """Keep the filter under the name; refused with a reason for the name field."""
    name = name.strip()
    query = cleaned_query(query)
    if not query:
        raise FilterRefused(_("Choose a filter in the overview first: there is nothing to save."))
    if of(user).count() >= MAX_PER_PERSON:
        raise FilterRefused(
            _("You have saved %(count)d filters already. Please delete one first.")
            % {"count": MAX_PER_PERSON}
        )
    try:
        with transaction.atomic():
            return SavedFilter.objects.create(user=user, name=name, query=query)
    except IntegrityError:
        raise FilterRefused(
            _("You already have a filter named “%(name)s”. Please choose another name.")
            % {"name": name}
        ) from None


def delete_filter(user: User, pk: int) -> bool:
    """Delete one of the person's own filters; False if she has none with this id."""
    deleted, _rows = of(user).filter(pk=pk).delete()
    return bool(deleted)
