"""The dashboard a coordination office and the site operators steer by.

Every figure is counted in SQL on the onboardings' stored summary (``checklist.summary``)
and a few indexed tables: a fixed number of statements, whatever the number of onboardings.
Each figure carries its denominator and the overview filters that list its onboardings;
the charts are SVG drawn here (bars as numbers) with the same figures as tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import TruncMonth
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from checklist import dashboard_counts, dashboard_keys, dashboard_lead, reminders
from checklist.environments import environment_label, environment_labels
from checklist.models import (
    Environment,
    EnvironmentRecord,
    Onboarding,
    SignOff,
    VerificationRun,
)
from checklist.models.onboarding import AuditEvent
from checklist.slug_links import SlugLinks
from checklist.stand_ins import cut, fill, kept, stand_in
from checklist.state import SIGNOFF_INVALID

LIST_LIMIT = 20
EXPIRY_DAYS = 30
FAILED_DAYS = 7
MONTHS_BACK, MONTHS_AHEAD = 5, 6
# The chart's drawing: bar rows of BAR_HEIGHT with labels left of LABEL_WIDTH.
CHART_WIDTH, LABEL_WIDTH, BAR_HEIGHT, BAR_GAP = 640, 200, 26, 10


def overview_url(overview: str = "", **filters: Any) -> str:
    """The overview listing the onboardings a figure counts (``overview``: its address,
    reversed once by a caller linking many figures)."""
    overview = overview or reverse("overview")
    query = urlencode({name: value for name, value in filters.items() if value != ""})
    return f"{overview}?{query}" if query else overview


@dataclass
class Figure:
    """A count with its denominator and the overview that lists it."""

    label: str
    count: int
    total: int
    url: str

    @property
    def percent(self) -> int:
        return round(100 * self.count / self.total) if self.total else 0


@dataclass
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    url: str = ""
    text: str = ""
    height: int = BAR_HEIGHT

    @property
    def label_x(self) -> int:
        return LABEL_WIDTH - 8

    @property
    def text_y(self) -> float:
        return self.y + self.height / 2 + 5

    @property
    def value_x(self) -> float:
        return self.x + self.width + 6

    @property
    def html(self) -> SafeString:
        """The bar's SVG (``includes/bar.html``, rendered once with stand-ins): a chart's
        bars were a fifth of the dashboard's template time, rendered tag by tag."""
        return fill(
            _bar_pieces(bool(self.url)),
            {
                "url": conditional_escape(self.url),
                "label": conditional_escape(self.label),
                "text": conditional_escape(self.text),
                "label_x": _number(self.label_x),
                "x": _number(self.x),
                "y": _number(self.y),
                "height": _number(self.height),
                "text_y": f"{self.text_y:.1f}",
                "width": f"{self.width:.1f}",
                "value_x": f"{self.value_x:.1f}",
            },
        )


def _number(value: float) -> str:
    """A number as the template prints it (localised)."""
    return str(localize(value))


@kept(maxsize=2)
def _bar_pieces(linked: bool) -> tuple[str, ...]:
    names = ("label", "text", "label_x", "x", "y", "height", "text_y", "width", "value_x")
    values = {name: stand_in(name) for name in names}
    html = render_to_string(
        "checklist/includes/bar.html", {**values, "url": stand_in("url") if linked else ""}
    )
    return cut(html.rstrip("\n"))


@dataclass
class Chart:
    """A bar chart as SVG geometry, with the title and description a screen reader reads."""

    id: str
    title: str
    description: str
    height: int
    bars: list[Bar] = field(default_factory=list)
    width: int = CHART_WIDTH
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT


def bar_chart(
    id: str,
    title: str,
    description: str,
    figures: list[Figure],
    bar_height: int = BAR_HEIGHT,
    gap: int = BAR_GAP,
) -> Chart:
    """Horizontal bars, one per figure, scaled to the largest; each links to its overview."""
    largest = max((f.count for f in figures), default=0) or 1
    room = CHART_WIDTH - LABEL_WIDTH - 140
    chart = Chart(
        id,
        title,
        description,
        height=len(figures) * (bar_height + gap) + gap,
        bar_height=bar_height,
    )
    for number, figure in enumerate(figures):
        width = room * figure.count / largest
        chart.bars.append(
            Bar(
                label=figure.label,
                value=figure.count,
                x=LABEL_WIDTH,
                y=gap + number * (bar_height + gap),
                width=round(max(width, 2 if figure.count else 0), 1),
                url=figure.url,
                text=_("%(count)s of %(total)s") % {"count": figure.count, "total": figure.total},
                height=bar_height,
            )
        )
    return chart


def _months(today: date) -> list[date]:
    first = today.replace(day=1)
    months = []
    for offset in range(-MONTHS_BACK, MONTHS_AHEAD + 1):
        index = first.year * 12 + first.month - 1 + offset
        months.append(date(index // 12, index % 12 + 1, 1))
    return months


def _first_and_count(rows: QuerySet[Any]) -> tuple[list[Any], int]:
    """The first ``LIST_LIMIT`` rows and how many there are, in one statement (the count
    is a window over all rows, taken before the limit)."""
    first = list(rows.annotate(found=Window(Count("pk")))[:LIST_LIMIT])
    return first, first[0].found if first else 0


def _holder(onboarding: Onboarding) -> str:
    """Who holds the onboarding now: the authority, the provider, or both (in words)."""
    side = reminders.holder_side(onboarding)
    authority = onboarding.authority.name
    provider = onboarding.provider.name if onboarding.provider else authority
    if side is None:
        return "–"
    if side == reminders.AUTHORITY:
        return authority
    if side == reminders.BOTH:
        return f"{authority}, {provider}"
    return provider


def dashboard(
    onboardings: QuerySet[Onboarding],
    months: list[date] | None = None,
    filters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Every figure of the dashboard for these onboardings (a coordinator's area, or all,
    narrowed by the dashboard's ``filters``, which the figures' overview links carry on);
    ``months``: those of the go-lives table (default: five back, six ahead)."""
    today = timezone.localdate()
    now = timezone.now()

    overview = reverse("overview")

    def link(**figure: Any) -> str:
        return overview_url(overview, **{**(filters or {}), **figure})

    ids = onboardings.values("pk")
    returned = Q(signoff_test="returned") | Q(signoff_reference="returned")
    returned |= Q(signoff_production="returned")
    invalid = Q(signoff_test=SIGNOFF_INVALID) | Q(signoff_reference=SIGNOFF_INVALID)
    invalid |= Q(signoff_production=SIGNOFF_INVALID)
    overdue = Q(target_go_live__lt=today, current_step__isnull=False)
    stuck_filter = overdue | returned | invalid
    default_window = months is None
    months = months or _months(today)
    window = (months[0], dashboard_counts.month_after(months[-1]))
    # One pass over the onboardings for every count of them (checklist.dashboard_counts):
    # the totals, each step, and the go-lives planned in each month of the window.
    totals = dashboard_counts.counts(onboardings, today, months)
    total = totals["total"]
    steps = [
        Figure(_("Step %(number)d") % {"number": n}, totals[f"step_{n}"], total, link(step=n))
        for n in range(1, 6)
    ]
    steps.append(Figure(_("Live"), totals["live"], total, link(step="live")))
    approvals = [
        Figure(
            _("%(stage)s signed off") % {"stage": stage.label},
            totals[f"approved_{stage.value}"],
            total,
            link(approved=stage.value),
        )
        for stage in Environment
    ]
    attention = [
        Figure(
            _("Overdue (target go-live passed)"),
            totals["overdue"],
            total,
            link(overdue="on"),
        ),
        Figure(_("Sent back"), totals["returned"], total, link(signoff="returned")),
        Figure(_("Sign-off invalid"), totals["invalid"], total, link(signoff=SIGNOFF_INVALID)),
    ]
    last_activity = (
        AuditEvent.objects.filter(onboarding=OuterRef("pk"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    stuck = list(
        onboardings.filter(stuck_filter)
        .select_related("authority", "provider")
        .annotate(last_activity=Subquery(last_activity))
        .order_by("target_go_live", "name")[:LIST_LIMIT]
    )
    links = SlugLinks()  # the rows' three links, each reversed once per page
    stuck_rows = [
        {
            "onboarding": o,
            "holder": _holder(o),
            "overdue": bool(o.target_go_live and o.target_go_live < today and o.current_step),
            "idle_days": (now - o.last_activity).days if o.last_activity else None,
            "go_live": o.target_go_live.strftime("%d.%m.%Y") if o.target_go_live else "–",
            "url": links.of("onboarding_detail", o.slug),
            "remind_url": links.of("onboarding_remind", o.slug),
            "step_url": links.of("step", o.slug, o.current_step or 5),
        }
        for o in stuck
    ]
    expiring = (
        EnvironmentRecord.objects.filter(
            onboarding__in=ids,
            certificate_expiry__gte=today,
            certificate_expiry__lte=today + timedelta(days=EXPIRY_DAYS),
        )
        .select_related("onboarding")
        .order_by("certificate_expiry")
    )
    expiring_rows, expiring_count = _first_and_count(expiring)
    failed = (
        VerificationRun.objects.filter(
            onboarding__in=ids,
            status=VerificationRun.Outcome.FAILED,
            finished_at__gte=now - timedelta(days=FAILED_DAYS),
            rehearsal=False,
        )
        .select_related("onboarding")
        .order_by("-finished_at")
    )
    failed_rows, failed_count = _first_and_count(failed)
    labels = environment_labels()
    keys = dashboard_keys.expiring_keys(onboardings, EXPIRY_DAYS)
    planned = {month: totals[f"planned_{number}"] for number, month in enumerate(months)}
    done = dict(
        SignOff.objects.filter(
            onboarding__in=ids,
            environment=Environment.PRODUCTION,
            state=SignOff.State.APPROVED,
            invalidated_at__isnull=True,
            decided_at__date__gte=window[0],
            decided_at__date__lt=window[1],
        )
        .annotate(month=TruncMonth("decided_at"))
        .order_by()
        .values_list("month")
        .annotate(count=Count("onboarding", distinct=True))
        .values_list("month", "count")
    )
    done = {(key.date() if hasattr(key, "date") else key): value for key, value in done.items()}
    go_lives = [
        {
            "month": month,
            "planned": planned.get(month, 0),
            "done": done.get(month, 0),
            "url": link(
                go_live_from=month.isoformat(),
                go_live_before=dashboard_counts.month_after(month).isoformat(),
            ),
        }
        for month in months
    ]
    return {
        "total": total,
        "steps": steps,
        "approvals": approvals,
        "attention": attention,
        "stuck": stuck_rows,
        "stuck_count": totals["stuck"],
        "expiring": [(r, environment_label(r.environment, labels)) for r in expiring_rows],
        "expiring_count": expiring_count,
        "keys": [(key, environment_label(key.environment, labels)) for key in keys[:LIST_LIMIT]],
        "keys_count": len(keys),
        "failed": [(r, environment_label(r.environment, labels)) for r in failed_rows],
        "failed_count": failed_count,
        "go_lives": go_lives,
        "lead_times": dashboard_lead.median_lead_times(onboardings, link),
        "step_chart": bar_chart(
            "chart-steps",
            _("Onboardings by current step"),
            _("How many of %(total)s onboardings are in each step, and how many are live.")
            % {"total": total},
            steps,
        ),
        "approval_chart": bar_chart(
            "chart-approvals",
            _("Sign-offs per stage"),
            _("How many of %(total)s onboardings have each stage signed off.") % {"total": total},
            approvals,
        ),
        "go_live_chart": go_live_chart(go_lives, default_window),
    }


def go_live_chart(go_lives: list[dict[str, Any]], default_window: bool = True) -> Chart:
    """Two bars per month, planned and done (production signed off)."""
    figures: list[Figure] = []
    for entry in go_lives:
        label = entry["month"].strftime("%m/%Y")
        figures.append(
            Figure(_("%(month)s planned") % {"month": label}, entry["planned"], 0, entry["url"])
        )
        figures.append(Figure(_("%(month)s done") % {"month": label}, entry["done"], 0, ""))
    chart = bar_chart(
        "chart-go-lives",
        _("Go-lives per month"),
        _(
            "For each month from five months ago to six months ahead: how many onboardings "
            "plan their go-live in it, and how many had production signed off in it."
        )
        if default_window
        else _(
            "For each month from %(first)s to %(last)s: how many onboardings plan their "
            "go-live in it, and how many had production signed off in it."
        )
        % {
            "first": go_lives[0]["month"].strftime("%m/%Y"),
            "last": go_lives[-1]["month"].strftime("%m/%Y"),
        },
        figures,
        bar_height=16,
        gap=4,
    )
    for bar in chart.bars:
        bar.text = str(bar.value)
    return chart
