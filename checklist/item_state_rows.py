"""An onboarding's item states with who ticked them (and their comments), in one statement.

Every step page seen for the first time reads its item states with the people and tokens
that ticked them, and the comments on them with their authors. The ORM builds and compiles
that anew per request (``select_related`` plus a ``Prefetch``: two statements, most of the
cost in Python). Written out here (``portal.raw_rows``), the comments joined in, it is one
statement; the instances are the ORM's own, with the related objects and the prefetched
comments set as ``select_related`` set them. The comments are kept as a plain list on each
state (``shown_comments``): a ``prefetch_related`` queryset per state cost more than the read.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection

from checklist.models import Comment, ItemState, Onboarding
from portal import actor_rows, raw_rows
from portal.api_tokens import ApiToken
from portal.models import Organisation, User


@functools.cache
def _sql(with_comments: bool, keys: int | None, vendor: str) -> str:
    quote = connection.ops.quote_name
    select = [raw_rows.columns(ItemState, "s"), actor_rows.columns("d")]
    joins = [actor_rows.joins("d", "s", "done_by_id", "done_by_token_id")]
    order = "s.id"
    if with_comments:
        select += [raw_rows.columns(Comment, "c"), actor_rows.columns("a")]
        joins += [
            f"LEFT OUTER JOIN {raw_rows.table(Comment)} c ON c.item_id = s.id",
            actor_rows.joins("a", "c", "author_id", "author_token_id"),
        ]
        order = "s.id, c.created_at, c.id"  # Comment.Meta.ordering within each item
    where = "s.onboarding_id = %s"
    if keys is not None:
        where += f" AND s.{quote('key')} IN ({', '.join(['%s'] * keys)})"
    return (
        f"SELECT {', '.join(select)} FROM {raw_rows.table(ItemState)} s "  # noqa: S608
        f"{' '.join(joins)} WHERE {where} ORDER BY {order}"
    )


def load(
    onboarding: Onboarding, keys: Sequence[str] | None, *, with_comments: bool
) -> list[ItemState]:
    """The onboarding's item states (only ``keys`` unless None), as
    ``item_states.select_related("done_by", "done_by_token__organisation")`` gives them,
    with ``prefetch_related(Prefetch("comments", Comment.objects.select_related("author",
    "author_token__organisation")))`` where ``with_comments``."""
    if keys is not None and not keys:
        return []
    params: list[Any] = [onboarding.pk, *(keys or [])]
    rows = raw_rows.fetch_all(
        _sql(with_comments, None if keys is None else len(keys), connection.vendor), params
    )
    states: list[ItemState] = []
    comments: dict[int, list[Comment]] = {}
    for row in rows:
        state_id = row[0]
        if states and states[-1].pk == state_id:
            state = states[-1]
            start = _comment_start()
        else:
            state, start = raw_rows.leading(ItemState, row)
            done_by, token, start = actor_rows.read(row, start)
            raw_rows.relate(state, "onboarding", onboarding)  # as the related manager does
            raw_rows.relate(state, "done_by", done_by)
            raw_rows.relate(state, "done_by_token", token)
            states.append(state)
            comments[state.pk] = []
        if not with_comments:
            continue
        comment, start = raw_rows.instance(Comment, row, start)
        if comment is None:
            continue
        author, author_token, start = actor_rows.read(row, start)
        raw_rows.relate(comment, "author", author)
        raw_rows.relate(comment, "author_token", author_token)
        raw_rows.relate(comment, "item", state)
        comments[state.pk].append(comment)
    if with_comments:
        for state in states:
            setattr(state, _COMMENTS, comments[state.pk])
    return states


_COMMENTS = "shown_comments"


def shown_comments(state: ItemState) -> list[Comment] | None:
    """The comments ``load(..., with_comments=True)`` read for the state, oldest first, with
    their authors (None where they were not read that way)."""
    found: list[Comment] | None = getattr(state, _COMMENTS, None)
    return found


@functools.cache
def _comment_start() -> int:
    """Where a row's comment columns begin (after the item state's, its ticker's and token's)."""
    return sum(
        len(model._meta.concrete_fields) for model in (ItemState, User, ApiToken, Organisation)
    )
