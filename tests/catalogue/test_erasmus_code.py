import pytest

from abroad.catalogue import erasmus_code

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("I MILANO02", "I  MILANO02"),
        ("i  milano02", "I  MILANO02"),
        ("NL DELFT01", "NL DELFT01"),
        ("D MUNCHEN02", "D  MUNCHEN02"),
        ("IRLDUBLIN02", "IRLDUBLIN02"),
        ("E  BARCELO253", "E  BARCELO253"),
        ("F  CERGY-P11", "F  CERGY-P11"),
    ],
)
def test_codes_are_stored_padded(typed: str, stored: str) -> None:
    assert erasmus_code.normalise(typed) == stored


@pytest.mark.parametrize(
    "bad", ["", "12345", "I MILANO", "I  milano0", "1 MILANO02", "I MILAN O02"]
)
def test_malformed_codes_are_refused_with_an_example(bad: str) -> None:
    with pytest.raises(erasmus_code.InvalidErasmusCode, match="like 'I MILANO02'"):
        erasmus_code.normalise(bad)


def test_padding_is_ignored_when_comparing() -> None:
    assert erasmus_code.single_space("I  MILANO02") == erasmus_code.single_space("I MILANO02")
