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
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from checklist import catalogue, item_state_rows, stage_rows
from checklist.catalogue import Item
from checklist.deadlines import Due, due_dates
from checklist.models import (
    ENVIRONMENT_STEP,
    Comment,
    Environment,
    EnvironmentRecord,
    FitConnectEnvironment,
    ItemState,
    Leistung,
    Onboarding,
    SignOff,
)
from portal.models import User

# Snapshots name their format: a sign-off frozen in an older one is compared only on what it
# froze (``checklist.signoff.snapshot_changes``). 2: the API version, each item's run and
# reason for a hand tick.
SNAPSHOT_FORMAT = 2

# Related rows OnboardingState reads; prefetch these to build many states with fixed queries.
STATE_PREFETCH = ("leistungen", "environments", "item_states__done_by", "signoffs")


class NotAllowed(Exception):
    """A change the rules forbid; the message is for the person who tried it."""


class ReasonRequired(NotAllowed):
    """A check item ticked by hand without a reason: the message belongs at the reason field."""


class ItemHidden(LookupError):
    """An item the onboarding does not show (its condition is not met)."""


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


def data_facts(leistungen: list[Leistung], records: dict[str, EnvironmentRecord]) -> dict[str, Any]:
    """Return what the checklist's conditions and data-bound items need of these rows."""
    channels = sorted({channel for leistung in leistungen for channel in leistung.reply_channels()})
    done = []
    if leistungen:
        done += ["leistungen", "reply_channels"]
        if all(leistung.schema_uri and leistung.mime_type for leistung in leistungen):
            done.append("schemas")
        if all(leistung.regions for leistung in leistungen):
            done.append("regions")
    for environment in Environment.values:
        record = records.get(environment)
        if record is not None and record.is_configured:
            done.append(f"{environment}_environment")
    return {
        "channels": channels,
        "callback": any(record.callback_url for record in records.values()),
        "done": sorted(done),
    }


# What ``signoff_summary`` says of an environment; stored on the onboarding for the overview.
SIGNOFF_NONE = ""
SIGNOFF_INVALID = "invalid"


@dataclass
class OnboardingState:
    """Everything derived from one onboarding, loaded with a fixed number of queries.

    The item states are loaded at once; Leistungen, environment records and sign-offs when
    first needed. ``light=True`` takes the conditions, data-bound items and sign-off states
    from the summary stored on the onboarding instead (see ``checklist.summary``).
    ``from_summary=True`` (implies ``light``) also takes which items are ticked from there and
    loads no item state at all: a tick puts in the one it changes (``item_view`` of any other
    item is refused).
    """

    onboarding: Onboarding
    with_comments: bool = False  # only the step page shows them
    light: bool = False
    new: bool = False  # an onboarding not saved yet: nothing to load
    from_summary: bool = False
    # Only this step's item rows (implies ``light``): which items elsewhere are ticked comes
    # from the summary, as for ``from_summary``. A step page shows one step's items.
    step: int | None = None
    states: dict[str, ItemState] = field(init=False)
    # The keys of the ticked items; whoever changes a tick here changes this set too.
    done_keys: set[str] = field(init=False)
    # The two sides' active members (``people.sides``), where a tick read them with its item.
    people: tuple[list[User], list[User]] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.new:
            self.states, self.done_keys = {}, set()
            self.__dict__.update(leistungen=[], records={}, signoffs=[])
            return
        if self.from_summary:
            self.light = True
            self.states, self.done_keys = {}, set(self.onboarding.done_items)
            return
        # Rows prefetched with STATE_PREFETCH (lists of many onboardings) are used as they are.
        prefetched = getattr(self.onboarding, "_prefetched_objects_cache", {})
        keys = None
        if self.step is not None:
            self.light = True
            keys = [item.key for item in catalogue.load().for_step(self.step)]
        if "item_states" not in prefetched or self.step is not None:
            # Written out, the comments joined in: one statement (``checklist.item_state_rows``).
            rows = item_state_rows.load(self.onboarding, keys, with_comments=self.with_comments)
            self.states = {s.key: s for s in rows}
        else:
            states: QuerySet[ItemState] = self.onboarding.item_states.all()
            if self.with_comments:
                states = states.prefetch_related(
                    Prefetch(
                        "comments",
                        queryset=Comment.objects.select_related(
                            "author", "author_token__organisation"
                        ),
                    )
                )
            self.states = {s.key: s for s in states}
        self.done_keys = {key for key, state in self.states.items() if state.done}
        if self.step is not None:
            shown = {item.key for item in catalogue.load().for_step(self.step)}
            self.done_keys |= {key for key in self.onboarding.done_items if key not in shown}

    @cached_property
    def leistungen(self) -> list[Leistung]:
        if "leistungen" in getattr(self.onboarding, "_prefetched_objects_cache", {}):
            return list(self.onboarding.leistungen.all())  # by key (Leistung.Meta.ordering)
        # Written out (``checklist.stage_rows``), as Leistung.Meta.ordering orders them.
        return stage_rows.children(Leistung, self.onboarding, order=' ORDER BY x."key"')

    @cached_property
    def records(self) -> dict[str, EnvironmentRecord]:
        if "environments" in getattr(self.onboarding, "_prefetched_objects_cache", {}):
            records = list(self.onboarding.environments.all())
        else:
            records = stage_rows.children(EnvironmentRecord, self.onboarding)
        return {r.environment: r for r in records}

    @cached_property
    def signoffs(self) -> list[SignOff]:
        """Every round of every environment, newest first."""
        if "signoffs" in getattr(self.onboarding, "_prefetched_objects_cache", {}):
            return list(self.onboarding.signoffs.all())
        # With who declared and decided, written out (``checklist.stage_rows``).
        return stage_rows.signoffs(self.onboarding)

    @cached_property
    def latest_signoffs(self) -> dict[str, SignOff]:
        latest: dict[str, SignOff] = {}
        for signoff in self.signoffs:
            latest.setdefault(signoff.environment, signoff)
        return latest

    def history(self, environment: str) -> list[SignOff]:
        return [s for s in self.signoffs if s.environment == environment]

    @cached_property
    def facts(self) -> dict[str, Any]:
        stored: dict[str, Any] = self.onboarding.data_facts
        if self.light and stored:
            return stored
        return data_facts(self.leistungen, self.records)

    # Conditions and data bindings -------------------------------------------------------

    def visible(self, item: Item) -> bool:
        condition = item.condition or {}
        if (
            "reply_channel" in condition
            and condition["reply_channel"] not in self.facts["channels"]
        ):
            return False
        if condition.get("callback"):
            return bool(self.facts["callback"])
        return True

    def data_done(self, binding: str) -> bool:
        """Whether the recorded data named by a data item's binding is complete."""
        onboarding = self.onboarding
        if binding == "provider":
            return onboarding.provider_decided
        if binding == "go_live":
            return onboarding.target_go_live is not None
        if binding == "metadata_versions":
            return bool(onboarding.metadata_versions)
        if binding == "contacts":
            return bool(
                onboarding.technical_name
                and onboarding.technical_email
                and onboarding.organisational_name
                and onboarding.organisational_email
            )
        return binding in self.facts["done"]

    def is_done(self, item: Item) -> bool:
        """Whether the item counts as done (without loading anything for its details)."""
        return item.kind.is_done(self, item)

    def item_view(self, item: Item) -> ItemView:
        state = self.states.get(item.key)
        if state is None:
            if self.from_summary or (self.step is not None and item.step != self.step):
                raise LookupError(f"{item.key} was not loaded (the state is from the summary)")
            state = ItemState(onboarding=self.onboarding, key=item.key)
        if item.kind.is_signoff:
            if self.signoff_valid(item.binding or ""):
                signoff = self.latest_signoffs.get(item.binding or "")
                return ItemView(
                    item,
                    state,
                    True,
                    automatic=True,
                    done_by=str(signoff.decided_by or "") if signoff else "",
                    done_at=signoff.decided_at if signoff else None,
                )
            return ItemView(item, state, False, automatic=True)
        if item.kind.automatic:
            return ItemView(item, state, item.kind.is_done(self, item), automatic=True)
        done_by = ""
        if state.done:
            who = state.done_by or state.done_by_token
            done_by = str(who or "")
            if state.done_by_run_id:
                done_by = _("connection check")
            elif state.done_by_conformance_id:
                done_by = _("conformance run")
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

    @cached_property
    def _visible_by_step(self) -> dict[int, list[Item]]:
        return {
            step: [item for item in catalogue.load().for_step(step) if self.visible(item)]
            for step in range(1, 6)
        }

    def set_done(self, key: str, done: bool) -> None:
        """Take over a tick the caller wrote (derived values follow)."""
        if done:
            self.done_keys.add(key)
        else:
            self.done_keys.discard(key)
        # What is shown follows from the recorded data alone (``facts``), not from ticks.
        self.__dict__.pop("_by_step", None)

    def forget_derived(self) -> None:
        """Derive afresh after a change (the loaded rows themselves are kept)."""
        for name in ("_visible_by_step", "facts", "_by_step"):
            self.__dict__.pop(name, None)

    @cached_property
    def _by_step(self) -> dict[tuple[str, int], Any]:
        """Each step's progress, open required items and status, derived once
        (``forget_derived``): a tick's summary and answer ask them about ten times."""
        return {}

    def items(self, step: int) -> list[ItemView]:
        return [self.item_view(item) for item in self._visible_by_step[step]]

    def progress(self, step: int) -> Progress:
        known: Progress | None = self._by_step.get(("progress", step))
        if known is None:
            required = [item for item in self._visible_by_step[step] if item.required]
            known = Progress(sum(self.is_done(item) for item in required), len(required))
            self._by_step["progress", step] = known
        return known

    def overall(self) -> Progress:
        parts = [self.progress(step) for step in range(1, 6)]
        return Progress(sum(p.done for p in parts), sum(p.total for p in parts))

    def _open_required(self, step: int) -> list[Item]:
        known: list[Item] | None = self._by_step.get(("open", step))
        if known is None:
            known = [
                item
                for item in self._visible_by_step[step]
                if item.required and not item.kind.is_signoff and not self.is_done(item)
            ]
            self._by_step["open", step] = known
        return list(known)

    def open_required(self, step: int) -> list[ItemView]:
        return [self.item_view(item) for item in self._open_required(step)]

    def signoff(self, environment: str) -> SignOff | None:
        return self.latest_signoffs.get(environment)

    def signoff_summary(self, environment: str) -> str:
        """Return the environment's sign-off state: "", declared, approved, returned, invalid."""
        if self.light:
            return str(getattr(self.onboarding, f"signoff_{environment}"))
        signoff = self.signoff(environment)
        if signoff is None:
            return SIGNOFF_NONE
        if signoff.state == SignOff.State.APPROVED and signoff.invalidated_at is not None:
            return SIGNOFF_INVALID
        return str(signoff.state)

    def signoff_valid(self, environment: str) -> bool:
        return self.signoff_summary(environment) == SignOff.State.APPROVED

    def status(self, step: int) -> str:
        known: str | None = self._by_step.get(("status", step))
        if known is None:
            known = self._by_step["status", step] = self._status(step)
        return known

    def _status(self, step: int) -> str:
        environment = Environment.of_step(step)
        if step == 4 and not self.signoff_valid(Environment.TEST):
            return StepStatus.LOCKED
        if environment is not None and self.signoff_valid(environment):
            return StepStatus.DONE
        if environment is None and not self._open_required(step):
            return StepStatus.DONE
        started = any(self.is_done(item) for item in self._visible_by_step[step])
        if environment is not None and self.signoff_summary(environment) != SIGNOFF_NONE:
            started = True
        return StepStatus.IN_PROGRESS if started else StepStatus.NOT_STARTED

    def current_step(self) -> int | None:
        """Return the first step that is not done, or None when all are."""
        return next((s for s in range(1, 6) if self.status(s) != StepStatus.DONE), None)

    def next_action_key(self) -> tuple[str, str]:
        """Return what should happen next as a key and, for an open item, the item's key."""
        step = self.current_step()
        if step is None:
            return NEXT_LIVE, ""
        environment = Environment.of_step(step)
        if environment is not None:
            summary = self.signoff_summary(environment)
            if summary == SignOff.State.DECLARED:
                return NEXT_APPROVE, ""
            if summary == SIGNOFF_INVALID:
                return NEXT_REDECLARE, ""
        open_items = self._open_required(step)
        if open_items:
            return NEXT_ITEM, open_items[0].key
        if environment is not None:
            return NEXT_DECLARE, ""
        return "", ""

    def next_action(self) -> str:
        """Return, in words, what should happen next and who does it."""
        return describe_next_action(self.current_step(), *self.next_action_key())

    def next_action_url(self) -> str:
        """Return where the next action is done: the open item or the sign-off of the step."""
        return next_action_url(self.onboarding.slug, self.current_step(), *self.next_action_key())

    # Due dates --------------------------------------------------------------------------

    @cached_property
    def due_dates(self) -> dict[int, Due]:
        return due_dates(self.onboarding)  # set dates kept on the onboarding: no query

    def due(self, step: int) -> Due | None:
        return self.due_dates.get(step)

    def overdue(self, step: int) -> bool:
        """True when the step's due date has passed and the step is not done."""
        due = self.due(step)
        return (
            due is not None
            and due.overdue(timezone.localdate())
            and self.status(step) != StepStatus.DONE
        )

    # Snapshots --------------------------------------------------------------------------

    def snapshot(self, environment: str, api_version: str | None = None) -> dict[str, Any]:
        """Return everything the environment's sign-off depends on, as plain JSON data.

        ``api_version``: the environment row's, where the caller has read it already."""
        record = self.records.get(environment)
        step = ENVIRONMENT_STEP[Environment(environment)]
        # Who ticked ("connection check", "API token …") in one language, whatever the
        # reader's: else an English request would see a changed snapshot and invalidate it.
        with translation.override(settings.LANGUAGE_CODE):
            views = self.items(step)
        items = {}
        for view in views:
            if view.item.kind.is_signoff:
                continue
            items[view.item.key] = {
                "done": view.done,
                "by": view.done_by,
                "at": view.done_at.isoformat() if view.done_at else None,
                # The evidence: the run that proved it, or why it was ticked by hand.
                "run": view.state.done_by_run_id if view.by_check else None,
                "reason": view.state.hand_reason if view.done else "",
            }
        if api_version is None:
            versions = FitConnectEnvironment.objects.filter(key=environment).values_list(
                "api_version", flat=True
            )
            api_version = next(iter(versions), "")
        return {
            "format": SNAPSHOT_FORMAT,
            "api_version": api_version,
            "environment": environment,
            "leistungen": {leistung.key: leistung.frozen_values() for leistung in self.leistungen},
            "metadata_versions": sorted(self.onboarding.metadata_versions),
            "environment_record": EnvironmentRecord.frozen_values_of(record),
            "items": items,
        }


NEXT_LIVE, NEXT_APPROVE, NEXT_REDECLARE, NEXT_ITEM, NEXT_DECLARE = (
    "live",
    "approve",
    "redeclare",
    "item",
    "declare",
)


def describe_next_action(step: int | None, key: str, item_key: str = "") -> str:
    """Return the next action (as ``next_action_key`` gives it) in the reader's language."""
    if key == NEXT_LIVE or step is None:
        return _("Connected to production. Keep contacts and certificates up to date.")
    environment = Environment.of_step(step)
    label = Environment(environment).label if environment is not None else ""
    if key == NEXT_APPROVE:
        return _("Authority: check and approve the %(env)s sign-off.") % {"env": label}
    if key == NEXT_REDECLARE:
        return _("%(env)s sign-off is invalid: check again and declare it anew.") % {"env": label}
    if key == NEXT_ITEM:
        item = catalogue.load().by_key().get(item_key)
        if item is None:
            return ""
        who = _("Authority") if item.role == "authority" else _("Service provider")
        if item.role == "both":
            who = _("Authority and service provider")
        return f"{who}: {item.title}"
    if key == NEXT_DECLARE:
        return _("Service provider: declare %(env)s ready for sign-off.") % {"env": label}
    return ""


def next_action_url(slug: str, step: int | None, key: str, item_key: str) -> str:
    """Return where the next action (as ``next_action_key`` names it) is done."""
    if step is None:
        return reverse("onboarding_detail", args=[slug])
    url = reverse("step", args=[slug, step])
    if key == NEXT_ITEM:
        item = catalogue.load().by_key().get(item_key)
        return f"{url}#item-{item.dom_id}" if item else url
    return f"{url}#abnahme" if Environment.of_step(step) is not None else url
