from __future__ import annotations

import logging
from typing import Any, cast

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from abroad.catalogue.enums import MobilityType, Programme
from abroad.catalogue.models import CourseOfStudy, Institution, Network, Offer
from abroad.catalogue.queries import SORTS, OfferFilter, country_names
from abroad.core.cache import current_generation
from abroad.core.enums import (
    CEFR,
    EQF,
    ISCED_BROAD_CHOICES,
    ISCED_CHOICES,
    DegreeLevel,
    Language,
    choice_labels,
)
from abroad.core.widgets import QuickSelect

logger = logging.getLogger(__name__)

ANY = [("", _("Any"))]

Choices = list[tuple[Any, str]]


class OfferFilterForm(forms.Form):
    """The catalogue's filters, from the URL's query string (every filter is in the URL)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    course = forms.ChoiceField(widget=QuickSelect, label=_("My course of study"), required=False)
    country = forms.ChoiceField(widget=QuickSelect, label=_("Country"), required=False)
    programme = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Programme"),
        required=False,
        choices=ANY + list(Programme.choices),
    )
    network = forms.ChoiceField(widget=QuickSelect, label=_("Network"), required=False)
    eqf = forms.TypedChoiceField(
        widget=QuickSelect,
        label=_("Degree level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=ANY + [(level.value, level.label) for level in EQF if level.value >= 6],
    )
    isced = forms.ChoiceField(widget=QuickSelect, label=_("Subject area (ISCED-F)"), required=False)
    language = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Language of instruction"),
        required=False,
        choices=ANY + list(Language.choices),
    )
    language_level = forms.ChoiceField(
        widget=QuickSelect,
        label=_("My level in that language"),
        required=False,
        choices=[*ANY, *CEFR.choices],
    )
    mobility_type = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Mobility for"),
        required=False,
        choices=[*ANY, (MobilityType.STUDY, _("Study")), (MobilityType.THESIS, _("Thesis"))],
    )
    sort = forms.ChoiceField(
        widget=QuickSelect,
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
        for name, choices in filter_choices().items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices

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


# The choices of the form's selects, by (generation of the public pages, language); only the
# current generation's are kept.
_choices: dict[tuple[str, str], dict[str, Choices]] = {}
# What depends on the language alone, by language (translations do not change while a process
# runs): the fixed lists' choices.
_fixed_choices: dict[str, dict[str, Choices]] = {}
DATA_FIELDS = ("course", "country", "network", "isced")


def filter_choices() -> dict[str, Choices]:
    """Every select's choices, their labels translated into the active language: the courses
    of study, the partners' countries and the networks (the catalogue's data), and the fixed
    lists. Read once per generation of the public pages (:mod:`abroad.core.cache`: every change
    of the catalogue starts a new one) and language, in each process; with no cache (a
    ``dummy://`` one) every call starts a generation, and reads them again."""
    language = get_language() or ""
    try:
        key = (current_generation(), language)
    except Exception:  # the cache is down: the page still shows, with choices read for it
        logger.exception("The cache could not say its generation; the choices are read.")
        return {**fixed_choices(), **_read_choices()}
    found = _choices.get(key)
    if found is None:
        found = {**fixed_choices(), **_read_choices()}
        if any(generation != key[0] for generation, _language in _choices):
            _choices.clear()
        _choices[key] = found
    return found


def fixed_choices() -> dict[str, Choices]:
    """The choices of the selects whose lists are fixed (programme, degree level, subject
    area, language...), their labels translated into the active language, once per language."""
    language = get_language() or ""
    found = _fixed_choices.get(language)
    if found is None:
        found = _fixed_choices[language] = {
            name: [(value, str(label)) for value, label in cast(Choices, field.choices)]
            for name, field in OfferFilterForm.base_fields.items()
            if isinstance(field, forms.ChoiceField) and name not in DATA_FIELDS
        }
    return found


# Every field of ISCED-F 2013, by language (a call's page: the call's destinations are a few
# hundred, filtered in the page's own query).
_all_isced: dict[str, Choices] = {}


def all_isced_choices() -> Choices:
    """Every broad, narrow and detailed field of ISCED-F 2013, translated once per language."""
    language = get_language() or ""
    found = _all_isced.get(language)
    if found is None:
        found = _all_isced[language] = [
            (value, str(label)) for value, label in [*ANY, *ISCED_BROAD_CHOICES, *ISCED_CHOICES]
        ]
    return found


def _read_choices() -> dict[str, Choices]:
    """The choices read from the catalogue (four queries). The subject areas are those of the
    offers, with the narrow and broad fields above them (ISCED-F 2013 has 90 detailed fields;
    a student filters by those the catalogue has)."""
    any_ = [(value, str(label)) for value, label in ANY]
    # A course's label is str(course), with the level's label looked up once for all courses
    # (get_level_display translates every level at each call).
    levels = choice_labels(DegreeLevel)
    courses = CourseOfStudy.objects.order_by("name", "level").only(
        "code", "name", "name_it", "level"
    )
    # order_by(): the model's ordering would join the DISTINCT, one row per partner.
    used = (
        Institution.objects.filter(agreements__isnull=False)
        .order_by()
        .values_list("country", flat=True)
        .distinct()
    )
    names = country_names()
    fields = set(Offer.objects.order_by().values_list("isced_code", flat=True).distinct())
    areas = {code[:length] for code in fields for length in (2, 3, 4) if len(code) >= length}
    return {
        "isced": any_
        + [
            (code, str(label))
            for code, label in [*ISCED_BROAD_CHOICES, *ISCED_CHOICES]
            if code in areas
        ],
        "course": any_
        + [
            (course.code, f"{course.display_name} ({levels.get(course.level, course.level)})")
            for course in courses
        ],
        "country": any_ + sorted(((code, names.get(code, code)) for code in set(used)), key=_label),
        "network": any_ + [(n.code, n.name) for n in Network.objects.all()],
    }


def _label(item: tuple[Any, str]) -> str:
    return item[1]
