"""A small, fixed catalogue for the API tests: three public partners, one partner with only
a draft agreement, and a suspended agreement beside public ones."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from abroad.catalogue.enums import AgreementStatus, MobilityType, Programme
from abroad.catalogue.models import Agreement, CourseOfStudy, Institution, Network, Offer
from tests.factories import (
    AgreementFactory,
    CourseOfStudyFactory,
    InstitutionFactory,
    NetworkFactory,
    OfferFactory,
    member,
)


@dataclass
class World:
    mec_msc: CourseOfStudy
    mec_bsc: CourseOfStudy
    arc_msc: CourseOfStudy
    idea: Network
    athens: Network
    berlin: Institution
    delft: Institution
    madrid: Institution
    hidden: Institution
    eu_berlin: Agreement
    net_berlin: Agreement
    eu_delft: Agreement
    dd_madrid: Agreement
    draft: Agreement
    suspended: Agreement
    o_berlin: Offer
    o_thesis: Offer
    o_delft: Offer
    o_madrid: Offer
    o_draft: Offer


@pytest.fixture
def world(db: None) -> World:
    mec_msc = CourseOfStudyFactory.create(code="MEC-M", name="Mechanical Engineering", level="MSc")
    mec_bsc = CourseOfStudyFactory.create(code="MEC-B", name="Mechanical Engineering", level="BSc")
    arc_msc = CourseOfStudyFactory.create(
        code="ARC-M", name="Architecture", level="MSc", isced_code="0731", language="it"
    )
    idea = NetworkFactory.create(code="idea-league", name="IDEA League")
    athens = NetworkFactory.create(code="athens", name="ATHENS")

    berlin = InstitutionFactory.create(
        name="Technische Universität Berlin",
        name_en="Technical University of Berlin",
        country="DE",
        city="Berlin",
        latitude=Decimal("52.51250"),
        longitude=Decimal("13.32690"),
        erasmus_code="D  BERLIN02",
        schac_code="tu-berlin.de",
        website="https://www.tu.berlin",
    )
    delft = InstitutionFactory.create(
        name="Delft University of Technology",
        country="NL",
        city="Delft",
        latitude=Decimal("52.00200"),
        longitude=Decimal("4.37300"),
        erasmus_code="NL DELFT01",
        schac_code="tudelft.nl",
        website="https://www.tudelft.nl",
    )
    madrid = InstitutionFactory.create(
        name="Universidad Politécnica de Madrid",
        country="ES",
        city="Madrid",
        latitude=None,
        longitude=None,
        erasmus_code="E  MADRID05",
        schac_code="upm.es",
        website="",
    )
    hidden = InstitutionFactory.create(
        name="Hidden Institute", country="FR", city="Paris", erasmus_code=None, schac_code=None
    )
    member(idea, delft)

    eu_berlin = AgreementFactory.create(code="EU-BERLIN", partner=berlin, notes="Apply early.")
    net_berlin = AgreementFactory.create(
        code="NET-BERLIN", partner=berlin, programme=Programme.NETWORK, network=athens
    )
    eu_delft = AgreementFactory.create(code="EU-DELFT", partner=delft)
    dd_madrid = AgreementFactory.create(
        code="DD-MADRID", partner=madrid, programme=Programme.DOUBLE_DEGREE
    )
    draft = AgreementFactory.create(
        code="DRAFT-PARIS", partner=hidden, status=AgreementStatus.DRAFT
    )
    suspended = AgreementFactory.create(
        code="OLD-BERLIN", partner=berlin, status=AgreementStatus.SUSPENDED
    )

    o_berlin = OfferFactory.create(
        agreement=eu_berlin,
        mobility_type=MobilityType.STUDY,
        level_master=True,
        isced_code="0715",
        seats=2,
        months=6,
        language="de",
        language_level="B2",
        courses=[mec_msc],
    )
    o_thesis = OfferFactory.create(
        agreement=net_berlin,
        mobility_type=MobilityType.THESIS,
        level_master=True,
        level_doctorate=True,
        isced_code="0713",
        seats=1,
        months=5,
        language="en",
        language_level="",
        courses=[mec_msc, mec_bsc],  # listed for MEC-B, but not at Bachelor level
    )
    o_delft = OfferFactory.create(
        agreement=eu_delft,
        mobility_type=MobilityType.STUDY_OR_THESIS,
        level_bachelor=True,
        level_master=True,
        isced_code="0731",
        seats=4,
        months=10,
        extendable=True,
        language="en",
        language_level="B1",
        courses=[arc_msc, mec_bsc],
    )
    o_madrid = OfferFactory.create(
        agreement=dd_madrid,
        mobility_type=MobilityType.STUDY,
        level_bachelor=True,
        level_master=False,
        isced_code="0613",
        seats=3,
        months=12,
        language="es",
        language_level="B2",
        courses=[mec_bsc],
    )
    o_draft = OfferFactory.create(
        agreement=draft, language="en", language_level="B1", courses=[mec_msc]
    )
    OfferFactory.create(agreement=suspended, courses=[mec_msc])
    return World(
        mec_msc=mec_msc,
        mec_bsc=mec_bsc,
        arc_msc=arc_msc,
        idea=idea,
        athens=athens,
        berlin=berlin,
        delft=delft,
        madrid=madrid,
        hidden=hidden,
        eu_berlin=eu_berlin,
        net_berlin=net_berlin,
        eu_delft=eu_delft,
        dd_madrid=dd_madrid,
        draft=draft,
        suspended=suspended,
        o_berlin=o_berlin,
        o_thesis=o_thesis,
        o_delft=o_delft,
        o_madrid=o_madrid,
        o_draft=o_draft,
    )
