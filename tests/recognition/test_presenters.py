"""What the recognition pages show, in the reader's language (issue 18, point 7): the
reference group of a grading table and the linear formula with Italian words and numbers."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from abroad.recognition.presenters import rule_view, table_view
from tests.recognition.factories import ConversionRuleFactory, GradingTableFactory, standard

pytestmark = pytest.mark.django_db


def test_a_grading_tables_group_is_said_in_the_readers_language() -> None:
    table = GradingTableFactory.create(
        institution__name="Politecnico di Milano",
        percentages={"30": "12.5", "27": "87.5"},
    )
    view = table_view(table)
    with translation.override("en"):
        assert view.describe == "ISCED-F 0715, second cycle, 2022/2023, 2023/2024"
        assert view.group.startswith("Politecnico di Milano, ISCED-F 0715, second cycle")
        assert [row.percent for row in table_view(table).rows] == ["12.5", "87.5"]
    with translation.override("it"):
        assert view.describe == "ISCED-F 0715, secondo ciclo, 2022/2023, 2023/2024"
        assert [row.percent for row in table_view(table).rows] == ["12,5", "87,5"]


def test_the_linear_formula_with_the_readers_decimal_separator() -> None:
    rule = ConversionRuleFactory.create(host_scale=standard("de"))
    with translation.override("en"):
        assert rule_view(rule).formula == "18 + 12 × (V − 4.0) / (1.0 − 4.0)"
    with translation.override("it"):
        view = rule_view(rule, examples=True)
    assert view.formula == "18 + 12 × (V − 4,0) / (1,0 − 4,0)"
    decimal_point = re.compile(r"\d\.\d")
    assert view.examples
    for example in view.examples:
        assert not decimal_point.search(example.text.replace("1.0-5.0", "")), example.text
