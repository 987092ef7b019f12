"""Why an applicant got what they got: the one shape a call's assignment and an ATHENS
allocation store (``explanation``, a JSON object), and the one place that reads it out, in the
reader's language (gettext at render time: nothing stored is in a language).

The shape (written by :func:`to_data` from the engine's :class:`~allocation.Explanation`)::

    {"outcome": "assigned" | "unassigned" | "held" | "excluded",
     "choice": 2,            # 1-based in the student's own ranking, or null
     "option": 17,           # what they got: a call offer's or an ATHENS course's id, or null
     "skipped": [            # every choice ranked above it (all, when unassigned), best first
         {"choice": 1, "option": 12, "reason": "filled" | "ineligible" | "not_ranked",
          "cutoff": 27.4, "own_score": 26.5, "tied": false, "detail": ""}]}

An "option" is what a page ranks: an offer of a call, a course of an ATHENS session. Readers:

* :func:`summary`, the short line ("2nd choice; your 1st choice was filled at score 27.4"): a
  call's result, as the student reads it;
* :func:`skip_reason`, why one better choice was skipped, as the student reads it under their
  result (a call speaks of seats, a session of places: ``unit``);
* :func:`office_line`, the line of the office's table of a round or of an ATHENS session, with
  the options' names ("their choice", never "your").

Numbers (scores, cut-offs) and ordinals are written in the reader's language: "27,4" and "1ª"
in Italian.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from abroad.matching.allocation import Explanation, Outcome, SkipReason

Data = Mapping[str, Any]


class Unit(StrEnum):
    """What an option gives: a seat (a call's offer) or a place (an ATHENS course)."""

    SEAT = "seat"
    PLACE = "place"


def to_data(explanation: Explanation) -> dict[str, Any]:
    """The stored shape of the engine's explanation (JSON: ids and numbers, no text)."""
    return {
        "outcome": str(explanation.outcome),
        "choice": explanation.choice,
        "option": explanation.offer,
        "skipped": [
            {
                "choice": s.choice,
                "option": s.offer,
                "reason": str(s.reason),
                "cutoff": s.cutoff,
                "own_score": s.own_score,
                "tied": s.tied,
                "detail": s.detail,
            }
            for s in explanation.skipped
        ],
    }


# ------------------------------------------------------------------------- the short line


def ordinal(n: int) -> str:
    """A choice's ordinal in the reader's language: "1st", "2nd" (Italian "1ª", "2ª": a
    choice, *scelta*, is feminine)."""
    if 10 <= n % 100 <= 20:
        text = pgettext("ordinal of a choice: 11, 12, 13, 14 ...", "%(number)dth")
    elif n % 10 == 1:
        text = pgettext("ordinal of a choice: 1, 21, 31 ...", "%(number)dst")
    elif n % 10 == 2:
        text = pgettext("ordinal of a choice: 2, 22, 32 ...", "%(number)dnd")
    elif n % 10 == 3:
        text = pgettext("ordinal of a choice: 3, 23, 33 ...", "%(number)drd")
    else:
        text = pgettext("ordinal of a choice: 4, 5, 6 ...", "%(number)dth")
    return text % {"number": n}


def number(value: Any, places: int | None = None) -> str:
    """A score or a cut-off as a person reads it, in the active language ("27.4", Italian
    "27,4"): with ``places`` decimals, else as few as it needs (at most four)."""
    amount = Decimal(str(value))
    if places is None:
        amount = amount.quantize(Decimal("0.0001")).normalize()
        if amount == amount.to_integral_value():
            amount = amount.quantize(Decimal(1))
        return number_format(amount + 0, use_l10n=True)
    return number_format(amount, decimal_pos=places, use_l10n=True)


def decimal_text(text: str) -> str:
    """A stored decimal (text such as "28.612", as the ranking stores a score's parts) with
    the active language's decimal separator and its own places ("28,612"); other text as it
    is."""
    try:
        amount = Decimal(text)
    except ArithmeticError:
        return text
    if not amount.is_finite():
        return text
    places = max(0, -int(amount.as_tuple().exponent))
    return number_format(amount, decimal_pos=places, use_l10n=True)


def _number(x: float) -> str:
    return number(x)


def _skipped_summary(item: Data) -> str:
    choice = {"ordinal": ordinal(int(item.get("choice") or 0))}
    reason = item.get("reason")
    if reason == SkipReason.INELIGIBLE:
        return _("your %(ordinal)s choice was skipped (ineligible: %(detail)s)") % {
            **choice,
            "detail": item.get("detail", ""),
        }
    if reason == SkipReason.NOT_RANKED:
        return _("your %(ordinal)s choice did not rank you") % choice
    cutoff = item.get("cutoff")
    if cutoff is None:
        return _("your %(ordinal)s choice had no free seat") % choice
    if item.get("tied"):
        return _(
            "your %(ordinal)s choice was filled at score %(cutoff)s (you tied and lost the "
            "tie-break)"
        ) % {**choice, "cutoff": _number(cutoff)}
    return _("your %(ordinal)s choice was filled at score %(cutoff)s") % {
        **choice,
        "cutoff": _number(cutoff),
    }


def summary(data: Data) -> str:
    """The short line, e.g. "2nd choice; your 1st choice was filled at score 27.4" (empty for
    an empty explanation)."""
    outcome = data.get("outcome")
    choice = data.get("choice")
    skipped = data.get("skipped") or []
    if not outcome:
        return ""
    if outcome == Outcome.EXCLUDED:
        return _("excluded from this round (seat renounced or acceptance expired)")
    if outcome == Outcome.HELD:
        if choice:
            return _("your %(ordinal)s choice, accepted in an earlier round") % {
                "ordinal": ordinal(choice)
            }
        return _("offer %(offer)s, accepted in an earlier round") % {"offer": data.get("option")}
    if outcome == Outcome.ASSIGNED:
        if choice:
            head = _("%(ordinal)s choice") % {"ordinal": ordinal(choice)}
        else:
            head = _("offer %(offer)s") % {"offer": data.get("option")}
    elif not skipped:
        return _("no seat; you ranked no offer")
    else:
        head = _("no seat")
    return "; ".join([head, *map(_skipped_summary, skipped)])


def render_explanation(explanation: Explanation) -> str:
    """:func:`summary` of the engine's explanation itself."""
    return summary(to_data(explanation))


# ------------------------------------------------------- one skipped choice, for the student


def _score(value: Any) -> str:
    return number(Decimal(str(value)).quantize(Decimal("0.001")))


def skip_reason(item: Data, *, unit: Unit = Unit.SEAT) -> str:
    """Why the student did not get one choice they ranked higher, e.g. "every seat went to
    students ranked above you; the last one admitted had a score of 27.4"."""
    reason = item.get("reason")
    if reason == SkipReason.INELIGIBLE:
        return _("not open to you: %(detail)s") % {"detail": item.get("detail", "")}
    if reason == SkipReason.NOT_RANKED:
        return _("the destination's own ranking did not include you")
    cutoff = item.get("cutoff")
    seats = unit is Unit.SEAT
    if cutoff is None:
        return _("no seat was free in this round") if seats else _("no place was free")
    if item.get("tied"):
        if seats:
            text = _(
                "every seat went to students ranked above you; the last one had your same "
                "score (%(cutoff)s) and won the tie-break"
            )
        else:
            text = _(
                "every place went to students ranked above you; the last one had your same "
                "score (%(cutoff)s) and won the tie-break"
            )
    elif seats:
        text = _(
            "every seat went to students ranked above you; the last one admitted had a score "
            "of %(cutoff)s"
        )
    else:
        text = _(
            "every place went to students ranked above you; the last one admitted had a score "
            "of %(cutoff)s"
        )
    return text % {"cutoff": _score(cutoff)}


# --------------------------------------------------------------------- the office's line


def _choice_number(number: int | None) -> str:
    if number is None:
        return ""
    return _("choice %(number)d") % {"number": number}


def office_line(data: Data, names: Mapping[int, str], *, unit: Unit = Unit.SEAT) -> str:
    """The office's line of a round's table or of an ATHENS session's, with the options'
    names (``names``: option id -> name), e.g. "got their choice 2; choice 1 (TU Delft): full,
    last seat at score 33.000" (a session speaks of places: ``unit``)."""
    outcome = data.get("outcome")
    seats = unit is Unit.SEAT
    if not outcome:
        return ""
    if outcome == Outcome.EXCLUDED:
        return _("excluded from this round (seat renounced or acceptance expired)")
    if outcome == Outcome.HELD:
        return _("their %(choice)s, accepted in an earlier round") % {
            "choice": _choice_number(data.get("choice"))
        }
    if outcome == Outcome.ASSIGNED:
        parts = [_("got their %(choice)s") % {"choice": _choice_number(data.get("choice"))}]
    elif outcome == Outcome.UNASSIGNED and not data.get("skipped"):
        return _("no seat: no destination ranked") if seats else _("no place: no course ranked")
    else:
        parts = [_("no seat") if seats else _("no place")]
    for item in data.get("skipped") or []:
        where = _("%(choice)s (%(partner)s)") % {
            "choice": _choice_number(item.get("choice")),
            "partner": names.get(item.get("option") or 0, "?"),
        }
        reason = item.get("reason")
        if reason == SkipReason.INELIGIBLE:
            text = _("%(where)s: not eligible (%(detail)s)") % {
                "where": where,
                "detail": item.get("detail", ""),
            }
        elif reason == SkipReason.NOT_RANKED:
            text = _("%(where)s: not ranked by that destination") % {"where": where}
        elif item.get("cutoff") is None:
            text = (_("%(where)s: no free seat") if seats else _("%(where)s: no free place")) % {
                "where": where
            }
        else:
            if seats:
                text = _("%(where)s: full, last seat at score %(cutoff)s")
            else:
                text = _("%(where)s: full, last place at score %(cutoff)s")
            text %= {"where": where, "cutoff": number(item["cutoff"], 3)}
        parts.append(text)
    return "; ".join(parts)
