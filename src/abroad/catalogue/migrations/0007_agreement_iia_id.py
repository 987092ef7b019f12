"""An agreement's iia-id, stored on it (step 1 of 2): the column, empty. The ewp app's
migration 0009 fills it with the id each agreement has been sent with; 0008 makes it
required and unique."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0006_offer_weeks")]

    operations = [
        migrations.AddField(
            model_name="agreement",
            name="iia_id",
            field=models.UUIDField(editable=False, null=True, verbose_name="IIA id"),
        ),
    ]
