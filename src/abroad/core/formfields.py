"""Form fields that ask the database less (issue 19, personal pages at 32 clients).

Django walks a ``ModelChoiceField``'s choices with ``queryset.iterator()``: on PostgreSQL a
server-side cursor, three or four round trips (``DECLARE``, ``FETCH``..., ``CLOSE``) for one
query, and a new query every time the choices are walked. Under load a page's time goes
mostly in waiting for such round trips (docs/performance.md). :class:`ListedModelChoiceField`
reads its rows once per form, with an ordinary query (one round trip), or takes rows the page
has already loaded (``loaded``). Whatever is shown, a submitted value is still checked against
the field's queryset, as Django's field does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator


class ListedChoiceIterator(ModelChoiceIterator):
    """The choices from the field's ``loaded`` rows when the page gave them, else from its
    queryset evaluated once (and kept with the form)."""

    def _rows(self) -> list[Any]:
        loaded = getattr(self.field, "loaded", None)
        # The queryset is the form's own copy (Django copies a field's queryset with the
        # field, for each form): evaluated once, then read from its cache.
        return list(loaded if loaded is not None else self.queryset)

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self._rows():
            yield self.choice(obj)

    def __len__(self) -> int:
        return len(self._rows()) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(self._rows())


class ListedModelChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` whose choices cost one ordinary query per form, or none when
    ``loaded`` (the rows to offer, already read by the page: the same rows its queryset
    selects, in the order to show) is set."""

    iterator = ListedChoiceIterator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loaded: Sequence[Any] | None = None
