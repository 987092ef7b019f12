"""A call says which programmes and mobility types its offers come from (issue 18, point 4): a
semester call is for Erasmus+ and the bilateral agreements, not for an ATHENS week or a
24-month double degree. An empty ``programmes`` used to mean "every programme"; each such
call now lists the exchange programmes and the programmes of the offers it already holds, so
no offer already in a call stops fitting it. Going back leaves the lists as they are."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

import abroad.selection.models

EXCHANGE = ["erasmus", "bilateral"]


def name_the_programmes(apps: Any, schema_editor: Any) -> None:
    Call = apps.get_model("selection", "Call")
    CallOffer = apps.get_model("selection", "CallOffer")
    for call in Call.objects.all():
        if call.programmes:
            continue
        held = set(
            CallOffer.objects.filter(call=call).values_list("offer__agreement__programme", flat=True)
        )
        call.programmes = sorted(set(EXCHANGE) | held)
        call.save(update_fields=["programmes"])


class Migration(migrations.Migration):
    dependencies = [
        ("selection", "0003_explanation_shape"),
    ]

    operations = [
        migrations.AddField(
            model_name="call",
            name="mobility_types",
            field=models.JSONField(
                default=abroad.selection.models.every_mobility_type,
                help_text="The mobility types whose offers the call may include: study, thesis, study_thesis.",
                verbose_name="mobility types",
            ),
        ),
        migrations.AlterField(
            model_name="call",
            name="programmes",
            field=models.JSONField(
                default=abroad.selection.models.exchange_programmes,
                help_text="The programmes whose offers the call may include: e.g. erasmus, bilateral (a semester call), double_degree, network.",
                verbose_name="programmes",
            ),
        ),
        migrations.RunPython(name_the_programmes, migrations.RunPython.noop),
    ]
