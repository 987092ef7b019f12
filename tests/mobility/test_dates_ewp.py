"""With planned dates proposed at its birth, the learning agreement of a mobility born from a
call goes to Erasmus Without Paper (issue 18, point 2). A file of its own: the EWP fixtures
(the official schemas, the home institution) apply to this test only."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from abroad.ewp import services as ewp_services
from abroad.mobility import services
from abroad.mobility.enums import LearningAgreementState
from tests.ewp.conftest import ewp_schemas, home  # noqa: F401  (the EWP export's fixtures)
from tests.factories import OfferFactory, PromoterFactory, UserFactory
from tests.mobility.factories import agreement_with_rows

pytestmark = pytest.mark.django_db


def test_the_learning_agreement_of_a_mobility_from_a_call_goes_to_ewp(home: Any) -> None:  # noqa: F811
    """Before: "EWP needs the planned start and end of the mobility: record them first."."""
    offer = OfferFactory.create(
        months=5,
        agreement__promoter=PromoterFactory.create(),
        agreement__partner__schac_code="tudelft.nl",
        agreement__partner_contact="Anna de Vries <a.devries@tudelft.nl>",
    )
    mobility = services.create_mobility(
        student=UserFactory.create(student_number="10654321"),
        offer=offer,
        academic_year=2027,
        origin="call:test",
    )
    agreement_with_rows(
        mobility,
        state=LearningAgreementState.APPROVED,
        student_signed_at=timezone.now(),
        promoter=UserFactory.create(),
        promoter_signed_at=timezone.now(),
    )

    data = ewp_services.export_la(mobility).replace(b"la:", b"")

    assert b"<start-date>2027-09-01</start-date>" in data
    assert b"<end-date>2028-01-31</end-date>" in data
