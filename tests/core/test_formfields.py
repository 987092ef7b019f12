"""ListedModelChoiceField (core/formfields.py): its choices cost one ordinary query per form
(Django's ModelChoiceField asks again each time they are walked, through ``iterator()``: on
PostgreSQL a server-side cursor of three round trips), or none when the page gives the rows it
has read; a submitted value is still checked against the queryset."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from abroad.catalogue.models import Institution
from abroad.core.formfields import ListedModelChoiceField
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db


class Choose(forms.Form):
    listed = ListedModelChoiceField(
        queryset=Institution.objects.order_by("name"), required=False, empty_label="Any"
    )
    plain = forms.ModelChoiceField(
        queryset=Institution.objects.order_by("name"), required=False, empty_label="Any"
    )


def walks(form: Choose, name: str) -> tuple[int, list[str]]:
    """The queries of walking the field's choices twice (rendering, then a length), and the
    labels."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    with CaptureQueriesContext(connection) as queries:
        choices: Any = field.choices
        labels = [str(label) for _value, label in choices]
        assert len(choices) == len(labels)
        str(form[name])
    return len(queries), labels


def test_the_choices_cost_one_query_per_form_where_djangos_cost_one_per_walk() -> None:
    InstitutionFactory.create(name="Beta")
    InstitutionFactory.create(name="Alpha")
    listed, listed_labels = walks(Choose(), "listed")
    plain, plain_labels = walks(Choose(), "plain")
    assert listed_labels == plain_labels == ["Any", "Alpha", "Beta"]
    assert (listed, plain) == (1, 3)
    # Each form reads its own rows: a new institution shows in the next form.
    InstitutionFactory.create(name="Gamma")
    assert walks(Choose(), "listed") == (1, ["Any", "Alpha", "Beta", "Gamma"])


def test_loaded_rows_are_offered_without_a_query_and_the_queryset_still_decides() -> None:
    alpha = InstitutionFactory.create(name="Alpha")
    beta = InstitutionFactory.create(name="Beta")
    form = Choose()
    field = form.fields["listed"]
    assert isinstance(field, ListedModelChoiceField)
    field.loaded = [beta]
    assert walks(form, "listed") == (0, ["Any", "Beta"])
    html = str(form["listed"])
    assert f'value="{beta.pk}"' in html
    assert f'value="{alpha.pk}"' not in html
    # What is submitted is checked against the queryset, as by Django's field.
    submitted = Choose({"listed": beta.pk})
    submitted.fields["listed"].queryset = Institution.objects.filter(pk=alpha.pk)  # type: ignore[attr-defined]
    assert not submitted.is_valid()
    assert "listed" in submitted.errors
    accepted = Choose({"listed": alpha.pk})
    assert accepted.is_valid()
    assert accepted.cleaned_data["listed"] == alpha
