"""The database triggers that raise ``Onboarding.revision``.

Every insert, update or delete of something an onboarding's pages show raises the
revision of the onboardings concerned, whichever code (or SQL) wrote it. Rendered page
parts are cached on it (``checklist.page_cache``). PostgreSQL uses statement-level
triggers with transition tables (one UPDATE per statement, also for bulk writes); SQLite
(demo and tests) row-level ones.

SQLite drops a table's triggers when a migration rebuilds it (adding a column does) and
cannot rebuild a table that other triggers name: a migration that changes a table's
columns wraps its operations in ``around_table_rebuild``. Migration 0013 created them first;
a table added to ``WATCHED`` later needs a migration that drops and creates them all
(``RunPython(create_triggers, drop_triggers)`` after the table exists).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

ONBOARDING = "checklist_onboarding"
BUMP = f"UPDATE {ONBOARDING} SET revision = revision + 1 WHERE id IN ({{ids}})"


def _of_organisations(organisations: str) -> str:
    return (
        f"SELECT id FROM {ONBOARDING} WHERE authority_id IN ({organisations}) "
        f"OR provider_id IN ({organisations})"
    )


# table: (its columns the onboardings are found by, the onboarding ids of rows {rows})
WATCHED: dict[str, tuple[tuple[str, ...], str]] = {
    **{
        table: (("onboarding_id",), "SELECT onboarding_id FROM {rows}")
        for table in (
            "checklist_itemstate",
            "checklist_leistung",
            "checklist_environmentrecord",
            "checklist_stepdeadline",
            "checklist_signoff",
            "checklist_storedsecret",
            "checklist_verificationrun",
            "checklist_conformancerun",
        )
    },
    "checklist_comment": (
        ("item_id",),
        "SELECT onboarding_id FROM checklist_itemstate WHERE id IN (SELECT item_id FROM {rows})",
    ),
    # Environments are shown on every onboarding's pages.
    "checklist_fitconnectenvironment": (("id",), f"SELECT id FROM {ONBOARDING}"),
    "portal_membership": (
        ("organisation_id",),
        _of_organisations("SELECT organisation_id FROM {rows}"),
    ),
    "portal_organisation": (("id",), _of_organisations("SELECT id FROM {rows}")),
    "portal_partnership": (
        ("authority_id", "provider_id"),
        _of_organisations("SELECT authority_id FROM {rows} UNION SELECT provider_id FROM {rows}"),
    ),
}
# A person's name, address or state, wherever it is shown (members and who ticked items).
USER_CHANGED = ("full_name", "email", "is_active")
USER_ONBOARDINGS = (
    _of_organisations("SELECT organisation_id FROM portal_membership WHERE user_id = {user}")
    + " UNION SELECT onboarding_id FROM checklist_itemstate"
    " WHERE done_by_id = {user} OR assignee_id = {user}"
)


def _postgresql(tables: set[str] | None) -> tuple[list[str], list[str]]:
    create = [
        f"""CREATE FUNCTION {ONBOARDING}_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.revision := GREATEST(NEW.revision, OLD.revision + 1);
  RETURN NEW;
END $$""",
        f"""CREATE TRIGGER {ONBOARDING}_revision BEFORE UPDATE ON {ONBOARDING}
FOR EACH ROW EXECUTE FUNCTION {ONBOARDING}_revision()""",
    ]
    drop = [
        f"DROP TRIGGER IF EXISTS {ONBOARDING}_revision ON {ONBOARDING}",
        f"DROP FUNCTION IF EXISTS {ONBOARDING}_revision()",
    ]
    for table, (_columns, ids) in _watched(tables):
        function = f"{table}_bumps_revision"
        inserted = BUMP.format(ids=ids.format(rows="new_rows"))
        deleted = BUMP.format(ids=ids.format(rows="old_rows"))
        updated = BUMP.format(
            ids=f"{ids.format(rows='old_rows')} UNION {ids.format(rows='new_rows')}"
        )
        create.append(
            f"""CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN {inserted};
  ELSIF TG_OP = 'DELETE' THEN {deleted};
  ELSE {updated};
  END IF;
  RETURN NULL;
END $$"""
        )
        for operation, referencing in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            name = f"{table}_revision_{operation.lower()}"
            create.append(
                f"CREATE TRIGGER {name} AFTER {operation} ON {table} REFERENCING {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
            drop.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        drop.append(f"DROP FUNCTION IF EXISTS {function}()")
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in USER_CHANGED)
    create += [
        f"""CREATE FUNCTION portal_user_bumps_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  {BUMP.format(ids=USER_ONBOARDINGS.format(user="NEW.id"))};
  RETURN NULL;
END $$""",
        f"""CREATE TRIGGER portal_user_revision AFTER UPDATE ON portal_user
FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION portal_user_bumps_revision()""",
    ]
    drop += [
        "DROP TRIGGER IF EXISTS portal_user_revision ON portal_user",
        "DROP FUNCTION IF EXISTS portal_user_bumps_revision()",
    ]
    return create, drop


def _sqlite(tables: set[str] | None) -> tuple[list[str], list[str]]:
    create = [
        f"""CREATE TRIGGER {ONBOARDING}_revision AFTER UPDATE ON {ONBOARDING}
WHEN NEW.revision <= OLD.revision
BEGIN UPDATE {ONBOARDING} SET revision = OLD.revision + 1 WHERE id = NEW.id; END"""
    ]
    drop = [f"DROP TRIGGER IF EXISTS {ONBOARDING}_revision"]
    for table, (columns, ids) in _watched(tables):
        for operation, rows in (
            ("INSERT", ("NEW",)),
            ("UPDATE", ("OLD", "NEW")),
            ("DELETE", ("OLD",)),
        ):
            name = f"{table}_revision_{operation.lower()}"
            bumps = " ".join(
                BUMP.format(
                    ids=ids.format(
                        rows="(SELECT "
                        + ", ".join(f"{row}.{column} AS {column}" for column in columns)
                        + ")"
                    )
                )
                + ";"
                for row in rows
            )
            create.append(f"CREATE TRIGGER {name} AFTER {operation} ON {table} BEGIN {bumps} END")
            drop.append(f"DROP TRIGGER IF EXISTS {name}")
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in USER_CHANGED)
    create.append(
        f"CREATE TRIGGER portal_user_revision AFTER UPDATE ON portal_user WHEN {changed} "
        f"BEGIN {BUMP.format(ids=USER_ONBOARDINGS.format(user='NEW.id'))}; END"
    )
    drop.append("DROP TRIGGER IF EXISTS portal_user_revision")
    return create, drop


def _watched(tables: set[str] | None) -> list[tuple[str, tuple[tuple[str, ...], str]]]:
    """The watched tables that exist (all when ``tables`` is None): a table added to
    ``WATCHED`` later gets its triggers from the migration that adds it, not from 0013."""
    return [(t, spec) for t, spec in WATCHED.items() if tables is None or t in tables]


def _statements(vendor: str, tables: set[str] | None = None) -> tuple[list[str], list[str]]:
    if vendor == "postgresql":
        return _postgresql(tables)
    if vendor == "sqlite":
        return _sqlite(tables)
    raise NotImplementedError(f"no revision triggers for {vendor}")


def _existing_tables(schema_editor: Any) -> set[str]:
    return set(schema_editor.connection.introspection.table_names())


def create_triggers(apps: Any, schema_editor: Any) -> None:
    """Create every revision trigger (a RunPython function of migrations)."""
    tables = _existing_tables(schema_editor)
    for statement in _statements(schema_editor.connection.vendor, tables)[0]:
        schema_editor.execute(statement)


def drop_triggers(apps: Any, schema_editor: Any) -> None:
    """Drop every revision trigger, if it exists (a RunPython function of migrations)."""
    tables = _existing_tables(schema_editor)
    for statement in _statements(schema_editor.connection.vendor, tables)[1]:
        schema_editor.execute(statement)


def _drop_on_sqlite(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        drop_triggers(apps, schema_editor)


def _create_on_sqlite(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        create_triggers(apps, schema_editor)


def around_table_rebuild(*operations: Any) -> list[Any]:
    """Wrap migration operations that make SQLite rebuild a table (adding, altering or
    removing a column of any table, ``portal_user`` included): SQLite drops the triggers on
    the rebuilt table and cannot rebuild a table that other triggers name, so all of them
    are dropped before and created again after, on SQLite only::

        operations = revision_triggers.around_table_rebuild(
            migrations.AddField(model_name="storedsecret", name="hosts", field=...),
        )

    ``tests/checklist/test_revision_triggers.py`` fails when the triggers after all
    migrations are not the expected ones.
    """
    return [
        migrations.RunPython(_drop_on_sqlite, _create_on_sqlite, elidable=False),
        *operations,
        migrations.RunPython(_create_on_sqlite, _drop_on_sqlite, elidable=False),
    ]


def trigger_names(vendor: str) -> set[str]:
    """The names of the triggers ``create_triggers`` makes."""
    names = set()
    for statement in _statements(vendor)[0]:
        words = statement.split()
        if words[:2] == ["CREATE", "TRIGGER"]:
            names.add(words[2])
    return names


def existing_trigger_names(connection: Any) -> set[str]:
    """The revision triggers the database has now."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT DISTINCT tgname FROM pg_trigger WHERE NOT tgisinternal "
                "AND tgname LIKE '%revision%'"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%revision%'"
            )
        return {row[0] for row in cursor.fetchall()}
