"""The recognition flow through its services: a transcript entered, accepted or disputed, its
recognition proposed with the mobility's conversion rule, adjusted and validated, with exact
values, exact messages and who may do each step."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from abroad.catalogue.models import Institution
from abroad.core import audit
from abroad.mobility import services as mobility_services
from abroad.mobility.enums import ComponentStatus, MobilityState, Table
from abroad.mobility.models import Component, Mobility
from abroad.mobility.services import MobilityError
from abroad.people.models import User
from abroad.recognition import services
from abroad.recognition.enums import LineFlag, Method, Outcome, TranscriptState
from abroad.recognition.models import ConversionRule, RecognitionLine, Transcript
from abroad.recognition.services import EntryData, RecognitionError
from tests.factories import CourseOfStudyFactory, InstitutionFactory, PromoterFactory, SchoolFactory
from tests.mobility.factories import coordinate
from tests.recognition.factories import (
    ConversionRuleFactory,
    EndedMobilityFactory,
    GradingTableFactory,
    signed_agreement,
    standard,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

FIVE_A = [
    ("FR101", "Thermodynamique", 6),
    ("FR102", "Mécanique des fluides", 6),
    ("FR103", "Automatique", 6),
    ("FR104", "Optimisation", 6),
    ("FR105", "Projet", 6),
]
FIVE_B = [
    ("052345", "Thermodynamics", 6),
    ("052346", "Fluid Mechanics", 6),
    ("052347", "Automatic Control", 6),
    ("052348", "Optimisation", 6),
    ("052349", "Design Project", 6),
]


@pytest.fixture
def host() -> Institution:
    return InstitutionFactory.create(name="Université Paris-Saclay", country="FR")


@pytest.fixture
def mobility(host: Institution) -> Mobility:
    """A student of a course with one coordinator, at a French partner whose agreement has its
    own (site) promoter; learning agreement v1 signed with five rows in tables A and B."""
    mobility = EndedMobilityFactory.create(
        offer__agreement__partner=host,
        student__first_name="Lucia",
        student__last_name="Ferraro",
        student__student_number="100234",
    )
    signed_agreement(mobility, a=FIVE_A, b=FIVE_B)
    return mobility


@pytest.fixture
def coordinator(mobility: Mobility) -> User:
    user: User = PromoterFactory.create(user__username="coordinator").user
    coordinate(mobility, user)
    return user


@pytest.fixture
def site_promoter(mobility: Mobility) -> User:
    """The promoter of the partner site: not an approver while the course has coordinators."""
    assert mobility.offer is not None
    promoter = mobility.offer.agreement.promoter
    assert promoter is not None
    user: User = promoter.user
    return user


@pytest.fixture
def linear(mobility: Mobility) -> ConversionRule:
    """The linear formula, rounding half up, for the student's course of study."""
    rule: ConversionRule = ConversionRuleFactory.create(
        name="Linear France",
        course_of_study=mobility.student.course_of_study,
        parameters={"rounding": "half up"},
    )
    return rule


def entries(*grades: str) -> list[EntryData]:
    """Entries for FR101, FR102 ... with these grades."""
    return [
        EntryData(code, grade=grade) for (code, _t, _e), grade in zip(FIVE_A, grades, strict=False)
    ]


def entered(mobility: Mobility, office: User, *grades: str) -> Transcript:
    return services.enter_transcript(
        mobility=mobility, host_scale=standard("fr"), entries=entries(*grades), actor=office
    )


def proposed(mobility: Mobility, office: User, *grades: str) -> Transcript:
    transcript = entered(mobility, office, *grades)
    services.accept_transcript(transcript=transcript, actor=mobility.student)
    return services.propose_recognition(transcript=transcript, actor=office)


def lines_of(transcript: Transcript) -> list[tuple[str, Decimal, str, str, str]]:
    return [
        (line.code, line.credits, line.proposed_grade, line.grade, line.flag)
        for line in transcript.lines.order_by("position")
    ]


def entries_of(transcript: Transcript) -> list[tuple[str, str, str, str, bool]]:
    return [
        (e.code, e.title, e.grade, e.outcome, e.component_id is not None)
        for e in transcript.entries.order_by("position")
    ]


def actions(obj: Model) -> list[str]:
    return list(reversed(audit.history(obj).values_list("action", flat=True)))


def raises(message: str) -> Any:
    return pytest.raises(RecognitionError, match=f"^{re.escape(message)}$")


# ------------------------------------------------------------------------- standard scales


def test_ensure_standard_scales_is_idempotent() -> None:
    first = services.ensure_standard_scales()
    second = services.ensure_standard_scales()
    assert sorted(first) == ["at", "de", "ects", "es", "fr", "it", "nl", "uk", "uk-pg", "us"]
    assert {k: s.pk for k, s in first.items()} == {k: s.pk for k, s in second.items()}
    assert (first["fr"].code, first["fr"].name, first["fr"].country.code) == (
        "fr",
        "France 0-20",
        "FR",
    )


# ------------------------------------------------------------------------ entering


def test_french_transcript_converts_with_the_linear_formula(
    mobility: Mobility, office: User, linear: ConversionRule
) -> None:
    transcript = proposed(mobility, office, "14", "12", "16,5", "20", "9")

    assert transcript.state == TranscriptState.PROPOSED
    assert transcript.rule == linear
    assert transcript.home_scale == standard("it")
    assert lines_of(transcript) == [
        ("052345", Decimal(6), "23", "23", ""),
        ("052346", Decimal(6), "20", "20", ""),
        ("052347", Decimal(6), "26", "26", ""),
        ("052348", Decimal(6), "30", "30", ""),
        ("052349", Decimal(0), "", "", LineFlag.FAILED),
    ]
    first = transcript.lines.get(position=1)
    assert "\n".join(first.sentences()) == (
        "FR101 Thermodynamique: 14 (France 0-20) → 23 (Italy 0-30) by Linear France (linear "
        "formula): 18 + 12 × (14 − 10) / (20 − 10) = 22.8, rounded half up."
    )
    entry = transcript.entries.get(code="FR101")
    assert first.explanation == {
        "rule": "Linear France",
        "rule_id": linear.pk,
        "scope": [["course_of_study", str(mobility.student.course_of_study)]],
        "method": "linear",
        "mapping": "position",
        "flag": "",
        "sources": [
            {
                "entry": entry.pk,
                "code": "FR101",
                "title": "Thermodynamique",
                "ects": "6",
                "outcome": "passed",
                "host_grade": "14",
                "home_grade": "23",
                "explanation": {
                    "method": "linear",
                    "rule": "Linear France",
                    "host_scale": "France 0-20",
                    "home_scale": "Italy 0-30",
                    "formula": "18 + 12 × (14 − 10) / (20 − 10)",
                    "exact": "22.8",
                    "rounding": "half up",
                },
            }
        ],
    }
    assert list(first.entries.values_list("code", flat=True)) == ["FR101"]
    failed = transcript.lines.get(position=5)
    assert "\n".join(failed.sentences()) == (
        "FR105 Projet: 9 is a fail grade of France 0-20 (the lowest pass is 10), so it converts "
        "to FAIL.\nNone of them passed: not recognised."
    )


def test_lode_only_where_the_rule_grants_it(
    mobility: Mobility, office: User, linear: ConversionRule
) -> None:
    linear.parameters = {"rounding": "half up", "lode_at_best": True}
    linear.save()
    transcript = proposed(mobility, office, "20", "19.99", "10", "10", "10")
    assert [line[2] for line in lines_of(transcript)] == ["30L", "30", "18", "18", "18"]


def test_entries_link_to_table_a_by_code_and_missing_components_are_visible(
    mobility: Mobility, office: User
) -> None:
    transcript = services.enter_transcript(
        mobility=mobility,
        host_scale=standard("fr"),
        entries=[
            EntryData("fr 102", "Fluides", Decimal(5), "11.25"),
            EntryData("FR101", grade="8"),
            EntryData("XX900", "Cours libre", Decimal(3), "15"),
            EntryData("FR104", "Optimisation"),
        ],
        actor=office,
    )

    assert entries_of(transcript) == [
        ("fr 102", "Fluides", "11.25", Outcome.PASSED, True),
        ("FR101", "Thermodynamique", "8", Outcome.FAILED, True),
        ("XX900", "Cours libre", "15", Outcome.PASSED, False),
        ("FR104", "Optimisation", "", Outcome.MISSING, True),
        ("FR103", "Automatique", "", Outcome.MISSING, True),
        ("FR105", "Projet", "", Outcome.MISSING, True),
    ]
    fluids = transcript.entries.select_related("component").get(position=1)
    assert fluids.component is not None
    assert (fluids.component.code, fluids.ects) == ("FR102", Decimal(5))
    assert transcript.entries.get(code="FR103").ects == Decimal(6)
    assert transcript.state == TranscriptState.ENTERED
    assert transcript.entered_by == office
    assert actions(transcript) == ["transcript.entered"]
    event = audit.history(transcript).get()
    assert (event.data["passed"], event.data["failed"], event.data["missing"]) == (2, 1, 3)


def test_enter_transcript_names_every_bad_row_and_saves_nothing(
    mobility: Mobility, office: User
) -> None:
    with pytest.raises(RecognitionError) as error:
        services.enter_transcript(
            mobility=mobility,
            host_scale=standard("fr"),
            entries=[
                EntryData("FR101", grade="14"),
                EntryData("FR102", grade="25"),
                EntryData("", grade="x"),
                EntryData("FR101", grade="12"),
            ],
            actor=office,
        )
    assert error.value.errors == [
        "row 2 (FR102), grade: 25 is not a grade of France 0-20 (0-20, pass 10, step 0.01): it "
        "is above the highest grade 20",
        "row 3, code: give the host's code or title of the component",
        "row 3, grade: 'x' is not a grade of France 0-20 (0-20, pass 10, step 0.01): give a number",
        "row 4 (FR101), code: row 1 already reports FR101: keep one row per component",
    ]
    assert (
        str(error.value) == "The transcript was not saved: " + "; ".join(error.value.errors) + "."
    )
    assert not Transcript.objects.exists()


def test_enter_transcript_is_for_the_office_only(mobility: Mobility, coordinator: User) -> None:
    for actor in (mobility.student, coordinator):
        with raises("Only the International Mobility Unit enters transcripts."):
            services.enter_transcript(
                mobility=mobility, host_scale=standard("fr"), entries=[], actor=actor
            )


def test_enter_transcript_needs_a_signed_learning_agreement(office: User) -> None:
    mobility = EndedMobilityFactory.create()
    with raises(
        "This mobility has no learning agreement signed by all three: the transcript is "
        "checked against it."
    ):
        services.enter_transcript(
            mobility=mobility, host_scale=standard("fr"), entries=[], actor=office
        )


def test_deleted_components_of_a_change_are_not_expected(mobility: Mobility, office: User) -> None:
    change = signed_agreement(mobility, a=FIVE_A[:2], b=FIVE_B[:2], number=2)
    Component.objects.filter(agreement=change, table=Table.A, code="FR102").update(
        status=ComponentStatus.DELETED
    )
    transcript = entered(mobility, office, "14")
    assert transcript.agreement == change
    assert entries_of(transcript) == [("FR101", "Thermodynamique", "14", Outcome.PASSED, True)]


# ------------------------------------------------------------------ accepting and disputing


def test_only_the_student_accepts_the_transcript(
    mobility: Mobility, office: User, other_student: User, coordinator: User
) -> None:
    transcript = entered(mobility, office, "14")
    for actor in (other_student, office, coordinator, None):
        with raises("Only the student of this mobility accepts the transcript."):
            services.accept_transcript(transcript=transcript, actor=actor)

    services.accept_transcript(transcript=transcript, actor=mobility.student)

    transcript.refresh_from_db()
    assert transcript.state == TranscriptState.ACCEPTED
    assert transcript.accepted_at is not None
    with raises(
        "The transcript is “Accepted by the student”; somebody may have acted on it already."
    ):
        services.accept_transcript(transcript=transcript, actor=mobility.student)


def test_the_student_disputes_with_a_reason_and_the_office_enters_it_again(
    mobility: Mobility, office: User, other_student: User
) -> None:
    transcript = entered(mobility, office, "14")
    with raises("Only the student of this mobility accepts or disputes the transcript."):
        services.dispute_transcript(transcript=transcript, actor=other_student, reason="Wrong")
    with raises("Say what is wrong with the transcript."):
        services.dispute_transcript(transcript=transcript, actor=mobility.student, reason=" ")

    services.dispute_transcript(
        transcript=transcript, actor=mobility.student, reason="FR102 was passed with 13."
    )
    transcript.refresh_from_db()
    assert (transcript.state, transcript.dispute_reason) == (
        TranscriptState.DISPUTED,
        "FR102 was passed with 13.",
    )
    with raises(
        "The transcript is “Disputed by the student”; somebody may have acted on it already."
    ):
        services.accept_transcript(transcript=transcript, actor=mobility.student)

    again = entered(mobility, office, "14", "13")
    assert again.pk == transcript.pk
    assert (again.state, again.dispute_reason) == (TranscriptState.ENTERED, "")
    assert entries_of(again)[1] == ("FR102", "Mécanique des fluides", "13", Outcome.PASSED, True)
    assert actions(again) == ["transcript.entered", "transcript.disputed", "transcript.entered"]


# --------------------------------------------------------------------------- which rule


@pytest.fixture
def school_rules(mobility: Mobility, host: Institution) -> dict[str, ConversionRule]:
    """Rules for French grades for the School, the course of study and the partner; the
    partner's rounds up, so that 14.5 (= 23.4) gives 24 there and 23 by the others."""
    course = mobility.student.course_of_study
    assert course is not None
    return {
        "school": ConversionRuleFactory.create(
            name="School", school=course.school, parameters={"rounding": "nearest"}
        ),
        "course": ConversionRuleFactory.create(
            name="Course", course_of_study=course, parameters={"rounding": "down"}
        ),
        "partner": ConversionRuleFactory.create(
            name="Partner", partner=host, parameters={"rounding": "up"}
        ),
    }


def test_the_partner_rule_beats_the_course_and_the_school(
    mobility: Mobility, office: User, school_rules: dict[str, ConversionRule]
) -> None:
    fr = standard("fr")
    ConversionRuleFactory.create(name="Default", parameters={"rounding": "up"})
    ConversionRuleFactory.create(name="German", host_scale=standard("de"))
    assert services.rule_for(mobility, fr) == school_rules["partner"]
    assert services.rule_for(mobility, standard("es")) is None

    transcript = proposed(mobility, office, "14.5", "14.5", "14.5", "14.5", "14.5")
    assert transcript.rule == school_rules["partner"]
    assert [line[2] for line in lines_of(transcript)] == ["24"] * 5

    school_rules["partner"].delete()
    assert services.rule_for(mobility, fr) == school_rules["course"]
    school_rules["course"].delete()
    assert services.rule_for(mobility, fr) == school_rules["school"]
    school_rules["school"].delete()
    default = services.rule_for(mobility, fr)
    assert default is not None
    assert default.name == "Default"


def test_a_partner_rule_for_another_partner_does_not_apply(
    mobility: Mobility, school_rules: dict[str, ConversionRule]
) -> None:
    school_rules["partner"].partner = InstitutionFactory.create()
    school_rules["partner"].save()
    assert services.rule_for(mobility, standard("fr")) == school_rules["course"]


def test_the_school_a_section_belongs_to_has_rules_too(office: User) -> None:
    auic = SchoolFactory.create(code="AUIC", name="Architecture")
    arch = SchoolFactory.create(code="AUIC-ARCH", name="Architecture (architecture)")
    arch.parent = auic
    arch.save()
    mobility = EndedMobilityFactory.create(
        student__course_of_study=CourseOfStudyFactory.create(school=arch)
    )
    whole = ConversionRuleFactory.create(name="AUIC", school=auic)
    assert services.rule_for(mobility, standard("fr")) == whole
    section = ConversionRuleFactory.create(name="AUIC-ARCH", school=arch)
    assert services.rule_for(mobility, standard("fr")) == section
    partner_and_whole = ConversionRuleFactory.create(
        name="AUIC here", school=auic, partner=mobility.host
    )
    assert services.rule_for(mobility, standard("fr")) == partner_and_whole


def test_two_rules_with_the_same_scope_are_an_error(mobility: Mobility) -> None:
    ConversionRuleFactory.create(name="One")
    ConversionRuleFactory.create(name="Two")  # the admin refuses it (clean); the database does not
    with raises(
        "two rules apply with the same precedence (default): One (every mobility) and Two "
        "(every mobility); keep one, or make one more specific"
    ):
        services.rule_for(mobility, standard("fr"))


def test_no_rule_no_proposal(mobility: Mobility, office: User) -> None:
    transcript = entered(mobility, office, "14")
    services.accept_transcript(transcript=transcript, actor=mobility.student)
    course = mobility.student.course_of_study
    assert course is not None
    with raises(
        f"No conversion rule converts France 0-20 for this mobility (course of study "
        f"{course.code}, partner Université Paris-Saclay): the office adds one."
    ):
        services.propose_recognition(transcript=transcript, actor=office)


def test_a_broken_rule_says_so(mobility: Mobility, office: User) -> None:
    ConversionRuleFactory.create(
        name="Broken", parameters={"rounding": "sideways"}
    )  # clean() not run
    transcript = entered(mobility, office, "14")
    services.accept_transcript(transcript=transcript, actor=mobility.student)
    with raises(
        "The conversion rule “Broken” cannot convert grades: 'sideways' is not one of 'half up', "
        "'nearest', 'down', 'up'. The office fixes it."
    ):
        services.propose_recognition(transcript=transcript, actor=office)
    assert Transcript.objects.get().state == TranscriptState.ACCEPTED


# ------------------------------------------------------------------- grading tables, mapping

ITALY_TABLE = {
    "30L": 5, "30": 10, "29": 5, "28": 10, "27": 10, "26": 10, "25": 10,
    "24": 10, "23": 10, "22": 5, "21": 5, "20": 5, "19": 3, "18": 2,
}  # fmt: skip
FRANCE_TABLE = {"16": 10, "15": 15, "14": 25, "13": 20, "12": 15, "11": 10, "10": 5}


def test_grading_tables_end_to_end(mobility: Mobility, office: User, host: Institution) -> None:
    """EGRACONS, closest: 14 covers 25-50% at the host, midpoint 37.5% is 27 at home (30-40%);
    15 covers 10-25%, midpoint 17.5% is 29 (15-20%); 12 covers 70-85%, 77.5% is 23 (70-80%);
    13.5, which nobody had, sits at 50% (a boundary: the better grade, 26); 10 covers 95-100%,
    97.5% is 19 (95-98%)."""
    home = InstitutionFactory.create(name="Politecnico di Milano", country="IT", is_home=True)
    rule = ConversionRuleFactory.create(
        name="EGRACONS 0715",
        method=Method.GRADING_TABLES,
        parameters={"policy": "closest"},
        host_table=GradingTableFactory.create(
            institution=host,
            scale=standard("fr"),
            percentages={grade: str(p) for grade, p in FRANCE_TABLE.items()},
        ),
        home_table=GradingTableFactory.create(
            institution=home,
            scale=standard("it"),
            percentages={grade: str(p) for grade, p in ITALY_TABLE.items()},
        ),
    )
    transcript = proposed(mobility, office, "14", "15", "12", "13.5", "10")

    assert transcript.rule == rule
    assert [line[2] for line in lines_of(transcript)] == ["27", "29", "23", "26", "19"]
    assert "\n".join(transcript.lines.get(position=1).sentences()) == (
        "FR101 Thermodynamique: 14 (France 0-20) → 27 (Italy 0-30) by EGRACONS 0715 (grading "
        "tables): 14 covers the top 25%–50% of passing grades at the host (Université "
        "Paris-Saclay, ISCED-F 0715, second cycle, 2022/2023, 2023/2024); its midpoint 37.5% "
        "falls in 27 at home, top 30%–40% (Politecnico di Milano, ISCED-F 0715, second cycle, "
        "2022/2023, 2023/2024)."
    )
    explanation = transcript.lines.get(position=1).explanation["sources"][0]["explanation"]
    assert (explanation["host_range"], explanation["midpoint"], explanation["home_range"]) == (
        ["25", "50"],
        "37.5",
        ["30", "40"],
    )


def test_tables_of_different_length_recognise_all_of_table_a_credit_weighted(
    host: Institution, office: User
) -> None:
    """14 → 23, 18 → 27.6 → 28, 11 → 19.2 → 19: (23 x 6 + 28 x 6 + 19 x 3) / 15 = 24.2 → 24."""
    mobility = EndedMobilityFactory.create(offer__agreement__partner=host)
    signed_agreement(
        mobility,
        a=[("A1", "One", 6), ("A2", "Two", 6), ("A3", "Three", 3)],
        b=[("B1", "Home one", 9), ("B2", "Home two", 6)],
    )
    ConversionRuleFactory.create(name="Linear")
    transcript = services.enter_transcript(
        mobility=mobility,
        host_scale=standard("fr"),
        entries=[
            EntryData("A1", grade="14"),
            EntryData("A2", grade="18"),
            EntryData("A3", grade="11"),
        ],
        actor=office,
    )
    services.accept_transcript(transcript=transcript, actor=mobility.student)
    services.propose_recognition(transcript=transcript, actor=office)

    assert lines_of(transcript) == [
        ("B1", Decimal(9), "24", "24", ""),
        ("B2", Decimal(6), "24", "24", ""),
    ]
    line = transcript.lines.get(position=1)
    assert line.explanation["mapping"] == "all"
    assert line.explanation["average"] == {"exact": "24.2", "grade": "24"}
    assert line.sentences()[-1] == (
        "Credit-weighted average of 23 (6 ECTS), 28 (6 ECTS) and 19 (3 ECTS) = 24.2, rounded "
        "to the nearest grade: 24."
    )
    assert sorted(line.entries.values_list("code", flat=True)) == ["A1", "A2", "A3"]


def test_a_failed_component_among_several_flags_the_line(host: Institution, office: User) -> None:
    mobility = EndedMobilityFactory.create(offer__agreement__partner=host)
    signed_agreement(mobility, a=[("A1", "One", 6), ("A2", "Two", 6)], b=[("B1", "Home", 12)])
    ConversionRuleFactory.create(name="Linear")
    transcript = services.enter_transcript(
        mobility=mobility,
        host_scale=standard("fr"),
        entries=[EntryData("A1", grade="14"), EntryData("A2", grade="7")],
        actor=office,
    )
    services.accept_transcript(transcript=transcript, actor=mobility.student)
    services.propose_recognition(transcript=transcript, actor=office)

    assert lines_of(transcript) == [("B1", Decimal(0), "", "", LineFlag.PARTIAL)]
    line = transcript.lines.get()
    assert line.explanation["passing_give"] == "23"
    assert line.sentences()[-1] == (
        "Not all of them passed: no grade is proposed (the passing ones give 23); the promoter "
        "decides."
    )


def test_honours_average_only_when_every_grade_is_honours(host: Institution, office: User) -> None:
    mobility = EndedMobilityFactory.create(offer__agreement__partner=host)
    signed_agreement(mobility, a=[("A1", "One", 6), ("A2", "Two", 4)], b=[("B1", "Home", 10)])
    ConversionRuleFactory.create(name="Lode", parameters={"lode_at_best": True})
    transcript = services.enter_transcript(
        mobility=mobility,
        host_scale=standard("fr"),
        entries=[EntryData("A1", grade="20"), EntryData("A2", grade="20")],
        actor=office,
    )
    services.accept_transcript(transcript=transcript, actor=mobility.student)
    services.propose_recognition(transcript=transcript, actor=office)
    assert lines_of(transcript) == [("B1", Decimal(10), "30L", "30L", "")]

    transcript = services.enter_transcript(  # the office enters it again
        mobility=mobility,
        host_scale=standard("fr"),
        entries=[EntryData("A1", grade="20"), EntryData("A2", grade="19.9")],
        actor=office,
    )
    services.accept_transcript(transcript=transcript, actor=mobility.student)
    services.propose_recognition(transcript=transcript, actor=office)
    assert lines_of(transcript) == [("B1", Decimal(10), "30", "30", "")]


def test_propose_needs_the_accepted_transcript_and_the_version_it_was_entered_against(
    mobility: Mobility, office: User, linear: ConversionRule, coordinator: User
) -> None:
    transcript = entered(mobility, office, "14")
    with raises(
        "The student accepts the transcript first; it is “Entered, waiting for the student”."
    ):
        services.propose_recognition(transcript=transcript, actor=office)
    services.accept_transcript(transcript=transcript, actor=mobility.student)
    with raises("Only the International Mobility Unit or the promoter proposes the recognition."):
        services.propose_recognition(transcript=transcript, actor=mobility.student)

    signed_agreement(mobility, a=FIVE_A, b=FIVE_B, number=2)
    with raises(
        "The learning agreement in force is version 2, but the transcript was entered against "
        "another version: the office enters the transcript again."
    ):
        services.propose_recognition(transcript=transcript, actor=coordinator)


# ---------------------------------------------------------------- adjusting and validating


def test_propose_adjust_validate(
    mobility: Mobility, office: User, linear: ConversionRule, coordinator: User
) -> None:
    transcript = proposed(mobility, office, "14", "12", "16.5", "20", "9")
    line = transcript.lines.get(position=2)

    with raises("Say why you change the grade."):
        services.adjust_line(line=line, grade="22", reason="  ", actor=coordinator)
    with raises(
        "31 is not a grade of Italy 0-30 (0-30, pass 18, step 1, honours 30L): it is above the "
        "highest grade 30"
    ):
        services.adjust_line(line=line, grade="31", reason="Better", actor=coordinator)
    with raises(
        "17 is a fail grade of Italy 0-30: a recognised component has a passing grade (18 or "
        "better); leave the grade empty not to recognise it."
    ):
        services.adjust_line(line=line, grade="17", reason="Worse", actor=coordinator)

    services.adjust_line(
        line=line, grade="22", reason="The host's oral exam counts more.", actor=coordinator
    )
    failed = transcript.lines.get(position=5)
    services.adjust_line(
        line=failed, grade="27 ", reason="Passed at the resit (certificate).", actor=coordinator
    )
    services.adjust_line(
        line=transcript.lines.get(position=4), grade="", reason="Not recognised.", actor=coordinator
    )

    assert lines_of(transcript) == [
        ("052345", Decimal(6), "23", "23", ""),
        ("052346", Decimal(6), "20", "22", ""),
        ("052347", Decimal(6), "26", "26", ""),
        ("052348", Decimal(0), "30", "", ""),
        ("052349", Decimal(6), "", "27", LineFlag.FAILED),
    ]
    line.refresh_from_db()
    assert (line.adjusted_reason, line.adjusted_by) == (
        "The host's oral exam counts more.",
        coordinator,
    )

    services.validate_recognition(transcript=transcript, actor=coordinator)

    transcript.refresh_from_db()
    assert (transcript.state, transcript.validated_by) == (TranscriptState.VALIDATED, coordinator)
    assert transcript.validated_at is not None
    assert actions(transcript) == [
        "transcript.entered",
        "transcript.accepted",
        "recognition.proposed",
        "recognition.adjusted",
        "recognition.adjusted",
        "recognition.adjusted",
        "recognition.validated",
    ]
    with raises(
        "The transcript is “Recognition validated”; somebody may have acted on it already."
    ):
        services.adjust_line(line=line, grade="23", reason="Again", actor=coordinator)
    with raises("The recognition of this transcript was validated; it can no longer change."):
        entered(mobility, office, "14")


def test_no_transcript_while_the_student_is_abroad(
    mobility: Mobility, office: User, linear: ConversionRule
) -> None:
    Mobility.objects.filter(pk=mobility.pk).update(state=MobilityState.IN_MOBILITY, actual_end=None)
    mobility.refresh_from_db()
    with raises(
        "The student is still abroad: enter the transcript once the office has recorded the "
        "departure."
    ):
        entered(mobility, office, "14")
    assert not Transcript.objects.filter(mobility=mobility).exists()


def test_a_validated_recognition_closes_the_learning_agreement(
    mobility: Mobility, office: User, linear: ConversionRule, coordinator: User
) -> None:
    transcript = proposed(mobility, office, "14", "12", "16.5", "20", "9")
    services.validate_recognition(transcript=transcript, actor=coordinator)
    mobility.refresh_from_db()
    assert mobility.recognised_at == Transcript.objects.get(pk=transcript.pk).validated_at
    with pytest.raises(MobilityError, match="its learning agreement can no longer change"):
        mobility_services.open_draft(mobility=mobility, actor=office)


def test_only_the_approver_adjusts_and_validates(
    mobility: Mobility,
    office: User,
    linear: ConversionRule,
    coordinator: User,
    site_promoter: User,
) -> None:
    transcript = proposed(mobility, office, "14", "12", "16.5", "20", "9")
    line = transcript.lines.get(position=1)
    for actor in (site_promoter, office, mobility.student, PromoterFactory.create().user):
        with raises("Only the promoter who approves this mobility adjusts its recognition."):
            services.adjust_line(line=line, grade="24", reason="Why not", actor=actor)
        with raises("Only the promoter who approves this mobility validates its recognition."):
            services.validate_recognition(transcript=transcript, actor=actor)
    assert Transcript.objects.get().state == TranscriptState.PROPOSED

    services.validate_recognition(transcript=transcript, actor=coordinator)
    assert Transcript.objects.get().state == TranscriptState.VALIDATED


def test_the_site_promoter_validates_when_the_course_has_no_coordinators(
    mobility: Mobility, office: User, linear: ConversionRule, site_promoter: User
) -> None:
    transcript = proposed(mobility, office, "14")
    services.validate_recognition(transcript=transcript, actor=site_promoter)
    assert Transcript.objects.get().validated_by == site_promoter


def test_proposing_again_discards_the_adjustments(
    mobility: Mobility, office: User, linear: ConversionRule, coordinator: User
) -> None:
    transcript = proposed(mobility, office, "14", "12", "16.5", "20", "9")
    services.adjust_line(
        line=transcript.lines.get(position=1), grade="24", reason="Oral", actor=coordinator
    )
    services.propose_recognition(transcript=transcript, actor=coordinator)
    assert lines_of(transcript)[0] == ("052345", Decimal(6), "23", "23", "")
    assert RecognitionLine.objects.count() == 5


# ------------------------------------------------------------------------------ queries


def test_proposing_takes_the_same_queries_for_any_number_of_rows(
    host: Institution, office: User
) -> None:
    ConversionRuleFactory.create(name="Linear")

    def queries(rows: int) -> int:
        mobility = EndedMobilityFactory.create(offer__agreement__partner=host)
        a = [(f"A{i}", f"Host {i}", 6) for i in range(rows)]
        b = [(f"B{i}", f"Home {i}", 6) for i in range(rows)]
        signed_agreement(mobility, a=a, b=b)
        transcript = services.enter_transcript(
            mobility=mobility,
            host_scale=standard("fr"),
            entries=[EntryData(code, grade="14") for code, _t, _e in a],
            actor=office,
        )
        services.accept_transcript(transcript=transcript, actor=mobility.student)
        with CaptureQueriesContext(connection) as context:
            services.propose_recognition(transcript=transcript, actor=office)
        assert transcript.lines.count() == rows
        return len(context.captured_queries)

    assert queries(2) == queries(7)


def test_entering_takes_the_same_queries_for_any_number_of_rows(
    host: Institution, office: User
) -> None:
    def queries(rows: int) -> int:
        mobility = EndedMobilityFactory.create(offer__agreement__partner=host)
        a = [(f"A{i}", f"Host {i}", 6) for i in range(rows)]
        signed_agreement(mobility, a=a, b=a)
        with CaptureQueriesContext(connection) as context:
            services.enter_transcript(
                mobility=mobility,
                host_scale=standard("fr"),
                entries=[EntryData(code, grade="14") for code, _t, _e in a[1:]],
                actor=office,
            )
        return len(context.captured_queries)

    assert queries(2) == queries(7)
