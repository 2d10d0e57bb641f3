"""One change of an onboarding's recorded data, with the tail every such change needs.

``with change(onboarding, actor):`` locks the onboarding's row for the transaction; the
block writes and audits; afterwards the sign-offs the change invalidates are marked (with
their Protokoll entries and notifications) and the stored summary is refreshed. The page
cache follows by itself: the database triggers raise the revision (``revision_triggers``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

from checklist import summary
from checklist.models import Onboarding
from checklist.signoff import refresh_signoffs
from portal.models import Actor


@contextmanager
def change(onboarding: Onboarding, actor: Actor | None) -> Iterator[Onboarding]:
    with transaction.atomic():
        onboarding.lock()
        yield onboarding
        refresh_signoffs(onboarding, actor)
        summary.store(onboarding)
