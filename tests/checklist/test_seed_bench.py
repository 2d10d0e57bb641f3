"""The benchmark's data (``checklist.demo.seed_bench``, ``make bench``)."""

from __future__ import annotations

import pytest

from checklist import catalogue
from checklist.demo import seed_bench
from checklist.models import ItemState, Onboarding

pytestmark = pytest.mark.django_db


def test_data_kept_from_an_older_catalogue_is_brought_up_to_date() -> None:
    # A bench database built before a catalogue change is used again: the first page views
    # must not be the ones adopting the new items (a write measured as if pages did it).
    seed_bench(12, 3, 2, 6, "Bench-Passwort-2026")
    current = catalogue.load()
    newest_key = current.items[-1].key
    old = Onboarding.objects.filter(slug__startswith="bench-0")
    ItemState.objects.filter(onboarding__in=old, key=newest_key).delete()
    old.update(catalogue_version=current.version - 1)

    seed_bench(12, 3, 2, 6, "Bench-Passwort-2026")

    assert not Onboarding.objects.filter(catalogue_version__lt=current.version).exists()
    for onboarding in Onboarding.objects.filter(slug__startswith="bench-0"):
        assert onboarding.item_states.filter(key=newest_key).exists(), onboarding.slug
