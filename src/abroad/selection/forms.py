"""The student's forms. A ranking is posted whole: the offers of the call, best first."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from abroad.matching.forms import OrderedIdsField, RankedListForm


class RankingForm(RankedListForm):
    """The whole ranking of the call's offers after one change, and the offer it was about."""

    field_name = "offer"
    offer = OrderedIdsField(label=_("Your ranking"), required=False)
