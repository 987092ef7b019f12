"""Our iia-id moves onto the agreement (``catalogue.Agreement.iia_id``), where it is given
once and kept: an agreement with a stored EWP identity keeps its stored id; one without keeps
the id it has been served and downloaded with until now, derived from its primary key with
the secret key (the derivation is written out here as it was, so a later change of the code
or of the secret does not change what this step stored). ``IiaLink`` keeps what we know of
the partner's copy only. Going back copies the ids into the links again."""

import hmac
import uuid
from typing import Any

from django.conf import settings
from django.db import migrations, models


def derived(pk: int) -> uuid.UUID:
    """The id an agreement without a stored identity was served with (services.derived_id
    before this migration, with the current secret key)."""
    digest = hmac.new(str(settings.SECRET_KEY).encode(), f"abroad.ewp:agreement:{pk}".encode(), "sha256")
    return uuid.UUID(bytes=digest.digest()[:16], version=4)


def onto_the_agreement(apps: Any, schema_editor: Any) -> None:
    Agreement = apps.get_model("catalogue", "Agreement")
    IiaLink = apps.get_model("ewp", "IiaLink")
    stored = dict(IiaLink.objects.values_list("agreement_id", "iia_id"))
    agreements = list(Agreement.objects.only("pk"))
    for agreement in agreements:
        agreement.iia_id = stored.get(agreement.pk) or derived(agreement.pk)
    Agreement.objects.bulk_update(agreements, ["iia_id"], batch_size=500)


def back_into_the_links(apps: Any, schema_editor: Any) -> None:
    IiaLink = apps.get_model("ewp", "IiaLink")
    links = list(IiaLink.objects.select_related("agreement"))
    for link in links:
        link.iia_id = link.agreement.iia_id
    IiaLink.objects.bulk_update(links, ["iia_id"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0007_agreement_iia_id"),
        ("ewp", "0008_nomineedetails_updated_at"),
    ]

    operations = [
        migrations.RunPython(onto_the_agreement, migrations.RunPython.noop),
        # Nullable and not unique before it goes, so that going back can add it again and
        # fill it (back_into_the_links) before it is unique again.
        migrations.AlterField(
            model_name="iialink",
            name="iia_id",
            field=models.UUIDField(editable=False, null=True, verbose_name="our IIA id"),
        ),
        migrations.RunPython(migrations.RunPython.noop, back_into_the_links),
        migrations.RemoveField(model_name="iialink", name="iia_id"),
    ]
