"""recognition/queries.py: the credits recognised at home, written once (the timeline and the
ATHENS certificate ask it)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from abroad.people.models import User
from abroad.recognition import services
from abroad.recognition.queries import recognised_credits, total_credits
from abroad.recognition.services import EntryData
from tests.factories import PromoterFactory
from tests.mobility.factories import coordinate
from tests.recognition.factories import (
    ConversionRuleFactory,
    EndedMobilityFactory,
    signed_agreement,
    standard,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_credits_are_recognised_once_the_recognition_is_validated(office: User) -> None:
    mobility = EndedMobilityFactory.create()
    signed_agreement(
        mobility,
        a=[("A1", "One", 6), ("A2", "Two", 3), ("A3", "Three", 5)],
        b=[("B1", "Home one", 6), ("B2", "Home two", 4), ("B3", "Home three", 5)],
    )
    ConversionRuleFactory.create(name="Linear")
    promoter: User = PromoterFactory.create().user
    coordinate(mobility, promoter)
    assert recognised_credits(mobility) is None  # no transcript

    transcript = services.enter_transcript(
        mobility=mobility,
        host_scale=standard("fr"),
        entries=[
            EntryData("A1", grade="14"),
            EntryData("A2", grade="12"),
            EntryData("A3", grade="8"),
        ],
        actor=office,
    )
    services.accept_transcript(transcript=transcript, actor=mobility.student)
    services.propose_recognition(transcript=transcript, actor=office)
    assert recognised_credits(mobility) is None  # proposed, not validated
    assert total_credits(transcript.lines.all()) == 10  # the failed third line has none

    services.validate_recognition(transcript=transcript, actor=promoter)
    assert recognised_credits(mobility) == Decimal(10)
    assert recognised_credits(mobility.pk) == Decimal(10)
    assert recognised_credits(EndedMobilityFactory.create()) is None


def test_no_lines_is_no_credits() -> None:
    assert total_credits([]) == 0
