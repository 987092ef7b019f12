"""The catalogue's filter form, made cheap (issue 19): its selects write Django's HTML without a
template per option, its choices are read once per generation of the public pages and language,
and the table's rows name their labels as Django's displays do."""

from __future__ import annotations

import re
from typing import Any, cast

import pytest
from django import forms
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django_countries.fields import Country

from abroad.catalogue.forms import OfferFilterForm, filter_choices
from abroad.catalogue.models import CourseOfStudy, Institution, Offer
from abroad.core.widgets import QuickSelect
from tests.factories import (
    AgreementFactory,
    CourseOfStudyFactory,
    InstitutionFactory,
    NetworkFactory,
    OfferFactory,
)

pytestmark = pytest.mark.django_db


def normalised(html: str) -> str:
    """Django's templates put newlines between the tags; the browser reads them alike."""
    return re.sub(r">\s+<", "><", html.strip())


class DjangoSelects(OfferFilterForm):
    """The same form with Django's own ``Select`` (a template include per option)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ChoiceField):
                assert isinstance(field.widget, QuickSelect)
                field.widget = forms.Select(
                    attrs=field.widget.attrs, choices=cast(Any, field.choices)
                )


@pytest.fixture
def catalogue() -> CourseOfStudy:
    course = CourseOfStudyFactory.create(name="Ingegneria & <Fisica>", name_it="Fisica")
    network = NetworkFactory.create(code="ATHENS", name='ATHENS "network"')
    for name, country in (("Alpha", "DE"), ("Beta", "FR"), ("Gamma", "CI")):
        agreement = AgreementFactory.create(
            partner=InstitutionFactory.create(name=name, country=country), network=network
        )
        OfferFactory.create(agreement=agreement, courses=[course])
    return course


@pytest.mark.parametrize("language", ["en", "it"])
@pytest.mark.parametrize(
    "data",
    [
        None,
        {"country": "DE", "eqf": "7", "isced": "07", "language": "en", "sort": "seats"},
        {"course": "nope", "eqf": "9", "language_level": "Z9", "programme": "erasmus"},
    ],
)
def test_the_form_writes_what_djangos_selects_write(
    catalogue: CourseOfStudy, language: str, data: dict[str, str] | None
) -> None:
    if data is not None:
        data = {**data, "network": "ATHENS"}
    with translation.override(language):
        quick, plain = OfferFilterForm(data), DjangoSelects(data)
        for name in quick.fields:
            assert normalised(str(quick[name])) == normalised(str(plain[name])), name
        assert quick.errors == plain.errors


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_labels_are_the_models_own(catalogue: CourseOfStudy, language: str) -> None:
    """A course is named as ``str(course)`` and a country as ``Country(code).name``, in the
    reader's language ("Côte d'Ivoire" is "Costa d'Avorio" in Italian)."""
    with translation.override(language):
        choices = OfferFilterForm().fields
        courses = dict(choices["course"].choices)  # type: ignore[attr-defined]
        assert courses == {
            "": str(translation.gettext("Any")),
            **{c.code: str(c) for c in CourseOfStudy.objects.all()},
        }
        countries = dict(choices["country"].choices)  # type: ignore[attr-defined]
        assert countries == {
            "": str(translation.gettext("Any")),
            **{code: str(Country(code).name) for code in ("DE", "FR", "CI")},
        }
        assert [label for _code, label in choices["country"].choices][1:] == sorted(  # type: ignore[attr-defined]
            countries[code] for code in ("DE", "FR", "CI")
        )
    with translation.override("it"):
        labels = dict(OfferFilterForm().fields["country"].choices)  # type: ignore[attr-defined]
        assert labels["CI"] == "Costa d'Avorio"
        assert labels[""] == "Qualsiasi"


def test_the_choices_are_read_once_per_generation_and_language(catalogue: CourseOfStudy) -> None:
    with CaptureQueriesContext(connection) as first:
        OfferFilterForm()
    assert len(first.captured_queries) == 4  # courses, countries, networks, subject areas
    with CaptureQueriesContext(connection) as again:
        form = OfferFilterForm({"country": "DE"})
        assert form.is_valid()
    assert again.captured_queries == []
    with translation.override("it"), CaptureQueriesContext(connection) as italian:
        OfferFilterForm()
    assert len(italian.captured_queries) == 4


@pytest.mark.parametrize("change", ["course", "partner", "country", "network", "field"])
def test_a_change_of_the_catalogue_shows_in_the_next_form(
    catalogue: CourseOfStudy, change: str
) -> None:
    def choices(name: str) -> dict[str, str]:
        return dict(OfferFilterForm().fields[name].choices)  # type: ignore[attr-defined]

    assert "JP" not in choices("country")
    if change == "course":
        CourseOfStudyFactory.create(code="NEW-1", name="Naval Engineering")
        assert choices("course")["NEW-1"].startswith("Naval Engineering (")
    elif change == "partner":
        AgreementFactory.create(partner=InstitutionFactory.create(name="Tokyo", country="JP"))
        assert "JP" in choices("country")
    elif change == "country":
        partner = Institution.objects.get(name="Alpha")
        partner.country = "JP"
        partner.save()
        assert "JP" in choices("country")
        assert "DE" not in choices("country")
    elif change == "network":
        NetworkFactory.create(code="CESAER", name="CESAER")
        assert choices("network")["CESAER"] == "CESAER"
    else:
        assert "0916" not in choices("isced")
        OfferFactory.create(isced_code="0916")
        assert choices("isced")["0916"] == "0916 Pharmacy"
        assert choices("isced")["09"] == "09 Health and welfare"


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_rows_and_the_csv_say_djangos_labels(
    client: Client, catalogue: CourseOfStudy, language: str
) -> None:
    """The table and its CSV name programme, mobility type, language and country as the
    model's displays do, in the reader's language."""
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    page = client.get(reverse("catalogue:offers")).text
    csv = client.get(reverse("catalogue:offers-export")).content.decode("utf-8-sig")
    with translation.override(language):
        for offer in Offer.objects.select_related("agreement__partner"):
            for label in (
                offer.agreement.get_programme_display(),
                offer.get_mobility_type_display(),
                offer.get_language_display(),
                str(offer.agreement.partner.country.name),
            ):
                shown = escape(label)
                assert f">{shown}<" in page or f">{shown} " in page, label
                assert label in csv, label
    if language == "it":
        assert '<td data-label="Paese">Costa d&#x27;Avorio</td>' in page
        assert 'data-label="Istituto"' in page


def test_the_subject_areas_are_those_of_the_offers_with_their_broader_fields() -> None:
    """ISCED-F 2013 has 90 detailed fields; the filter lists those the catalogue's offers have,
    with the narrow and broad fields above them (which match every offer under them)."""
    OfferFactory.create(isced_code="0715")
    OfferFactory.create(isced_code="0913")
    codes = [code for code, _label in filter_choices()["isced"] if code]
    assert codes == ["07", "09", "071", "0715", "091", "0913"]
