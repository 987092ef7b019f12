"""The audit log keeps who acted when the user is deleted, and the database itself refuses to
change its events (issue 13, item 7)."""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

POSTGRESQL_FORWARD = """
CREATE OR REPLACE FUNCTION abroad_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit log is append-only: events cannot be changed or deleted.';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditevent_append_only
    BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION abroad_audit_append_only();
"""
POSTGRESQL_BACKWARD = """
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP FUNCTION IF EXISTS abroad_audit_append_only();
"""
# On SQLite (the demo) only UPDATE is refused: Django's test runner and `flush` empty tables
# with DELETE there (PostgreSQL's TRUNCATE fires no row trigger).
SQLITE_FORWARD = """
CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
BEGIN
    SELECT RAISE(ABORT, 'The audit log is append-only: events cannot be changed.');
END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS core_auditevent_no_update;"


def keep_actor_names(apps: Any, schema_editor: Any) -> None:
    """Write the acting user's name on the events that exist (before the trigger exists)."""
    event_model = apps.get_model("core", "AuditEvent")
    user_model = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    names = dict(user_model.objects.values_list("pk", "username"))
    events = list(event_model.objects.filter(actor__isnull=False).only("pk", "actor_id"))
    for event in events:
        event.actor_name = names.get(event.actor_id, "")
    event_model.objects.bulk_update(events, ["actor_name"], batch_size=1000)


def _run(sql: dict[str, str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        statement = sql.get(schema_editor.connection.vendor)
        if statement:
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="actor_name",
            field=models.CharField(blank=True, max_length=150, verbose_name="who (name)"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="who",
            ),
        ),
        migrations.RunPython(keep_actor_names, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRESQL_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
