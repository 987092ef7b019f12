"""The Alliance4Tech certificate: the pure rule, the stays counted from the mobilities
(recognised credits when validated, table A otherwise), and the step on the timeline."""

from __future__ import annotations

from decimal import Decimal

import pytest

from abroad.catalogue.enums import Programme
from abroad.mobility import services as mobility_services
from abroad.mobility.checks import Row
from abroad.mobility.enums import MobilityState, Table
from abroad.mobility.timeline import extra_steps
from abroad.networks import certificate, services
from abroad.networks.certificate import Stay, check, explain
from abroad.people.enums import Role
from tests.factories import (
    AgreementFactory,
    CourseOfStudyFactory,
    InstitutionFactory,
    NetworkFactory,
    OfferFactory,
    UserFactory,
    member,
)

D = Decimal


@pytest.mark.unit
def test_two_institutions_thirty_credits_ten_each_is_met() -> None:
    result = check([Stay("TU Berlin", D(20)), Stay("UPM", D(10))])
    assert result.met is True
    assert result.total == D(30)
    assert result.problems == ()
    assert explain(result) == "Met (TU Berlin 20 ECTS, UPM 10 ECTS; total 30 ECTS)"


@pytest.mark.unit
def test_one_institution_is_not_enough_whatever_the_credits() -> None:
    result = check([Stay("TU Berlin", D(30)), Stay("TU Berlin", D(15))])
    assert result.on_track is False
    assert result.total == D(45)
    assert [(p.code, p.needed, p.have) for p in result.problems] == [("institutions", D(2), D(1))]


@pytest.mark.unit
def test_fewer_than_ten_at_the_second_institution_is_named() -> None:
    result = check([Stay("TU Berlin", D(25)), Stay("UPM", D(9))])
    assert [(p.code, p.institution, p.have) for p in result.problems] == [("each", "UPM", D(9))]
    assert "10 ECTS needed at UPM, you have 9" in explain(result)


@pytest.mark.unit
def test_a_third_small_stay_counts_for_the_total_only() -> None:
    result = check([Stay("A", D(12)), Stay("B", D(12)), Stay("C", D(6))])
    assert result.met is True
    assert result.total == D(30)
    assert [i.counts for i in result.institutions] == [True, True, False]


@pytest.mark.unit
def test_too_few_credits_in_total() -> None:
    result = check([Stay("A", D(10)), Stay("B", D(10))])
    assert [(p.code, p.needed, p.have) for p in result.problems] == [("total", D(30), D(20))]


@pytest.mark.unit
def test_planned_credits_are_on_track_but_not_met() -> None:
    result = check([Stay("A", D(20)), Stay("B", D(12), provisional=True)])
    assert (result.on_track, result.met, result.provisional) == (True, False, True)
    assert explain(result).startswith("On track (planned credits)")


@pytest.mark.unit
def test_no_stay_and_negative_credits() -> None:
    result = check([])
    assert [p.code for p in result.problems] == ["institutions", "total"]
    with pytest.raises(ValueError, match="negative"):
        check([Stay("A", D(-1))])


# ----------------------------------------------------------------- from the database


def _alliance_stay(student, partner_name: str, credits: int):  # type: ignore[no-untyped-def]
    alliance = NetworkFactory.create(code="alliance4tech", name="Alliance4Tech")
    partner = InstitutionFactory.create(name=partner_name)
    member(alliance, partner)
    offer = OfferFactory.create(
        agreement=AgreementFactory.create(
            partner=partner, programme=Programme.NETWORK, network=alliance
        ),
        months=5,
    )
    mobility = mobility_services.create_mobility(
        student=student, offer=offer, academic_year=2027, origin="test"
    )
    draft = mobility_services.open_draft(mobility=mobility, actor=student)
    mobility_services.save_draft(
        agreement=draft,
        actor=student,
        rows=[Row(table=Table.A, title="Studio", ects=D(credits))],
    )
    return mobility


@pytest.mark.integration
@pytest.mark.django_db
def test_stays_come_from_mobilities_at_alliance_members_with_planned_credits() -> None:
    student = UserFactory.create(role=Role.STUDENT, course_of_study=CourseOfStudyFactory.create())
    berlin = _alliance_stay(student, "TU Berlin", 20)
    _alliance_stay(student, "UPM", 12)
    elsewhere = OfferFactory.create()  # an ordinary partner: not a stay of the alliance
    mobility_services.create_mobility(
        student=student, offer=elsewhere, academic_year=2027, origin="test"
    )
    stays = services.certificate_stays(student)
    assert stays == [
        Stay("TU Berlin", D(20), provisional=True),
        Stay("UPM", D(12), provisional=True),
    ]
    steps = {step.key: step for step in extra_steps(berlin)}
    step = steps["alliance4tech"]
    assert step.title == "Alliance4Tech certificate"
    assert step.status == "todo"
    assert "On track with the credits planned" in step.text
    assert "TU Berlin: 20 ECTS (planned)" in step.text


@pytest.mark.integration
@pytest.mark.django_db
def test_the_step_says_what_is_missing_and_withdrawn_stays_do_not_count() -> None:
    student = UserFactory.create(role=Role.STUDENT, course_of_study=CourseOfStudyFactory.create())
    berlin = _alliance_stay(student, "TU Berlin", 20)
    upm = _alliance_stay(student, "UPM", 12)
    mobility_services.withdraw_mobility(mobility=upm)
    step = {s.key: s for s in extra_steps(berlin)}["alliance4tech"]
    assert step.status == "todo"
    assert "Stays at 2 partner institutions are needed; you have 1." in step.text
    assert "At least 30 ECTS abroad are needed in total; you have 20." in step.text
    upm.refresh_from_db()
    assert upm.state == MobilityState.WITHDRAWN
    assert "alliance4tech" not in {s.key for s in extra_steps(upm)}


@pytest.mark.integration
@pytest.mark.django_db
def test_no_step_for_a_mobility_outside_the_alliance(student) -> None:  # type: ignore[no-untyped-def]
    mobility = mobility_services.create_mobility(
        student=student, offer=OfferFactory.create(), academic_year=2027, origin="test"
    )
    assert "alliance4tech" not in {s.key for s in extra_steps(mobility)}
    assert certificate.check(services.certificate_stays(student)).on_track is False


def _validated(mobility, credits: list[int]) -> None:  # type: ignore[no-untyped-def]
    """A validated recognition of ``mobility`` with one line per credits value."""
    from django.utils import timezone

    from abroad.recognition.enums import TranscriptState
    from abroad.recognition.models import RecognitionLine, Transcript
    from tests.recognition.factories import standard

    transcript = Transcript.objects.create(
        mobility=mobility,
        host_scale=standard("de"),
        state=TranscriptState.VALIDATED,
        validated_at=timezone.now(),
    )
    for position, value in enumerate(credits, start=1):
        RecognitionLine.objects.create(
            transcript=transcript, position=position, title=f"Home {position}", credits=D(value)
        )


@pytest.mark.integration
@pytest.mark.django_db
def test_recognised_credits_replace_the_planned_ones_once_validated() -> None:
    student = UserFactory.create(role=Role.STUDENT, course_of_study=CourseOfStudyFactory.create())
    berlin = _alliance_stay(student, "TU Berlin", 20)
    upm = _alliance_stay(student, "UPM", 12)
    _validated(berlin, [12, 6])  # 18 recognised of the 20 planned
    assert services.certificate_stays(student) == [
        Stay("TU Berlin", D(18), provisional=False),
        Stay("UPM", D(12), provisional=True),
    ]
    # 30 in total, at least 10 at each, but one stay is still only planned: on track, not met
    step = {s.key: s for s in extra_steps(berlin)}["alliance4tech"]
    assert step.status == "todo"
    assert "TU Berlin: 18 ECTS" in step.text
    _validated(upm, [12])
    step = {s.key: s for s in extra_steps(upm)}["alliance4tech"]
    assert step.status == "done"
