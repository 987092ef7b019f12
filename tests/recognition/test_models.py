"""Scales, grading tables and conversion rules as data: each builds its conversion counterpart,
and clean() refuses what cannot convert, saying why. Who may see and do what (rules), and the
office's admin pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from abroad.mobility.models import Mobility
from abroad.people.models import User
from abroad.recognition import conversion, scales
from abroad.recognition.enums import Method
from abroad.recognition.models import ConversionRule, GradingScale, GradingTable, Transcript
from tests.factories import InstitutionFactory, PromoterFactory
from tests.mobility.factories import coordinate
from tests.recognition.factories import (
    ConversionRuleFactory,
    EndedMobilityFactory,
    GradingTableFactory,
    signed_agreement,
    standard,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def messages(error: Any) -> dict[str, list[str]]:
    return dict(error.value.message_dict)


# -------------------------------------------------------------------------------- scales


def test_standard_scales_are_the_conversion_scales() -> None:
    assert standard("it").scale() is scales.ITALY
    assert standard("ects").scale() is conversion.ECTS


def test_a_scale_the_office_defines() -> None:
    numeric = GradingScale(
        code="ch",
        name="Switzerland 1-6",
        definition={"lowest": "1", "highest": "6", "pass_mark": "4", "step": "0.25"},
    )
    numeric.full_clean()
    assert numeric.scale().describe() == "1-6, pass 4, step 0.25"
    assert numeric.scale().format("5,5") == "5.5"
    ordered = GradingScale(
        code="dk",
        name="Denmark letters",
        definition={"grades": ["A", "B", "C", "D", "E", "Fx", "F"], "pass_mark": "E"},
    )
    ordered.full_clean()
    assert ordered.scale().is_pass("fx") is False


def test_a_wrong_scale_is_refused_with_the_reason() -> None:
    with pytest.raises(ValidationError) as error:
        GradingScale(
            code="x", name="Upside down", definition={"lowest": 10, "highest": 1, "pass_mark": 5}
        ).full_clean()
    assert messages(error) == {
        "definition": [
            "scale 'Upside down': the lowest number 10 must be below the highest 1 (say which is "
            "better with direction)"
        ]
    }
    with pytest.raises(ValidationError) as error:
        GradingScale(
            code="y", name="Typo", definition={"lowest": 0, "higest": 10, "pass_mark": 5}
        ).full_clean()
    assert messages(error)["definition"] == [
        "scale 'Typo': the definition has 'higest', which abroad does not read; use pass_mark, "
        "lowest, highest, step, values, lower_is_better, honours, grades, points"
    ]
    with pytest.raises(ValidationError) as error:
        GradingScale(code="z", name="Both", standard="fr", definition={}).full_clean()
    assert messages(error)["__all__"] == [
        "Choose a standard scale or give a definition: one of the two."
    ]


def test_the_database_wants_a_standard_or_a_definition() -> None:
    with pytest.raises(IntegrityError):
        GradingScale.objects.create(code="none", name="None")


# ------------------------------------------------------------------------ grading tables


def test_a_grading_table_builds_the_conversion_table() -> None:
    table = GradingTableFactory.create(
        institution=InstitutionFactory.create(name="Politecnico di Milano"),
        percentages={"30L": "10", "27": "60.0", "18": "30"},
    )
    built = table.table()
    assert built.percentages == (("30L", Decimal(10)), ("27", Decimal(60)), ("18", Decimal(30)))
    assert built.describe() == (
        "Politecnico di Milano, ISCED-F 0715, second cycle, 2022/2023, 2023/2024"
    )
    assert str(table) == "Politecnico di Milano: ISCED-F 0715, second cycle, 2022/2023-2023/2024"


def test_a_grading_table_that_does_not_sum_to_100_is_refused() -> None:
    table = GradingTableFactory.build(
        institution=InstitutionFactory.create(name="X"), percentages={"30": "50", "27": "40"}
    )
    with pytest.raises(ValidationError) as error:
        table.full_clean()
    assert messages(error) == {
        "__all__": [
            "the grading table of Italy 0-30 for X, ISCED-F 0715, second cycle, 2022/2023, "
            "2023/2024: the percentages sum to 90, not 100 (± 0.5); check the table"
        ]
    }
    table.percentages = {"30": "50", "17": "50"}
    with pytest.raises(ValidationError) as error:
        table.full_clean()
    assert "17 is a fail grade" in messages(error)["__all__"][0]


def test_a_grading_table_covers_two_years() -> None:
    table = GradingTableFactory.build(institution=InstitutionFactory.create(), last_year=2022)
    with pytest.raises(ValidationError) as error:
        table.full_clean()
    assert messages(error)["last_year"] == ["A grading table covers at least two academic years."]
    with pytest.raises(IntegrityError):
        table.save()


# -------------------------------------------------------------------------- rules


def test_every_method_builds_its_strategy() -> None:
    fixed = ConversionRuleFactory.build(
        name="AUIC-ARCH",
        method=Method.FIXED_TABLE,
        parameters={
            "bands": [["20", "16", "30L"], ["15.99", "13", "28"], ["12.99", "10", "24"]],
        },
    )
    assert fixed.strategy().convert("14").label == "28"
    two_step = ConversionRuleFactory.build(
        method=Method.TWO_STEP,
        parameters={
            "host_bands": [["20", "14", "A"], ["13.99", "10", "B"]],
            "home_bands": [["30L", "28", "A"], ["27", "18", "B"]],
        },
    )
    assert two_step.strategy().convert("20").label == "30L"
    linear = ConversionRuleFactory.build(parameters={"rounding": "down", "lode_at_best": True})
    assert [linear.strategy().convert(g).label for g in ("14.5", "20", "9")] == [
        "23",
        "30L",
        "FAIL",
    ]
    fallback = ConversionRuleFactory.build(
        method=Method.ECTS_FALLBACK, host_scale=standard("ects"), parameters={"policy": "top"}
    )
    assert fallback.strategy().convert("A").label == "30"  # no table grants honours
    home = GradingTableFactory.create(percentages={"30": "50", "27": "50"})
    host = GradingTableFactory.create(scale=standard("fr"), percentages={"15": "50", "12": "50"})
    tables = ConversionRuleFactory.build(
        method=Method.GRADING_TABLES, parameters={}, host_table=host, home_table=home
    )
    assert [tables.strategy().convert(g).label for g in ("15", "12")] == ["30", "27"]


def test_a_rule_that_cannot_convert_is_refused_with_the_reason() -> None:
    def refusal(**kwargs: Any) -> list[str]:
        rule = ConversionRuleFactory.build(name="Broken", **kwargs)
        with pytest.raises(ValidationError) as error:
            rule.full_clean()
        return messages(error)["parameters"]

    assert refusal(parameters={"rounding": "half up", "bands": []}) == [
        "the Linear formula does not read 'bands'; it reads rounding, lode_at_best"
    ]
    assert refusal(parameters={"rounding": "sideways"}) == [
        "'sideways' is not one of 'half up', 'nearest', 'down', 'up'"
    ]
    assert refusal(method=Method.FIXED_TABLE, parameters={"bands": [["20", "10"]]}) == [
        "\"bands\" band 1 must be [from, to, grade], not ['20', '10']"
    ]
    assert refusal(
        method=Method.FIXED_TABLE,
        parameters={"bands": [["20", "14", "30"], ["13", "10", "24"]]},
    ) == ["no band covers 13.99 of France 0-20: every passing grade needs one"]
    assert refusal(method=Method.ECTS_FALLBACK, parameters={}) == [
        "ECTS letters convert from the ECTS scale, not from France 0-20: choose ECTS as the host "
        "scale"
    ]
    home = GradingTableFactory.create()
    assert refusal(
        method=Method.GRADING_TABLES, parameters={}, host_table=home, home_table=home
    ) == [
        "the host grading table is of Italy 0-30, not of the host scale France 0-20: choose a "
        "table of that scale"
    ]


def test_grading_tables_need_both_tables_in_the_database() -> None:
    with pytest.raises(IntegrityError):
        ConversionRuleFactory.create(method=Method.GRADING_TABLES, parameters={})


def test_two_rules_with_the_same_scope_are_refused() -> None:
    first = ConversionRuleFactory.create(name="First")
    twin = ConversionRuleFactory.build(name="Twin")
    with pytest.raises(ValidationError) as error:
        twin.full_clean()
    assert messages(error)["__all__"] == [
        "The rule “First” already converts France 0-20 for every mobility: change that one, or "
        "give this one another scope."
    ]
    first.full_clean()  # itself is not a twin
    ConversionRuleFactory.build(name="German", host_scale=standard("de")).full_clean()


def test_the_home_scale_is_italian_by_default() -> None:
    standard("it")
    rule = ConversionRule(name="New", host_scale=standard("fr"), method=Method.LINEAR)
    assert rule.home_scale == standard("it")


# ----------------------------------------------------------------------- permissions


@pytest.fixture
def transcript(office: User) -> Transcript:
    mobility = EndedMobilityFactory.create()
    signed_agreement(mobility, a=[], b=[])
    return Transcript.objects.create(
        mobility=mobility, agreement=mobility.learning_agreements.get(), host_scale=standard("fr")
    )


def test_who_sees_and_does_what(transcript: Transcript, office: User, other_student: User) -> None:
    mobility: Mobility = transcript.mobility
    coordinator = PromoterFactory.create().user
    assert mobility.offer is not None
    assert mobility.offer.agreement.promoter is not None
    site = mobility.offer.agreement.promoter.user
    stranger = PromoterFactory.create().user
    student = mobility.student

    def allowed(permission: str) -> set[str]:
        people = {
            "student": student,
            "other student": other_student,
            "office": office,
            "site promoter": site,
            "coordinator": coordinator,
            "other promoter": stranger,
        }
        return {name for name, user in people.items() if user.has_perm(permission, transcript)}

    # the course has no coordinators: the site promoter approves
    assert allowed("recognition.view_transcript") == {"student", "office", "site promoter"}
    assert allowed("recognition.validate_recognition") == {"site promoter"}

    coordinate(mobility, coordinator)
    assert allowed("recognition.view_transcript") == {"student", "office", "coordinator"}
    assert allowed("recognition.enter_transcript") == {"office"}
    assert allowed("recognition.accept_transcript") == {"student"}
    assert allowed("recognition.validate_recognition") == {"coordinator"}
    assert allowed("recognition.propose_recognition") == {"office", "coordinator"}
    line_holder = transcript.lines.model(transcript=transcript, position=1)
    assert student.has_perm("recognition.view_transcript", line_holder)


# ---------------------------------------------------------------------------- admin


@pytest.mark.parametrize("model", ["gradingscale", "gradingtable", "conversionrule"])
def test_the_office_manages_scales_tables_and_rules(
    personas: dict[str, Client], model: str
) -> None:
    GradingTableFactory.create()
    ConversionRuleFactory.create()
    for page in ("changelist", "add"):
        url = reverse(f"admin:recognition_{model}_{page}")
        assert personas["office"].get(url).status_code == 200
        assert personas["student"].get(url).status_code == 302
        assert personas["promoter"].get(url).status_code == 302


def test_the_admin_shows_why_a_scale_is_refused(personas: dict[str, Client]) -> None:
    response = personas["office"].post(
        reverse("admin:recognition_gradingscale_add"),
        {
            "code": "bad",
            "name": "Bad",
            "country": "",
            "standard": "",
            "definition": '{"lowest": 0, "highest": 10}',
        },
    )
    assert response.status_code == 200
    assert "scale &#x27;Bad&#x27;: the definition needs the pass_mark" in response.content.decode()
    assert not GradingScale.objects.filter(code="bad").exists()


def test_the_admin_records_what_the_office_adds(personas: dict[str, Client]) -> None:
    response = personas["office"].post(
        reverse("admin:recognition_gradingscale_add"),
        {
            "code": "ch",
            "name": "Switzerland 1-6",
            "country": "CH",
            "standard": "",
            "definition": '{"lowest": 1, "highest": 6, "pass_mark": 4, "step": 0.5}',
        },
    )
    assert response.status_code == 302
    scale = GradingScale.objects.get(code="ch")
    assert scale.scale().describe() == "1-6, pass 4, step 0.5"
    assert list(GradingTable.objects.all()) == []
