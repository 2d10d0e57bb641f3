""" "Meine Aufgaben": everything waiting for one person, gathered with a fixed number of queries.

Sign-offs waiting for their approval, items assigned to them, steps of their side that are
due or overdue, comments that mention them, failed connection checks and the latest
activity on their onboardings. Each row links to the place where the person acts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from checklist import catalogue
from checklist.access import onboardings_for
from checklist.audit_sentences import sentence
from checklist.environments import environment_labels
from checklist.models import AuditEvent, Environment, Onboarding, SignOff, VerificationRun
from checklist.people import step_side
from checklist.state import STATE_PREFETCH, OnboardingState, StepStatus
from notifications.describe import describe
from notifications.models import Kind, Notification
from portal.models import Membership, User

# Failed checks older than this are history, not a task.
RECENT_RUNS = timedelta(days=30)
MAX_ROWS = 50


@dataclass
class Task:
    title: str
    onboarding: Onboarding
    url: str
    detail: str = ""
    due: date | None = None
    overdue: bool = False


@dataclass
class MyOnboarding:
    """One of the person's onboardings: where it stands and what comes next, one click away."""

    onboarding: Onboarding
    step: int | None
    percent: int
    next_action: str
    next_url: str
    # The production watch's state ("" while not watched), from the stored summary.
    watch_state: str = ""


@dataclass
class MyTasks:
    signoffs: list[Task] = field(default_factory=list)
    assigned: list[Task] = field(default_factory=list)
    due: list[Task] = field(default_factory=list)
    mentions: list[Task] = field(default_factory=list)
    failed_checks: list[Task] = field(default_factory=list)
    # Production connections of the user's provider side that the watch finds disrupted.
    watch: list[Task] = field(default_factory=list)
    onboarding_count: int = 0
    onboardings: list[MyOnboarding] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(
            len(part)
            for part in (
                self.signoffs,
                self.assigned,
                self.due,
                self.mentions,
                self.failed_checks,
                self.watch,
            )
        )

    def all(self) -> list[Task]:
        return [
            *self.signoffs,
            *self.assigned,
            *self.due,
            *self.mentions,
            *self.failed_checks,
            *self.watch,
        ]


def _step_url(onboarding: Onboarding, step: int, anchor: str = "") -> str:
    url = reverse("step", args=[onboarding.slug, step])
    return f"{url}#{anchor}" if anchor else url


def my_tasks(user: User) -> MyTasks:
    """Return what waits for the user, with a fixed number of queries for any number of
    onboardings."""
    tasks = MyTasks()
    roles = dict(
        Membership.objects.filter(user=user, user__is_active=True).values_list(
            "organisation_id", "organisation__kind"
        )
    )
    authorities = {pk for pk, kind in roles.items() if kind == "authority"}
    onboardings = list(
        onboardings_for(user)
        .select_related("authority", "provider")
        .annotate(watch_state=F("watch__state"))
        .prefetch_related(*STATE_PREFETCH)
    )
    tasks.onboarding_count = len(onboardings)
    today = timezone.localdate()
    items = catalogue.load().by_key()
    for onboarding in onboardings:
        state = OnboardingState(onboarding)
        tasks.onboardings.append(
            MyOnboarding(
                onboarding,
                state.current_step(),
                state.overall().percent,
                state.next_action(),
                state.next_action_url(),
                onboarding.watch_state or "",
            )
        )
        authority_side = onboarding.authority_id in authorities
        provider_side = onboarding.provider_id in roles or (onboarding.in_house and authority_side)
        if provider_side and onboarding.watch_state == "red":
            tasks.watch.append(
                Task(
                    _("Production connection disrupted: fix it"),
                    onboarding,
                    reverse("watch_page", args=[onboarding.slug]),
                    _("found by the production watch"),
                )
            )
        # Sign-offs declared by somebody else, waiting for an authority member's decision.
        for signoff in state.latest_signoffs.values():
            if (
                authority_side
                and signoff.state == SignOff.State.DECLARED
                and signoff.declared_by_id != user.pk
            ):
                label = _("Approve the %(env)s sign-off") % {
                    "env": signoff.get_environment_display()
                }
                tasks.signoffs.append(
                    Task(
                        label,
                        onboarding,
                        _step_url(onboarding, signoff_step(signoff), "abnahme"),
                        _("declared by %(name)s on %(date)s")
                        % {
                            "name": signoff.declared_by or _("a former member"),
                            "date": timezone.localtime(signoff.declared_at).strftime("%d.%m.%Y"),
                        },
                    )
                )
        # Items assigned to the user that are not done yet.
        for item_state in state.states.values():
            item = items.get(item_state.key)
            if item is None or item_state.assignee_id != user.pk or not state.visible(item):
                continue
            if state.item_view(item).done:
                continue
            due = state.due(item.step)
            tasks.assigned.append(
                Task(
                    item.title,
                    onboarding,
                    _step_url(onboarding, item.step, f"item-{item.dom_id}"),
                    _("Step %(step)d") % {"step": item.step},
                    due.date if due else None,
                    state.overdue(item.step),
                )
            )
        # Steps of the user's side that are due within seven days or overdue.
        for step, due in sorted(state.due_dates.items()):
            side = step_side(step)
            mine = authority_side if side == "authority" else provider_side
            if not mine or state.status(step) == StepStatus.DONE:
                continue
            overdue = due.overdue(today)
            if overdue or due.due_soon(today):
                tasks.due.append(
                    Task(
                        _("Finish step %(step)d") % {"step": step},
                        onboarding,
                        _step_url(onboarding, step),
                        "",
                        due.date,
                        overdue,
                    )
                )
    tasks.onboardings.sort(key=lambda row: row.onboarding.name.casefold())
    tasks.assigned.sort(key=lambda t: (t.due or date.max, t.onboarding.name))
    tasks.due.sort(key=lambda t: t.due or date.max)
    tasks.mentions = _mentions(user)
    tasks.failed_checks = _failed_checks(onboardings, today)
    return tasks


def signoff_step(signoff: SignOff) -> int:
    return Environment(signoff.environment).step


def _mentions(user: User) -> list[Task]:
    unread = (
        Notification.objects.for_participants()
        .filter(recipient=user, kind=Kind.MENTIONED, read_at__isnull=True)
        .select_related("onboarding", "actor")
        .order_by("-created_at")[:MAX_ROWS]
    )
    return [
        Task(describe(n).title, n.onboarding, reverse("notification_open", args=[n.pk]))
        for n in unread
        if n.onboarding is not None
    ]


def _failed_checks(onboardings: Sequence[Onboarding], today: date) -> list[Task]:
    """Return the environments whose newest check (within 30 days) failed."""
    by_pk = {o.pk: o for o in onboardings}
    runs = (
        VerificationRun.objects.filter(
            onboarding_id__in=by_pk,
            finished_at__isnull=False,
            started_at__gte=timezone.now() - RECENT_RUNS,
        )
        .only("pk", "onboarding_id", "environment", "status", "started_at")
        .order_by("-started_at", "-pk")
    )
    newest: dict[tuple[int, str], VerificationRun] = {}
    for run in runs:
        newest.setdefault((run.onboarding_id, run.environment), run)
    labels = environment_labels()
    return [
        Task(
            _("Connection check %(env)s failed") % {"env": labels.get(run.environment, "")},
            by_pk[run.onboarding_id],
            reverse("verify_run", args=[by_pk[run.onboarding_id].slug, run.pk]),
            timezone.localtime(run.started_at).strftime("%d.%m.%Y %H:%M"),
        )
        for run in newest.values()
        if run.status == VerificationRun.Outcome.FAILED
    ]


@dataclass
class Activity:
    event: AuditEvent
    sentence: str


def recent_activity(user: User, limit: int = 15) -> list[Activity]:
    """Return the newest audit events across the user's onboardings, each as a sentence."""
    events = AuditEvent.objects.filter(onboarding__in=onboardings_for(user)).select_related(
        "onboarding",
        "actor",
        "api_token__organisation",
        "run__started_by",
        "run__started_by_token__organisation",
    )[:limit]
    labels = environment_labels()
    return [Activity(event, sentence(event, labels, brief=True)) for event in events]
