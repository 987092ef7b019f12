"""Checks before sending, beyond the schema: what partners' systems refuse although the
schema allows it (a family name left empty, an ISCED code not of four digits, studies with no
language requirement, an empty element). Each is refused with the reason, and nothing is
sent."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from abroad.catalogue.models import Agreement
from abroad.ewp import presend, services, xml
from abroad.ewp.xml import EwpError
from tests.ewp.test_las import signed_first
from tests.mobility.factories import MobilityFactory

pytestmark = pytest.mark.django_db


def _tree(body: str) -> Any:
    return xml.parse(f'<root xmlns="urn:x">{body}</root>'.encode(), ours=True)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            "<student><given-names>Anna</given-names><family-name> </family-name>"
            "<global-id>urn:x:1</global-id></student>",
            "The student urn:x:1 has no family name",
        ),
        (
            "<contact-person><given-names>Ida</given-names><email>i@x.eu</email></contact-person>",
            "The contact person i@x.eu has no family name",
        ),
        ("<isced-f-code>071</isced-f-code>", "“071” is not a detailed field"),
        ("<isced-f-code>0710</isced-f-code>", "“0710” is not a detailed field"),
        ("<isced-f-code>1215</isced-f-code>", "“1215” is not a detailed field"),
        # four digits of the old pattern, but no field of ISCED-F 2013 (no narrow field 077)
        ("<isced-f-code>0777</isced-f-code>", "“0777” is not a detailed field"),
        ("<isced-f-code>0618</isced-f-code>", "“0618” is not a detailed field"),
        ("<nominee-isced-f-code>07</nominee-isced-f-code>", "“07” is not a detailed field"),
        (
            "<student-studies-mobility-spec><subject-area><isced-f-code>0715</isced-f-code>"
            "</subject-area></student-studies-mobility-spec>",
            "name no language requirement",
        ),
        ("<other-info-terms>  </other-info-terms>", "The element other-info-terms is empty."),
    ],
)
def test_each_known_refusal_is_named(body: str, problem: str) -> None:
    found = presend.problems(_tree(body))
    assert len(found) == 1, found
    assert problem in found[0]


def test_a_good_document_has_no_problem() -> None:
    body = (
        "<student><given-names>Anna</given-names><family-name>Rossi</family-name></student>"
        "<student-studies-mobility-spec><recommended-language-skill><language>en</language>"
        "</recommended-language-skill><subject-area><isced-f-code>0715</isced-f-code>"
        "</subject-area><subject-area><isced-f-code>0719</isced-f-code></subject-area>"
        "<subject-area><isced-f-code>0788</isced-f-code></subject-area>"
        "<subject-area><isced-f-code>0913</isced-f-code></subject-area>"
        "<subject-area><isced-f-code>0799</isced-f-code></subject-area>"
        "</student-studies-mobility-spec><non-standard-mobility-period/>"
    )
    assert presend.problems(_tree(body)) == []
    assert presend.problems(_tree("")) == []  # a response with no item
    assert presend.problems(_tree("<iia><cooperation-conditions/></iia>")) == []  # a draft


def test_a_learning_agreement_of_a_student_without_family_name_is_not_sent(
    agreement: Agreement,
) -> None:
    """It used to go out with the username as the family name."""
    mobility = MobilityFactory.create(
        offer=agreement.offers.get(isced_code="0715"), host=agreement.partner
    )
    signed_first(mobility)
    mobility.student.last_name = ""
    mobility.student.save()
    with pytest.raises(EwpError, match="has no family name"):
        services.export_la(mobility)


def test_an_agreement_whose_studies_name_no_language_is_not_sent(
    agreement: Agreement, personas: dict[str, Client]
) -> None:
    for offer in agreement.offers.all():
        offer.language = ""
        offer.language_level = ""
        offer.save()
    with pytest.raises(EwpError, match="name no language requirement"):
        services.export_iia(agreement)
    page = personas["office"].get(reverse("ewp:agreement_xml", args=[agreement.pk]), follow=True)
    assert "attachment" not in page.get("Content-Disposition", "")
    assert "add the language and level the host asks for" in page.content.decode()
