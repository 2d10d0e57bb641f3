"""The onboarding's derived state: item views, progress, step status, next action, snapshots.

Everything here is read-only: ``OnboardingState`` loads one onboarding with a fixed number of
queries and derives the rest. Changes live in ``services`` and ``signoff``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from checklist import catalogue
from checklist.catalogue import Item
from checklist.models import (
    ENVIRONMENT_STEP,
    Environment,
    EnvironmentRecord,
    ItemState,
    Leistung,
    Onboarding,
    SignOff,
)


class NotAllowed(Exception):
    """A change the rules forbid; the message is for the person who tried it."""


class StepStatus:
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    LOCKED = "locked"


STATUS_LABELS = {
    StepStatus.NOT_STARTED: gettext_lazy("Not started"),
    StepStatus.IN_PROGRESS: gettext_lazy("In progress"),
    StepStatus.DONE: gettext_lazy("Done"),
    StepStatus.LOCKED: gettext_lazy("Locked"),
}


@dataclass
class ItemView:
    item: Item
    state: ItemState
    done: bool
    automatic: bool
    done_by: str = ""
    done_at: datetime | None = None
    by_check: bool = False


@dataclass
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else round(100 * self.done / self.total)


@dataclass
class OnboardingState:
    """Everything derived from one onboarding, loaded with a fixed number of queries."""

    onboarding: Onboarding
    with_comments: bool = False  # only the step page shows them
    leistungen: list[Leistung] = field(init=False)
    records: dict[str, EnvironmentRecord] = field(init=False)
    states: dict[str, ItemState] = field(init=False)
    latest_signoffs: dict[str, SignOff] = field(init=False)

    def __post_init__(self) -> None:
        onboarding = self.onboarding
        self.leistungen = list(onboarding.leistungen.order_by("key"))
        self.records = {r.environment: r for r in onboarding.environments.all()}
        states = onboarding.item_states.select_related("done_by", "done_by_token__organisation")
        if self.with_comments:
            states = states.prefetch_related(
                "comments__author", "comments__author_token__organisation"
            )
        self.states = {s.key: s for s in states}
        self.latest_signoffs = {}
        for signoff in onboarding.signoffs.select_related("declared_by", "decided_by"):
            self.latest_signoffs.setdefault(signoff.environment, signoff)

    # Conditions and data bindings -------------------------------------------------------

    def _offers(self, channel: str) -> bool:
        return any(channel in leistung.reply_channels() for leistung in self.leistungen)

    def visible(self, item: Item) -> bool:
        condition = item.condition or {}
        if "reply_channel" in condition and not self._offers(condition["reply_channel"]):
            return False
        if condition.get("callback"):
            return any(record.callback_url for record in self.records.values())
        return True

    def _data_done(self, binding: str) -> bool:
        onboarding, leistungen = self.onboarding, self.leistungen
        record_binding = binding.removesuffix("_environment")
        if record_binding in Environment.values:
            record = self.records.get(record_binding)
            return record is not None and record.is_configured
        checks = {
            "leistungen": lambda: bool(leistungen),
            "schemas": lambda: (
                bool(leistungen)
                and all(leistung.schema_uri and leistung.mime_type for leistung in leistungen)
            ),
            "reply_channels": lambda: bool(leistungen),
            "regions": lambda: (
                bool(leistungen) and all(leistung.regions for leistung in leistungen)
            ),
            "provider": lambda: onboarding.provider_decided,
            "metadata_versions": lambda: bool(onboarding.metadata_versions),
            "contacts": lambda: bool(
                onboarding.technical_name
                and onboarding.technical_email
                and onboarding.organisational_name
                and onboarding.organisational_email
            ),
        }
        return checks[binding]()

    def item_view(self, item: Item) -> ItemView:
        state = self.states.get(item.key) or ItemState(onboarding=self.onboarding, key=item.key)
        if item.completion == "data":
            return ItemView(item, state, self._data_done(item.binding or ""), automatic=True)
        if item.completion == "signoff":
            signoff = self.latest_signoffs.get(item.binding or "")
            if signoff is not None and signoff.is_valid:
                return ItemView(
                    item,
                    state,
                    True,
                    automatic=True,
                    done_by=str(signoff.decided_by or ""),
                    done_at=signoff.decided_at,
                )
            return ItemView(item, state, False, automatic=True)
        done_by = ""
        if state.done:
            who = state.done_by or state.done_by_token
            done_by = _("connection check") if state.done_by_run_id else str(who or "")
        return ItemView(
            item,
            state,
            state.done,
            automatic=False,
            done_by=done_by,
            done_at=state.done_at if state.done else None,
            by_check=bool(state.done and state.done_by_run_id),
        )

    # Steps and progress -----------------------------------------------------------------

    def items(self, step: int) -> list[ItemView]:
        return [
            self.item_view(item) for item in catalogue.load().for_step(step) if self.visible(item)
        ]

    @cached_property
    def _items_by_step(self) -> dict[int, list[ItemView]]:
        return {step: self.items(step) for step in range(1, 6)}

    def progress(self, step: int) -> Progress:
        required = [view for view in self._items_by_step[step] if view.item.required]
        return Progress(sum(view.done for view in required), len(required))

    def overall(self) -> Progress:
        parts = [self.progress(step) for step in range(1, 6)]
        return Progress(sum(p.done for p in parts), sum(p.total for p in parts))

    def open_required(self, step: int) -> list[ItemView]:
        return [
            view
            for view in self._items_by_step[step]
            if view.item.required and view.item.completion != "signoff" and not view.done
        ]

    def signoff(self, environment: str) -> SignOff | None:
        return self.latest_signoffs.get(environment)

    def signoff_valid(self, environment: str) -> bool:
        signoff = self.signoff(environment)
        return signoff is not None and signoff.is_valid

    def status(self, step: int) -> str:
        environment = Environment.of_step(step)
        if step == 4 and not self.signoff_valid(Environment.TEST):
            return StepStatus.LOCKED
        if environment is not None and self.signoff_valid(environment):
            return StepStatus.DONE
        if environment is None and not self.open_required(step):
            return StepStatus.DONE
        started = any(view.done for view in self._items_by_step[step])
        if environment is not None and self.signoff(environment) is not None:
            started = True
        return StepStatus.IN_PROGRESS if started else StepStatus.NOT_STARTED

    def current_step(self) -> int | None:
        """Return the first step that is not done, or None when all are."""
        return next((s for s in range(1, 6) if self.status(s) != StepStatus.DONE), None)

    def next_action(self) -> str:
        """Return, in words, what should happen next and who does it."""
        step = self.current_step()
        if step is None:
            return _("Connected to production. Keep contacts and certificates up to date.")
        environment = Environment.of_step(step)
        if environment is not None:
            signoff = self.signoff(environment)
            label = Environment(environment).label
            if signoff is not None and signoff.state == SignOff.State.DECLARED:
                return _("Authority: check and approve the %(env)s sign-off.") % {"env": label}
            if signoff is not None and signoff.state == SignOff.State.APPROVED:
                return _("%(env)s sign-off is invalid: check again and declare it anew.") % {
                    "env": label
                }
        open_items = self.open_required(step)
        if open_items:
            item = open_items[0].item
            who = _("Authority") if item.role == "authority" else _("Service provider")
            if item.role == "both":
                who = _("Authority and service provider")
            return f"{who}: {item.title}"
        if environment is not None:
            return _("Service provider: declare %(env)s ready for sign-off.") % {
                "env": Environment(environment).label
            }
        return ""

    # Snapshots --------------------------------------------------------------------------

    def snapshot(self, environment: str) -> dict[str, Any]:
        """Return everything the environment's sign-off depends on, as plain JSON data."""
        record = self.records.get(environment)
        step = ENVIRONMENT_STEP[Environment(environment)]
        # Who ticked ("connection check", "API token …") in one language, whatever the
        # reader's: else an English request would see a changed snapshot and invalidate it.
        with translation.override(settings.LANGUAGE_CODE):
            views = self.items(step)
        items = {}
        for view in views:
            if view.item.completion == "signoff":
                continue
            items[view.item.key] = {
                "done": view.done,
                "by": view.done_by,
                "at": view.done_at.isoformat() if view.done_at else None,
            }
        return {
            "environment": environment,
            "leistungen": {
                leistung.key: {
                    "name": leistung.name,
                    "schema_kind": leistung.schema_kind,
                    "schema_uri": leistung.schema_uri,
                    "mime_type": leistung.mime_type,
                    "regions": list(leistung.regions),
                    "reply_channels": leistung.reply_channels(),
                }
                for leistung in self.leistungen
            },
            "metadata_versions": sorted(self.onboarding.metadata_versions),
            "environment_record": {
                "client_id": record.client_id if record else "",
                "destination_id": str(record.destination_id or "") if record else "",
                "encryption_kid": record.encryption_kid if record else "",
                "signature_kid": record.signature_kid if record else "",
                "callback_url": record.callback_url if record else "",
                "certificate_expiry": (
                    record.certificate_expiry.isoformat()
                    if record and record.certificate_expiry
                    else None
                ),
            },
            "items": items,
        }
