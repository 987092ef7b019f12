"""An agreement's iia-id (step 2 of 2): every agreement has one (ewp 0009 gave the existing
ones theirs), unique; a new agreement gets a random one when it is created."""

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0007_agreement_iia_id"),
        ("ewp", "0009_iia_id_on_the_agreement"),
    ]

    operations = [
        migrations.AlterField(
            model_name="agreement",
            name="iia_id",
            field=models.UUIDField(
                default=uuid.uuid4, editable=False, unique=True, verbose_name="IIA id"
            ),
        ),
    ]
