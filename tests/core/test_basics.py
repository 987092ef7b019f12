import datetime as dt

import pytest

from abroad import env
from abroad.core.academic_year import current_start_year, format_year, parse_year
from abroad.core.enums import CEFR, ISCED_FIELDS, is_isced_field, isced_name

pytestmark = pytest.mark.unit


def test_academic_year_round_trip() -> None:
    assert format_year(2026) == "2026/2027"
    assert parse_year("2026/2027") == 2026
    assert parse_year(" 2026-2027 ") == 2026


@pytest.mark.parametrize("text", ["2026/2028", "26/27", "", "2026"])
def test_academic_year_rejects_what_is_not_one(text: str) -> None:
    with pytest.raises(ValueError, match="is not an academic year"):
        parse_year(text)


def test_academic_year_starts_in_september() -> None:
    assert current_start_year(dt.date(2026, 8, 31)) == 2025
    assert current_start_year(dt.date(2026, 9, 1)) == 2026


def test_cefr_levels_compare() -> None:
    assert CEFR.rank("B2") > CEFR.rank("B1")
    assert CEFR.at_least("C1") == ["C1", "C2"]


def test_isced_name_falls_back_to_the_broader_field() -> None:
    assert isced_name("0731") == "Architecture and town planning"
    assert isced_name("0739") == "Architecture and construction"
    assert isced_name("9999") == ""


def test_isced_f_2013_is_complete_and_knows_its_not_elsewhere_classified_fields() -> None:
    """Every detailed field of ISCED-F 2013 (80, and the ten inter-disciplinary xx88), so that
    a university outside engineering imports its agreements (0913 nursing was refused)."""
    detailed = [code for code in ISCED_FIELDS if len(code) == 4]
    assert len(detailed) == 90
    assert {"0913", "0421", "1015", "0841", "0188"} <= set(detailed)
    # each detailed field sits under a narrow field of the list, each narrow under a broad one
    assert all(code[:3] in ISCED_FIELDS for code in detailed if not code.endswith("88"))
    assert all(code[:2] in ISCED_FIELDS for code in ISCED_FIELDS if len(code) == 3)
    assert [is_isced_field(code) for code in ("0719", "0799", "079", "0913")] == [True] * 4
    assert [is_isced_field(c) for c in ("0710", "0777", "1215", "9999", "07x9", "")] == [False] * 6


def test_env_reads_variables_and_files(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("ABROAD_FLAG", "yes")
    monkeypatch.setenv("ABROAD_COUNT", "7")
    monkeypatch.setenv("ABROAD_HOSTS", "a.example, b.example")
    assert env.envbool("FLAG") is True
    assert env.envint("COUNT", 1) == 7
    assert env.envlist("HOSTS", []) == ["a.example", "b.example"]
    assert env.envint("MISSING", 3) == 3
    secret = tmp_path / "secret"  # type: ignore[operator]
    secret.write_text("s3cret\n")
    monkeypatch.setenv("ABROAD_KEY_FILE", str(secret))
    assert env.env("KEY") == "s3cret"


def test_env_refuses_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ABROAD_FLAG", "maybe")
    monkeypatch.setenv("ABROAD_COUNT", "seven")
    with pytest.raises(ValueError, match="ABROAD_FLAG must be true or false"):
        env.envbool("FLAG")
    with pytest.raises(ValueError, match="ABROAD_COUNT must be a whole number"):
        env.envint("COUNT", 1)
