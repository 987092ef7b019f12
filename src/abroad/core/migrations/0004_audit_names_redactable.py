"""The database lets an audit event's names be redacted after a person's erasure (GDPR), and
refuses every other change as before: what happened (when, which action, who by id, which
object, the details) can never change; on PostgreSQL events can never be deleted."""

from typing import Any

from django.db import migrations

SAME_EVENT = (
    "NEW.id = OLD.id AND NEW.created_at = OLD.created_at AND NEW.action = OLD.action "
    "AND NEW.object_type = OLD.object_type AND NEW.object_id = OLD.object_id "
    "AND NEW.data = OLD.data AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id"
)

POSTGRESQL_FORWARD = f"""
CREATE OR REPLACE FUNCTION abroad_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND {SAME_EVENT} THEN
        RETURN NEW;  -- only the names shown beside the event are redacted
    END IF;
    RAISE EXCEPTION 'The audit log is append-only: events cannot be changed or deleted.';
END;
$$ LANGUAGE plpgsql;
"""
POSTGRESQL_BACKWARD = """
CREATE OR REPLACE FUNCTION abroad_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit log is append-only: events cannot be changed or deleted.';
END;
$$ LANGUAGE plpgsql;
"""
SQLITE_TRIGGER = """
CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
{when}
BEGIN
    SELECT RAISE(ABORT, 'The audit log is append-only: events cannot be changed.');
END;
"""
SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update;",
    SQLITE_TRIGGER.format(when="WHEN NOT (" + SAME_EVENT.replace("IS NOT DISTINCT FROM", "IS") + ")"),
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update;",
    SQLITE_TRIGGER.format(when=""),
]


def _run(sql: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        with schema_editor.connection.cursor() as cursor:
            for statement in sql.get(schema_editor.connection.vendor, []):
                cursor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_actor_kept")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": [POSTGRESQL_FORWARD], "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": [POSTGRESQL_BACKWARD], "sqlite": SQLITE_BACKWARD}),
        ),
    ]
