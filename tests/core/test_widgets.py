"""QuickSelect writes the HTML Django's Select writes (issue 19)."""

from __future__ import annotations

import re

import pytest
from django import forms

from abroad.core.widgets import QuickSelect

CHOICES = [
    ("", "Any"),
    ("a", "Alpha & <Omega>"),
    ("b", 'Quote "b"'),
    ("Group", [("g1", "One"), ("g2", "Two")]),
    (3, "Three"),
]


def normalised(html: str) -> str:
    """Django's templates put newlines between the tags; the browser reads them alike."""
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("value", [None, "", "a", "g2", 3, "3", "missing"])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "id_x", "class": "c"}, {"id": "id_x", "disabled": True, "x": False}]
)
def test_quick_select_writes_what_select_writes(value: object, attrs: dict | None) -> None:
    django_html = forms.Select(choices=CHOICES).render("x", value, attrs)
    quick_html = QuickSelect(choices=CHOICES).render("x", value, attrs)
    assert normalised(quick_html) == normalised(django_html)


def test_a_model_choice_field_renders_the_same(db: None) -> None:
    from abroad.catalogue.models import CourseOfStudy
    from tests.factories import CourseOfStudyFactory

    CourseOfStudyFactory.create_batch(3)

    class Plain(forms.Form):
        course = forms.ModelChoiceField(CourseOfStudy.objects.order_by("name"), required=False)

    class Quick(forms.Form):
        course = forms.ModelChoiceField(
            CourseOfStudy.objects.order_by("name"), required=False, widget=QuickSelect
        )

    chosen = str(CourseOfStudy.objects.order_by("name")[1].pk)
    for data in ({}, {"course": chosen}):
        assert normalised(str(Quick(data)["course"])) == normalised(str(Plain(data)["course"]))
