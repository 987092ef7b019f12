"""The explanation said to the office and in Italian (issue 18, point 7): the ATHENS office
page says "their choice", numbers follow the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from abroad.matching.explanation import Unit, number, office_line, ordinal, summary

SECOND_CHOICE: dict[str, Any] = {
    "outcome": "assigned",
    "choice": 2,
    "option": 7,
    "skipped": [
        {
            "choice": 1,
            "option": 3,
            "reason": "filled",
            "cutoff": 26.332,
            "own_score": 25.0,
            "tied": False,
            "detail": "",
        }
    ],
}
NAMES = {3: "NO03 Sustainable buildings", 7: "GR01 Robotics"}


def test_the_office_reads_their_choice_and_places() -> None:
    with translation.override("en"):
        line = office_line(SECOND_CHOICE, NAMES, unit=Unit.PLACE)
    assert line == (
        "got their choice 2; choice 1 (NO03 Sustainable buildings): full, last place at score "
        "26.332"
    )
    assert "your" not in line


def test_numbers_follow_the_readers_language() -> None:
    """ "49,332" beside "26.332" on one Italian page: every number is now Italian."""
    with translation.override("it"):
        assert number(26.332, 3) == "26,332"
        assert number(27.4) == "27,4"
        assert number(33.0) == "33"
        assert "26,332" in office_line(SECOND_CHOICE, NAMES)
        assert "26,332" in summary(SECOND_CHOICE)
        assert "26.332" not in summary(SECOND_CHOICE)
    with translation.override("en"):
        assert "26.332" in summary(SECOND_CHOICE)
        assert summary(SECOND_CHOICE).startswith("2nd choice; your 1st choice was filled")


def test_ordinals_in_english() -> None:
    with translation.override("en"):
        assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
            "1st",
            "2nd",
            "3rd",
            "4th",
            "11th",
            "12th",
            "13th",
            "21st",
            "22nd",
            "101st",
        ]


def test_italian_wording_of_the_office_line_and_ordinals() -> None:
    """Needs the lead's merge of /work/po/wp-words.po into the Italian catalogue."""
    with translation.override("it"):
        assert ordinal(1) == "1ª"
        assert summary(SECOND_CHOICE).startswith("2ª scelta; la tua 1ª scelta")
        line = office_line(SECOND_CHOICE, NAMES, unit=Unit.PLACE)
    assert line.startswith("ha ottenuto la sua scelta 2; scelta 1 (NO03 Sustainable buildings)")
    assert "ultimo posto assegnato con punteggio 26,332" in line
    assert "scelta scelta" not in line


def test_a_scores_parts_keep_their_places_in_the_readers_language() -> None:
    """The ranking's "average 28.612 · portfolio 9.00" beside the score "55,612"."""
    from abroad.matching.explanation import decimal_text

    with translation.override("it"):
        assert [decimal_text(t) for t in ("28.612", "9.00", "0", "n/a")] == [
            "28,612",
            "9,00",
            "0",
            "n/a",
        ]
    with translation.override("en"):
        assert decimal_text("28.612") == "28.612"
