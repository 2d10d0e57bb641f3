"""``Onboarding.revision`` and the database triggers that raise it.

Every insert, update or delete of something an onboarding's pages show raises the
revision of the onboardings concerned, whichever code (or SQL) wrote it. Rendered page
parts are cached on it (``checklist.page_cache``). PostgreSQL uses statement-level
triggers with transition tables (one UPDATE per statement, also for bulk writes); SQLite
(demo and tests) row-level ones. SQLite drops them when a migration rebuilds a table they
name (adding a column does): such a migration drops and creates them around it (see 0014).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

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


def _postgresql() -> tuple[list[str], list[str]]:
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
    for table, (_columns, ids) in WATCHED.items():
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


def _sqlite() -> tuple[list[str], list[str]]:
    create = [
        f"""CREATE TRIGGER {ONBOARDING}_revision AFTER UPDATE ON {ONBOARDING}
WHEN NEW.revision <= OLD.revision
BEGIN UPDATE {ONBOARDING} SET revision = OLD.revision + 1 WHERE id = NEW.id; END"""
    ]
    drop = [f"DROP TRIGGER IF EXISTS {ONBOARDING}_revision"]
    for table, (columns, ids) in WATCHED.items():
        for operation, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
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


def _statements(vendor: str) -> tuple[list[str], list[str]]:
    if vendor == "postgresql":
        return _postgresql()
    if vendor == "sqlite":
        return _sqlite()
    raise NotImplementedError(f"no revision triggers for {vendor}")


def create_triggers(apps: Any, schema_editor: Any) -> None:
    for statement in _statements(schema_editor.connection.vendor)[0]:
        schema_editor.execute(statement)


def drop_triggers(apps: Any, schema_editor: Any) -> None:
    for statement in _statements(schema_editor.connection.vendor)[1]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("checklist", "0012_environment_record_join"),
        ("portal", "0005_user_unread_notifications"),
    ]

    operations = [
        migrations.AddField(
            model_name="onboarding",
            name="revision",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
