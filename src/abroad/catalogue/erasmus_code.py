"""Erasmus institutional codes: ``I  MILANO02``, ``NL DELFT01``, ``IRLDUBLIN02``.

The Commission's list pads the country prefix to three characters; people type one space
(``I MILANO02``). We store the padded form and compare ignoring the padding. The format check
is EQAR's ``([A-Z] |[A-Z]{2} |[A-Z]{3})[A-Z-]{1,8}[0-9]{2}`` on the single-space form, widened
to what the Commission has issued since: three-digit numbers (``E  BARCELO253``) and
nine-character cities (``I  FROSINONE03``, ``F  ST-JOSEPH01``).
"""

from __future__ import annotations

import re

_SINGLE_SPACE = re.compile(
    r"^(?P<prefix>[A-Z] |[A-Z]{2} |[A-Z]{3})(?P<rest>[A-Z-]{1,9}[0-9]{2,3})$"
)


class InvalidErasmusCode(ValueError):
    pass


def single_space(code: str) -> str:
    """``"I  MILANO02"`` -> ``"I MILANO02"`` (upper case, runs of blanks folded)."""
    return re.sub(r"\s+", " ", code.strip().upper())


def normalise(code: str) -> str:
    """The padded form the Commission publishes; InvalidErasmusCode if it is not a code."""
    folded = single_space(code)
    match = _SINGLE_SPACE.match(folded)
    if not match:
        raise InvalidErasmusCode(
            f"{code.strip()!r} is not an Erasmus code: expected a country prefix of 1 to 3 "
            "letters, the city in capitals and two digits, like 'I MILANO02' or 'NL DELFT01'"
        )
    prefix = match.group("prefix").strip()
    return prefix.ljust(3) + match.group("rest")


def is_valid(code: str) -> bool:
    try:
        normalise(code)
    except InvalidErasmusCode:
        return False
    return True
