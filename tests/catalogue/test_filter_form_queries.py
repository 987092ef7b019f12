"""The catalogue's filter form reads the partners' countries once each (issue 19): the model's
ordering joined the DISTINCT, so the query returned one row per partner."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from abroad.catalogue.forms import OfferFilterForm
from tests.factories import AgreementFactory, InstitutionFactory

pytestmark = pytest.mark.django_db


def test_the_country_choices_query_selects_the_country_alone() -> None:
    for name in ("Alpha", "Beta", "Gamma"):
        AgreementFactory.create(partner=InstitutionFactory.create(name=name, country="DE"))
    AgreementFactory.create(partner=InstitutionFactory.create(name="Delta", country="FR"))
    with CaptureQueriesContext(connection) as queries:
        form = OfferFilterForm()
    countries = [code for code, _label in form.fields["country"].choices if code]  # type: ignore[attr-defined]
    assert sorted(countries) == ["DE", "FR"]
    (distinct,) = [
        q["sql"]
        for q in queries.captured_queries
        if "DISTINCT" in q["sql"] and "catalogue_institution" in q["sql"]
    ]
    selected = distinct.split(" FROM ")[0]
    assert selected == 'SELECT DISTINCT "catalogue_institution"."country" AS "country"' or (
        selected == 'SELECT DISTINCT "catalogue_institution"."country"'
    ), selected
