"""The call offer's summary is written in Python (``{% offer_summary %}``, issue 19): the
same HTML as the template it replaced, kept here, in English and in Italian, with and without a
city, a language level, one seat or several."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template
from django.utils import translation

from abroad.selection.models import Call, CallOffer
from abroad.selection.templatetags.selection import offer_summary
from abroad.selection.views_student import name_facts
from tests.factories import InstitutionFactory, OfferFactory

pytestmark = pytest.mark.django_db

# selection/_offer_summary.html before it called the tag.
TEMPLATE = Template(
    "{% load i18n %}{% with offer=call_offer.offer %}"
    "{% with agreement=offer.agreement partner=offer.agreement.partner %}"
    '<span class="offer-name"><a href="{{ agreement.get_absolute_url }}">{{ offer.label }}</a>'
    "</span>\n"
    '<small class="offer-facts">{{ partner.city }}{% if partner.city %}, {% endif %}'
    "{{ partner.country.name }} · {{ offer.mobility_type_name }} · {{ offer.isced_name }} · "
    "{% blocktranslate count seats=call_offer.seats %}{{ seats }} seat{% plural %}"
    "{{ seats }} seats{% endblocktranslate %} · {{ offer.language_name }}"
    "{% if offer.language_level %} {{ offer.language_level }}{% endif %}</small>"
    "{% endwith %}{% endwith %}\n"
)


def normalised(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_tag_writes_what_the_template_wrote(language: str) -> None:
    call = Call.objects.create(
        code="c-1",
        title="Call",
        academic_year=2027,
        opens_at="2027-01-01T00:00Z",
        closes_at="2027-02-01T00:00Z",
    )
    offers = [
        OfferFactory.create(
            agreement__partner=InstitutionFactory.create(
                name='Université <Côte> & "Co"', city="Abidjan", country="CI"
            ),
            language="fr",
            language_level="B2",
            mobility_type="thesis",
            seats=1,
        ),
        OfferFactory.create(
            agreement__partner=InstitutionFactory.create(name="TU", city="", country="DE"),
            language="de",
            language_level="",
            seats=3,
            weeks=2,
        ),
    ]
    call_offers = [
        CallOffer.objects.create(call=call, offer=offer, seats=offer.seats) for offer in offers
    ]
    with translation.override(language):
        loaded = list(
            CallOffer.objects.filter(pk__in=[c.pk for c in call_offers]).select_related(
                "offer__agreement__partner", "offer__agreement__network"
            )
        )
        name_facts(loaded)
        for call_offer in loaded:
            expected = TEMPLATE.render(Context({"call_offer": call_offer}))
            assert normalised(offer_summary(call_offer)) == normalised(expected)
        if language == "it":
            assert "Costa d&#x27;Avorio" in offer_summary(loaded[0])
            assert "1 posto" in offer_summary(loaded[0])
