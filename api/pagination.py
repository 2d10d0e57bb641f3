"""Pages of lists, with ``Link`` headers (RFC 8288) and ``X-Total-Count``."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from api.schemas import PageParams


def paginate[T](
    request: HttpRequest,
    response: HttpResponse,
    rows: Sequence[T] | QuerySet[T],  # type: ignore[type-var]
    params: PageParams,
) -> tuple[int, list[T]]:
    """Return the total and the requested page of rows; set the navigation headers."""
    total = rows.count() if isinstance(rows, QuerySet) else len(rows)
    last = max(1, -(-total // params.per_page))
    start = (params.page - 1) * params.per_page
    page = list(rows[start : start + params.per_page])

    def url(number: int) -> str:
        query = request.GET.copy()
        query["page"] = str(number)
        query["per_page"] = str(params.per_page)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    links = [(url(1), "first"), (url(last), "last")]
    if params.page > 1:
        links.append((url(min(params.page - 1, last)), "prev"))
    if params.page < last:
        links.append((url(params.page + 1), "next"))
    response["Link"] = ", ".join(f'<{target}>; rel="{rel}"' for target, rel in links)
    response["X-Total-Count"] = str(total)
    return total, page
