"""The background task of "mit FIT-Connect abgleichen" (``checklist.routing_comparison``),
run by the worker like the connection checks in ``checklist.tasks``."""

from __future__ import annotations

from django.tasks import task

from checklist import routing_comparison
from checklist.coverage import office_scope
from checklist.models import RoutingComparison
from portal.models import Organisation, User


@task()
def compare_routes(comparison_id: int) -> None:
    """Ask the Routing API for each planned pair of a comparison; calling it again resumes."""
    routing_comparison.execute(comparison_id)


def begin_comparison(office: Organisation, user: User) -> RoutingComparison:
    """Open a comparison for the office's expected pairs and hand it to the worker."""
    comparison = routing_comparison.start(office_scope(office), office, user)
    compare_routes.enqueue(comparison.pk)
    comparison.refresh_from_db()  # with the immediate backend (tests) it has finished already
    return comparison
