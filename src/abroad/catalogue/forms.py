from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from abroad.catalogue.enums import MobilityType, Programme
from abroad.catalogue.models import CourseOfStudy, Institution, Network
from abroad.catalogue.queries import SORTS, OfferFilter
from abroad.core.enums import CEFR, EQF, ISCED_BROAD_CHOICES, ISCED_CHOICES, Language

ANY = [("", _("Any"))]


class OfferFilterForm(forms.Form):
    """The catalogue's filters, from the URL's query string (every filter is in the URL)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    course = forms.ChoiceField(label=_("My course of study"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    programme = forms.ChoiceField(
        label=_("Programme"), required=False, choices=ANY + list(Programme.choices)
    )
    network = forms.ChoiceField(label=_("Network"), required=False)
    eqf = forms.TypedChoiceField(
        label=_("Degree level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=ANY + [(level.value, level.label) for level in EQF if level.value >= 6],
    )
    isced = forms.ChoiceField(
        label=_("Subject area (ISCED-F)"),
        required=False,
        choices=[*ANY, *ISCED_BROAD_CHOICES, *ISCED_CHOICES],
    )
    language = forms.ChoiceField(
        label=_("Language of instruction"), required=False, choices=ANY + list(Language.choices)
    )
    language_level = forms.ChoiceField(
        label=_("My level in that language"),
        required=False,
        choices=[*ANY, *CEFR.choices],
    )
    mobility_type = forms.ChoiceField(
        label=_("Mobility for"),
        required=False,
        choices=[*ANY, (MobilityType.STUDY, _("Study")), (MobilityType.THESIS, _("Thesis"))],
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("partner", _("Institution")),
            ("country", _("Country")),
            ("city", _("City")),
            ("seats", _("Most seats")),
            ("months", _("Longest stay")),
            ("programme", _("Programme")),
        ],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        course_field = self.fields["course"]
        assert isinstance(course_field, forms.ChoiceField)
        course_field.choices = ANY + [
            (course.code, str(course)) for course in CourseOfStudy.objects.order_by("name", "level")
        ]
        # order_by(): the model's ordering would join the DISTINCT, one row per partner.
        used = (
            Institution.objects.filter(agreements__isnull=False)
            .order_by()
            .values_list("country", flat=True)
            .distinct()
        )
        country_field = self.fields["country"]
        assert isinstance(country_field, forms.ChoiceField)
        # Every name at once: countries.name(code) goes through all the translated names for
        # each code.
        names = dict(countries)
        country_field.choices = ANY + sorted(
            ((code, names.get(code, code)) for code in set(used)), key=lambda item: str(item[1])
        )
        network_field = self.fields["network"]
        assert isinstance(network_field, forms.ChoiceField)
        network_field.choices = ANY + [(n.code, n.name) for n in Network.objects.all()]

    def to_filter(self) -> OfferFilter:
        """The valid filters; an invalid value is dropped (and shown as an error)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if self.is_bound and not self.is_valid():
            data = {
                name: value
                for name, value in getattr(self, "cleaned_data", {}).items()
                if name not in self.errors
            }
        sort = data.get("sort") or "partner"
        return OfferFilter(
            course=data.get("course") or "",
            country=data.get("country") or "",
            programme=data.get("programme") or "",
            network=data.get("network") or "",
            language=data.get("language") or "",
            language_level=data.get("language_level") or "",
            eqf=data.get("eqf"),
            isced=data.get("isced") or "",
            mobility_type=data.get("mobility_type") or "",
            q=(data.get("q") or "").strip(),
            sort=sort if sort in SORTS else "partner",
        )
