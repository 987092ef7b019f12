"""When a mobility last changed (EWP's ``modified_since``): an existing row starts at its
creation time, the last change known."""

from typing import Any

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def since_creation(apps: Any, schema_editor: Any) -> None:
    Mobility = apps.get_model("mobility", "Mobility")
    Mobility.objects.update(updated_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("mobility", "0006_propose_missing_planned_dates")]

    operations = [
        migrations.AddField(
            model_name="mobility",
            name="updated_at",
            field=models.DateTimeField(
                auto_now=True, db_index=True, default=django.utils.timezone.now, verbose_name="updated"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(since_creation, migrations.RunPython.noop, elidable=True),
    ]
