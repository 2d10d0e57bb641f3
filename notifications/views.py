"""The person's pages: "Meine Aufgaben", the inbox and the notification settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from checklist import dashboard_views
from checklist.models import Onboarding
from checklist.steps import GUIDE_URL, STEPS
from notifications import services
from notifications.describe import describe
from notifications.forms import PreferencesForm
from notifications.home import my_tasks, recent_activity
from notifications.models import Notification, Preference
from portal.types import AuthenticatedHttpRequest

PAGE_SIZE = 30


@login_required
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if dashboard_views.steers(request):
        # Coordination offices and site operators steer by the dashboard.
        return dashboard_views.render_dashboard(request)
    if not request.memberships:
        return render(
            request,
            "notifications/home_without_organisation.html",
            {
                "operator": user.is_staff,
                "onboardings": (
                    Onboarding.objects.select_related("authority", "provider").order_by(
                        "authority__name", "name"
                    )
                    if user.is_staff
                    else []
                ),
                "steps": STEPS,
            },
        )
    tasks = my_tasks(user)
    membership = request.membership
    return render(
        request,
        "notifications/home.html",
        {
            "tasks": tasks,
            "activity": recent_activity(user),
            "can_create": membership is not None
            and membership.organisation.is_authority
            and membership.is_admin,
            "is_provider": any(not m.organisation.is_authority for m in request.memberships),
            "steps": STEPS,
            "guide_url": GUIDE_URL,
        },
    )


@login_required
@require_GET
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    notifications = (
        Notification.objects.for_participants()
        .filter(recipient=request.user)
        .select_related("onboarding", "actor")
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("seite"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "entries": [(n, describe(n)) for n in page.object_list]},
    )


@login_required
@require_POST
def notification_open(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    notification = (
        Notification.objects.for_participants().filter(recipient=request.user, pk=pk).first()
    )
    if notification is None:
        raise Http404
    services.mark_read(request.user, notification.pk)
    target = notification.url
    # Only the portal's own paths, never another site.
    if not target.startswith("/") or target.startswith("//"):
        target = reverse("inbox")
    return redirect(target)


@login_required
@require_POST
def mark_all_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = services.mark_read(request.user)
    messages.success(request, _("%(count)d notifications are marked as read.") % {"count": count})
    return redirect("inbox")


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    current = dict(Preference.objects.filter(user=user).values_list("kind", "channel"))
    form = PreferencesForm(
        request.POST or None, current=current, initial={"language": user.language}
    )
    if request.method == "POST" and form.is_valid():
        services.save_preferences(user, form.channels(), form.cleaned_data["language"])
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notification_settings")
    return render(request, "notifications/settings.html", {"form": form})
