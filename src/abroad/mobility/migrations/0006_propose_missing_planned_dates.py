"""Mobilities born before the planned dates were proposed get them now, as a new one does
(:func:`abroad.mobility.services.propose_dates`: the autumn term or the whole academic year,
or the months from the term's first day); a start without an end gets the months from it.
The months are kept. Going back leaves the dates as they are."""

import datetime as dt
from typing import Any

from django.db import migrations
from django.db.models import Q

from abroad.mobility.services import add_months, propose_dates


def propose(apps: Any, schema_editor: Any) -> None:
    Mobility = apps.get_model("mobility", "Mobility")
    missing = Mobility.objects.filter(Q(planned_start__isnull=True) | Q(planned_end__isnull=True))
    for mobility in missing.iterator():
        start, end = propose_dates(academic_year=mobility.academic_year, months=mobility.months)
        if mobility.planned_start is not None:
            start = mobility.planned_start
            end = add_months(start, mobility.months) - dt.timedelta(days=1)
        mobility.planned_start, mobility.planned_end = start, mobility.planned_end or end
        mobility.save(update_fields=["planned_start", "planned_end"])


class Migration(migrations.Migration):
    dependencies = [("mobility", "0005_recognised_at")]

    operations = [migrations.RunPython(propose, migrations.RunPython.noop)]
