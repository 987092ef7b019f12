"""The dashboard's filters: a GET form, so that a filtered dashboard is a URL to share."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from abroad.catalogue.enums import Programme
from abroad.catalogue.models import CourseOfStudy, Institution, School
from abroad.core.academic_year import format_year
from abroad.core.importing import country_label
from abroad.mobility.models import Mobility
from abroad.reporting.queries import Filters
from abroad.selection.models import Call


class FilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Academic year"), required=False, coerce=int)
    school = forms.ModelChoiceField(
        label=_("School"),
        queryset=School.objects.order_by("code"),
        required=False,
        empty_label="—",
    )
    course = forms.ModelChoiceField(
        label=_("Course of study"),
        queryset=CourseOfStudy.objects.order_by("code"),
        empty_label="—",
        required=False,
    )
    programme = forms.ChoiceField(
        label=_("Programme"), choices=[("", "—"), *Programme.choices], required=False
    )
    country = forms.ChoiceField(label=_("Partner country"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # the years of mobilities and of calls (a call's year may have no mobility yet)
        years = (
            Mobility.objects.order_by()
            .values_list("academic_year", flat=True)
            .union(Call.objects.order_by().values_list("academic_year", flat=True))
        )
        year_field: forms.TypedChoiceField = self.fields["year"]  # type: ignore[assignment]
        year_field.choices = [
            ("", "—"),
            *((year, format_year(year)) for year in sorted(years, reverse=True)),
        ]
        codes = (
            Institution.objects.filter(incoming_mobilities__isnull=False)
            .order_by("country")
            .values_list("country", flat=True)
            .distinct()
        )
        named = sorted(((code, country_label(code)) for code in codes), key=lambda pair: pair[1])
        country_field: forms.ChoiceField = self.fields["country"]  # type: ignore[assignment]
        country_field.choices = [("", "—"), *named]
        self.fields["course"].label_from_instance = lambda course: (  # type: ignore[attr-defined]
            f"{course.code} – {course.display_name}"
        )

    def filters(self) -> Filters:
        """What the form keeps: each valid filter (an invalid one keeps everything)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        year = data.get("year")
        school = data.get("school")
        course = data.get("course")
        return Filters(
            year=year if year not in ("", None) else None,
            school=school.pk if school else None,
            course=course.pk if course else None,
            programme=data.get("programme") or "",
            country=data.get("country") or "",
        )
