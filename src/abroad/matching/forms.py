"""The ranked-list editor's form: a ranking is posted whole, best first, after one change (add,
move up or down, remove), with the item the change was about, so that the page can say what
happened. A call ranks offers (field ``offer``), an ATHENS session courses (field ``course``)."""

from __future__ import annotations

from typing import Any, ClassVar

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


class RankedListForm(forms.Form):
    """The base of a page's ranking form: a subclass declares its ``OrderedIdsField`` and
    names it in ``field_name``."""

    field_name: ClassVar[str]
    moved = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def ranking(self) -> list[int]:
        ranking: list[int] = self.cleaned_data[self.field_name]
        return ranking
