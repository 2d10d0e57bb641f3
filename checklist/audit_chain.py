"""The Protokoll as a hash chain per onboarding, and the database's guard over it.

Each audit entry (``AuditEvent``) carries ``previous_hash``, the ``entry_hash`` of the
onboarding's entry before it ("" for the first), and ``entry_hash``, the SHA-256 of its
canonical content (``canonical``: onboarding, actor, API token, run, time to the
microsecond in UTC, step, action, subject, old and new value and ``previous_hash``, as JSON
with sorted keys). Whoever edits an entry in the database without rewriting every later
hash of the onboarding breaks the chain there; ``python manage.py verify_audit`` walks every
chain and names the first entry that does not match. The actor enters the hash only as
the account's id, a pseudonym: retention anonymises people who left by rewriting their
account (``notifications.retention.anonymise_people``), and every chain stays verifiable.

Sealing (``seal``) happens in the writing transaction with the onboarding's row locked
(``SELECT … FOR NO KEY UPDATE`` on PostgreSQL, the lock the revision triggers take anyway),
and the head is read after the lock: two writers of the same onboarding cannot both chain
to the same entry. The onboarding row is locked rather than the previous entry itself: a
writer that waited for the previous entry's lock would still see that entry as the last
one (PostgreSQL re-checks only the locked row) and fork the chain, and a first entry has no
previous one to lock. On SQLite writers are serialised anyway (IMMEDIATE transactions).
Entries are ordered by primary key, which follows the commit order under that lock.

The guard: triggers refuse every UPDATE and DELETE of ``checklist_auditevent`` (PostgreSQL:
one row trigger raising ``restrict_violation``; SQLite: two triggers raising ABORT), so the
application never changes an entry and an operator's SQL has to remove the guard first.
The one way around it is ``released()``, for a future retention path: it sets the session
variable ``portal.audit_release`` for the transaction on PostgreSQL, and on SQLite a flag
that the connection's SQL function ``portal_audit_release()`` reports (registered on every
connection the portal opens; other SQLite clients lack it and are refused too).

Deleting an onboarding cascades to its entries, so the application never deletes an
onboarding (the admin offers no deletion either); a retention job that does must run inside
``released()``. Deleting a person, an API token or a run that an entry names would change
the entry (``SET NULL``) and is refused alike: people leave by being deactivated, tokens
by being revoked. A migration that rebuilds ``checklist_auditevent`` on SQLite (adding a
column) must create the guard again afterwards (``create_guard``), as migration 0021 does.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import Any

from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Max

from checklist.models import AuditEvent, Onboarding

TABLE = "checklist_auditevent"
RELEASE_SETTING = "portal.audit_release"
_release = threading.local()


def canonical(event: Any) -> bytes:
    """The content an entry's hash covers, as bytes (also of historical models)."""
    content = {
        "onboarding": event.onboarding_id,
        "actor": event.actor_id,
        "api_token": event.api_token_id,
        "run": event.run_id,
        "created_at": event.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "step": event.step,
        "action": event.action,
        "subject": event.subject,
        "old_value": event.old_value,
        "new_value": event.new_value,
        "previous_hash": event.previous_hash,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(event: Any) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


def chain_in_order(events: Iterable[Any], heads: dict[int, str]) -> None:
    """Set ``previous_hash`` and ``entry_hash`` of the events, in their order, onto the
    heads given per onboarding (updated as it goes)."""
    for event in events:
        event.previous_hash = heads.get(event.onboarding_id, "")
        event.entry_hash = content_hash(event)
        heads[event.onboarding_id] = event.entry_hash


def seal(
    events: list[AuditEvent], *, locked: bool = False, heads: dict[int, str] | None = None
) -> None:
    """Chain new entries (not yet saved) onto their onboardings' Protokoll, in list order.

    Must run in the transaction that saves them: it locks their onboardings until it ends.
    ``locked``: the caller's transaction holds their row locks already (a tick loads the
    onboarding ``FOR UPDATE``, a lock at least as strong), so they are not locked again.
    ``heads``: the newest entry's hash of each onboarding ("" for none), read by the caller
    under those locks (``locked`` only); else they are read here.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit entries are sealed inside the transaction that saves them")
    ids = sorted({event.onboarding_id for event in events})
    if not locked and connection.features.has_select_for_update:  # SQLite serialises writers
        # Sorted: writers of several onboardings lock them in one order (no deadlock).
        # Written out: every tick seals, and the ORM took longer to compile this than
        # the database to run it.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {Onboarding._meta.db_table} WHERE id IN "  # noqa: S608
                f"({', '.join(['%s'] * len(ids))}) ORDER BY id FOR NO KEY UPDATE",
                ids,
            )
            cursor.fetchall()
    if heads is None or not locked or set(heads) != set(ids):
        heads = _heads(ids)
    chain_in_order(events, dict(heads))


def _heads(ids: list[int]) -> dict[int, str]:
    """The newest entry's hash of each onboarding (read after the lock)."""
    if len(ids) == 1:  # one change of one onboarding: one query, written out (as above)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT entry_hash FROM {TABLE} WHERE onboarding_id = %s "  # noqa: S608
                "ORDER BY id DESC LIMIT 1",
                ids,
            )
            row = cursor.fetchone()
        return {ids[0]: row[0]} if row is not None else {}
    last = (
        AuditEvent.objects.filter(onboarding_id__in=ids)
        .values("onboarding_id")
        .annotate(last=Max("pk"))
        .values_list("last", flat=True)
    )
    return dict(
        AuditEvent.objects.filter(pk__in=list(last)).values_list("onboarding_id", "entry_hash")
    )


# Verifying ---------------------------------------------------------------------------------


def walk() -> Iterator[tuple[AuditEvent, str]]:
    """Every entry in chain order with what is wrong with it ("" when it matches).

    ``content`` means its content no longer gives its hash (it was edited); ``link`` that
    it does not follow the entry before it (an entry before it was removed, or inserted).
    """
    head: dict[int, str] = {}
    entries = (
        AuditEvent.objects.select_related("onboarding", "actor", "api_token__organisation")
        .order_by("onboarding_id", "pk")
        .iterator(chunk_size=2000)
    )
    for event in entries:
        if event.entry_hash != content_hash(event):
            problem = "content"
        elif event.previous_hash != head.get(event.onboarding_id, ""):
            problem = "link"
        else:
            problem = ""
        head[event.onboarding_id] = event.entry_hash
        yield event, problem


# The guard -----------------------------------------------------------------------------------

GUARD_MESSAGE = "Protokoll entries are never changed or deleted"


def _guard_statements(vendor: str) -> tuple[list[str], list[str]]:
    if vendor == "postgresql":
        create = [
            f"""CREATE FUNCTION {TABLE}_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('{RELEASE_SETTING}', true) = 'on' THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '{GUARD_MESSAGE} (% of %)', TG_OP, {TABLE!r}
    USING ERRCODE = 'restrict_violation';
END $$""",
            f"""CREATE TRIGGER {TABLE}_guard BEFORE UPDATE OR DELETE ON {TABLE}
FOR EACH ROW EXECUTE FUNCTION {TABLE}_guard()""",
        ]
        drop = [
            f"DROP TRIGGER IF EXISTS {TABLE}_guard ON {TABLE}",
            f"DROP FUNCTION IF EXISTS {TABLE}_guard()",
        ]
        return create, drop
    if vendor == "sqlite":
        create = [
            f"CREATE TRIGGER {TABLE}_guard_{operation.lower()} BEFORE {operation} ON {TABLE} "
            f"WHEN NOT portal_audit_release() BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}'); END"
            for operation in ("UPDATE", "DELETE")
        ]
        drop = [f"DROP TRIGGER IF EXISTS {TABLE}_guard_{op}" for op in ("update", "delete")]
        return create, drop
    raise NotImplementedError(f"no audit guard for {vendor}")


def create_guard(apps: Any, schema_editor: Any) -> None:
    """Create the guard triggers (a RunPython function of migrations)."""
    for statement in _guard_statements(schema_editor.connection.vendor)[0]:
        schema_editor.execute(statement, params=None)  # its % are PL/pgSQL's, not parameters


def drop_guard(apps: Any, schema_editor: Any) -> None:
    for statement in _guard_statements(schema_editor.connection.vendor)[1]:
        schema_editor.execute(statement)


def register_sqlite_function(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Give every SQLite connection ``portal_audit_release()`` (``connection_created``)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "portal_audit_release", 0, lambda: 1 if getattr(_release, "on", False) else 0
        )


@contextmanager
def released() -> Iterator[None]:
    """Let the block change or delete audit entries (only a retention path may)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'on', true)", [RELEASE_SETTING])
        _release.on = True
        try:
            yield
        finally:
            _release.on = False
        # For the rest of an enclosing transaction (after an error its rollback undoes it).
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', true)", [RELEASE_SETTING])
