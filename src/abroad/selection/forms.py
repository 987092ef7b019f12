"""The student's forms (a ranking is posted whole: the offers of the call, best first) and the
office's call editor."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from abroad.catalogue.enums import MobilityType, Programme
from abroad.catalogue.models import School
from abroad.core.enums import DegreeLevel
from abroad.matching.forms import OrderedIdsField, RankedListForm
from abroad.selection.models import Call, every_mobility_type, exchange_programmes


class RankingForm(RankedListForm):
    """The whole ranking of the call's offers after one change, and the offer it was about."""

    field_name = "offer"
    offer = OrderedIdsField(label=_("Your ranking"), required=False)


# ------------------------------------------------------------- the office's call editor


DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


def _moment(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Day and time, Italian time."),
    )


def _ticks(label: Any, choices: Any, *, required: bool, help_text: Any) -> forms.Field:
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=required,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


class CallForm(forms.ModelForm[Call]):
    """A call as the office writes it: every list the model keeps as JSON (levels,
    programmes, mobility types) is a set of tick boxes. The code names the call in its
    addresses and in its mobilities' origin: it is chosen once, at creation."""

    schools = forms.ModelMultipleChoiceField(
        label=_("Schools"),
        queryset=School.objects.order_by("code"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The edition: e.g. engineering = ICAT, 3I and AUIC-ENG."),
    )
    opens_at = _moment(_("Applications open"))
    closes_at = _moment(_("Applications close"))
    levels = _ticks(
        _("Degree levels admitted"),
        DegreeLevel.choices,
        required=False,
        help_text=_("None ticked: every level."),
    )
    programmes = _ticks(
        _("Programmes"),
        Programme.choices,
        required=True,
        help_text=_(
            "The call's offers come from these programmes: a semester call is for Erasmus+ "
            "and the bilateral agreements, not for an ATHENS week (a network programme) or a "
            "double degree."
        ),
    )
    mobility_types = _ticks(
        _("Mobility types"),
        MobilityType.choices,
        required=True,
        help_text=_("The call's offers are of these mobility types."),
    )

    class Meta:
        model = Call
        fields = (
            "code",
            "title",
            "schools",
            "academic_year",
            "number",
            "opens_at",
            "closes_at",
            "max_preferences",
            "programmes",
            "mobility_types",
            "levels",
            "require_first_year_completed",
            "min_credits",
            "min_average",
            "months_per_cycle",
            "months_single_cycle",
            "formula",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            # a new call starts as a semester call: the exchange programmes, every type
            self.initial.setdefault("programmes", exchange_programmes())
            self.initial.setdefault("mobility_types", every_mobility_type())
        else:
            code = self.fields["code"]
            code.disabled = True
            code.help_text = _("The code names the call in its addresses: it does not change.")

    def _unchanged_to_the_minute(self, name: str) -> dt.datetime:
        """The page shows moments to the minute: a moment posted back as shown is the stored
        one, seconds included (so saving the page unchanged moves nothing)."""
        value: dt.datetime = self.cleaned_data[name]
        stored: dt.datetime | None = getattr(self.instance, name, None)
        if (
            self.instance.pk is not None
            and stored is not None
            and value == stored.replace(second=0, microsecond=0)
        ):
            return stored
        return value

    def clean_opens_at(self) -> dt.datetime:
        return self._unchanged_to_the_minute("opens_at")

    def clean_closes_at(self) -> dt.datetime:
        return self._unchanged_to_the_minute("closes_at")
