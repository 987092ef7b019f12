"""The student's forms. A ranking is posted whole: the offers of the call, best first."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class OrderedIdsField(forms.Field):
    """A list of ids in the order they were posted (``offer=3&offer=1`` is ``[3, 1]``)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": _("This ranking could not be read: reload the page and try again."),
    }

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            return [int(item) for item in value]
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class RankingForm(forms.Form):
    """The whole ranking after one change (add, move up or down, remove), and which offer the
    change was about, so that the page can say what happened."""

    offer = OrderedIdsField(label=_("Your ranking"), required=False)
    moved = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def ranking(self) -> list[int]:
        ranking: list[int] = self.cleaned_data["offer"]
        return ranking
