"""The data migration that keeps only the structure of stored explanations (0003): an old row,
as 0002's code stored it (English words, the old method spelling), becomes data that the one
renderer says in the reader's language."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.utils import translation

from abroad.recognition.conversion.wording import group_words, line_sentences

migration = import_module("abroad.recognition.migrations.0003_explanation_as_data")

OLD: dict[str, Any] = {
    "rule": "Linear France",
    "rule_id": 7,
    "scope": "course of study Ingegneria (Master)",
    "method": "linear",
    "mapping": "position",
    "flag": "",
    "sources": [
        {
            "entry": 1,
            "code": "FR101",
            "title": "Thermodynamique",
            "ects": "6",
            "outcome": "passed",
            "host_grade": "20",
            "home_grade": "30L",
            "explanation": {
                "method": "linear formula",
                "rule": "Linear France",
                "host_scale": "France 0-20",
                "home_scale": "Italy 0-30",
                "formula": "18 + 12 × (20 − 10) / (20 − 10)",
                "exact": "30",
                "rounding": "half up",
                "honours": "the host's best grade gives 30L (lode at best)",
            },
            "text": "20 (France 0-20) → 30L (Italy 0-30) by Linear France (linear formula): ...",
        }
    ],
}


def test_the_english_words_go_and_the_structure_is_brought_up_to_date() -> None:
    new = migration.convert_explanation(OLD, lambda rule_id: [["course_of_study", "Ing (M)"]])

    source = new["sources"][0]
    assert "text" not in source
    assert source["explanation"]["method"] == "linear"
    assert source["explanation"]["honours"] == "30L"
    assert new["scope"] == [["course_of_study", "Ing (M)"]]
    assert OLD["sources"][0]["explanation"]["method"] == "linear formula"  # not changed in place


def test_every_old_method_spelling_becomes_the_one_enum_value() -> None:
    for old, new in (
        ("fixed table", "fixed_table"),
        ("grading tables", "grading_tables"),
        ("two-step table", "two_step"),
        ("linear formula", "linear"),
        ("ECTS fallback", "ects_fallback"),
    ):
        assert migration.convert_conversion({"method": old})["method"] == new
    fallback = migration.convert_conversion(
        {"method": "ECTS fallback", "home_table": "every passing grade taken as equally frequent"}
    )
    assert fallback == {"method": "ects_fallback"}


def test_a_line_whose_rule_is_gone_keeps_its_scope_text_and_anything_odd_is_emptied() -> None:
    assert migration.convert_explanation(OLD)["scope"] == OLD["scope"]
    assert migration.convert_explanation(None) == {}
    assert migration.convert_explanation({}) == {}


def test_a_converted_row_reads_as_the_one_renderer_says_it() -> None:
    new = migration.convert_explanation(OLD)
    with translation.override("en"):
        assert line_sentences(new) == [
            "FR101 Thermodynamique: 20 (France 0-20) → 30L (Italy 0-30) by Linear France (linear "
            "formula): 18 + 12 × (20 − 10) / (20 − 10) = 30; the host's best grade gives 30L "
            "(lode at best)."
        ]


def test_a_reference_group_in_words_becomes_data_and_reads_the_same() -> None:
    text = "Politecnico di Milano, ISCED-F 0715, second cycle, 2022/2023, 2023/2024"
    old = {"method": "grading tables", "host_table": "ISCED-F 073, long single cycle, no years"}
    new = migration.convert_conversion({**old, "home_table": text})

    assert new["host_group"] == {
        "institution": "",
        "isced": "073",
        "cycle": "long single",
        "years": [],
    }
    assert new["home_group"] == {
        "institution": "Politecnico di Milano",
        "isced": "0715",
        "cycle": "second",
        "years": ["2022/2023", "2023/2024"],
    }
    assert "host_table" not in new
    assert "home_table" not in new
    with translation.override("en"):
        assert group_words(new["home_group"]) == text
    odd = migration.convert_conversion({"method": "grading tables", "home_table": "a table"})
    assert odd == {"method": "grading_tables", "home_table": "a table"}  # kept as it is
