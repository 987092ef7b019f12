"""When a nominee's details last changed (EWP's ``modified_since``)."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ewp", "0007_tor_notifications_and_nominee_details")]

    operations = [
        migrations.AddField(
            model_name="nomineedetails",
            name="updated_at",
            field=models.DateTimeField(
                auto_now=True, default=django.utils.timezone.now, verbose_name="updated"
            ),
            preserve_default=False,
        ),
    ]
