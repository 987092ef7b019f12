"""The one renderer of explanations: a conversion's structured explanation (as
:func:`.explanation.explanation_data` stores it) said in words, in the active language.

Nothing in words is stored: the pages, the exports shown to people and the e-mails call these
functions when they show an explanation, so an Italian reader reads Italian.

* :func:`sentence` - one host grade's conversion in one sentence ("14 (France 0-20) → 23
  (Italy 0-30) by the linear formula: ... = 22.8, rounded half up.");
* :func:`facts` - the same, fact by fact (which table row, which percentiles, which formula);
* :func:`line_sentences` - a recognition line: each host component it recognises, then the
  average, or why no grade is proposed;
* :func:`render` - a :class:`.explanation.Result`'s sentence (``Result.text()``).

The words are Django's translations when Django is set up, else the English of the source (the
conversion package stays usable on its own, e.g. by benchmarks/conversion.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from abroad.recognition.conversion.explanation import (
    Method,
    OverlapPolicy,
    Result,
    Rounding,
    explanation_data,
)

__all__ = [
    "Fact",
    "cycle_words",
    "facts",
    "formula",
    "grade",
    "group_words",
    "line_sentences",
    "mapping_label",
    "method_words",
    "number",
    "policy_label",
    "render",
    "rounding_label",
    "scope_words",
    "sentence",
]


def _(message: str) -> str:
    """Django's gettext when Django is set up, else the message itself."""
    from django.conf import settings

    if not settings.configured:
        return message
    from django.utils.translation import gettext

    return gettext(message)


def _language() -> str:
    from django.conf import settings

    if not settings.configured:
        return "en"
    from django.utils.translation import get_language

    return get_language() or "en"


# ------------------------------------------------------------------------------- numbers


def _decimal_separator() -> str:
    """The active language's decimal separator ("," in Italian), "." without Django."""
    from django.conf import settings

    if not settings.configured:
        return "."
    from django.utils.formats import get_format

    return str(get_format("DECIMAL_SEPARATOR"))


def _plain(number: Decimal) -> str:
    """A computed number as a person reads it, in the active language: 22.8 (Italian 22,8),
    10; no thousands separator (a grade or a percentage never needs one)."""
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f").replace(".", _decimal_separator())


def number(value: object) -> str:
    """A stored number (text like "27.6") in the active language; other text as it is."""
    found = _decimal(value)
    return _plain(found) if found is not None else str(value)


_DECIMAL_LABEL = re.compile(r"-?\d+\.\d+")


def grade(label: object) -> str:
    """A grade's label inside a sentence: a decimal one with the active language's separator
    ("1.3" is "1,3" in Italian), any other ("30L", "A", "FAIL") as it is."""
    text = str(label)
    if _DECIMAL_LABEL.fullmatch(text):
        return text.replace(".", _decimal_separator())
    return text


_POINT_IN_NUMBER = re.compile(r"(?<=\d)\.(?=\d)")


def formula(text: str) -> str:
    """A stored formula ("18 + 12 x (1.3 - 4.0) / (1.0 - 4.0)") with the active language's
    decimal separator."""
    return _POINT_IN_NUMBER.sub(_decimal_separator(), text)


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (ArithmeticError, ValueError, InvalidOperation):
        return None


def percent(value: object) -> str:
    """A percentage as the explanations write it: 37.5, 10."""
    number = _decimal(value)
    return _plain(number.quantize(Decimal("0.1"))) if number is not None else str(value)


def percent_range(bounds: Sequence[object] | None) -> str:
    if not bounds:
        return ""
    return _("top %(start)s%%–%(end)s%%") % {
        "start": percent(bounds[0]),
        "end": percent(bounds[1]),
    }


def _exact(value: object) -> str:
    found = _decimal(value)
    if found is None:
        return f"= {value}"
    rounded = found.quantize(Decimal("0.01"))
    return f"= {_plain(found)}" if rounded == found else f"≈ {_plain(rounded)}"


def _ordinal(n: int) -> str:
    if not _language().startswith("en"):
        return f"{n}º"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _and(parts: Sequence[str]) -> str:
    if len(parts) < 2:
        return "".join(parts)
    return _("%(first)s and %(last)s") % {"first": ", ".join(parts[:-1]), "last": parts[-1]}


# -------------------------------------------------------------------------------- labels


def method_words(method: str) -> str:
    """The method as a sentence names it: "fixed table", "linear formula"."""
    words = {
        Method.FIXED_TABLE: _("fixed table"),
        Method.GRADING_TABLES: _("grading tables"),
        Method.TWO_STEP: _("two-step table"),
        Method.LINEAR: _("linear formula"),
        Method.ECTS_FALLBACK: _("ECTS fallback"),
    }
    return words.get(method, method)  # type: ignore[call-overload]


def policy_label(policy: str) -> str:
    labels = {
        OverlapPolicy.CLOSEST: _(
            "closest: the home grade whose range holds the middle of the host grade's range"
        ),
        OverlapPolicy.AVERAGE: _(
            "average: the home grades overlapping the host grade's range, weighted by the overlap"
        ),
        OverlapPolicy.TOP: _("top: the best home grade overlapping the host grade's range"),
    }
    return labels.get(policy, policy)  # type: ignore[call-overload]


def rounding_label(rounding: str) -> str:
    labels = {
        Rounding.HALF_UP: _("rounded half up"),
        Rounding.NEAREST: _("rounded to the nearest grade (a tie to the better one)"),
        Rounding.DOWN: _("rounded down"),
        Rounding.UP: _("rounded up"),
    }
    return labels.get(rounding, rounding)  # type: ignore[call-overload]


def mapping_label(mapping: str) -> str:
    labels = {
        "position": _(
            "tables A and B have as many rows: each row of table B recognises the row of "
            "table A in the same position"
        ),
        "all": _(
            "tables A and B have different numbers of rows: each row of table B recognises all "
            "of table A, with the credit-weighted average of its converted grades"
        ),
    }
    return labels.get(mapping, "")


def scope_words(parts: object) -> str:
    """Where a rule applies, from its stored [kind, name] pairs ("partner TU Delft, School
    3I"); text stored before the pairs is shown as it is."""
    if isinstance(parts, str):
        return parts
    kinds = {
        "partner": _("partner"),
        "course_of_study": _("course of study"),
        "school": _("School"),
    }
    shown = [
        f"{kinds.get(kind, kind)} {name}"
        for kind, name in (parts if isinstance(parts, list | tuple) else ())
    ]
    return ", ".join(shown) or _("every mobility")


def _honours(grade: str) -> str:
    return _("the host's best grade gives %(grade)s (lode at best)") % {"grade": grade}


def cycle_words(cycle: str) -> str:
    """A study cycle as a sentence names it: "second cycle"."""
    words = {
        "first": _("first cycle"),
        "second": _("second cycle"),
        "third": _("third cycle"),
        "long single": _("long single cycle"),
    }
    return words.get(cycle, cycle)


def group_words(group: Mapping[str, Any]) -> str:
    """A grading table's reference group, e.g. "Politecnico di Milano, ISCED-F 0715, second
    cycle, 2022/2023, 2023/2024"."""
    who = f"{group['institution']}, " if group.get("institution") else ""
    years = ", ".join(group.get("years") or ()) or _("no years")
    return f"{who}ISCED-F {group.get('isced', '')}, {cycle_words(group.get('cycle', ''))}, {years}"


def _table(data: Mapping[str, Any], side: str) -> str:
    """The host's or home reference group in words: from its data, or the text stored before
    there was data."""
    group = data.get(f"{side}_group")
    if isinstance(group, Mapping):
        return group_words(group)
    return str(data.get(f"{side}_table") or "")


def _home_table(data: Mapping[str, Any]) -> str:
    return _table(data, "home") or _("every passing grade taken as equally frequent")


# ------------------------------------------------------------------------------ sentence


def _same_number(exact: object, grade: str) -> bool:
    a, b = _decimal(exact), _decimal(grade)
    return a is not None and a == b


def _tables(data: Mapping[str, Any], host: str, home: str) -> str:
    bounds = data.get("host_range") or ("0", "0")
    a, b = _decimal(bounds[0]), _decimal(bounds[1])
    values = {
        "host": host,
        "home": home,
        "range": percent_range(bounds),
        "start": percent(bounds[0]),
        "host_table": _table(data, "host"),
        "home_table": _home_table(data),
        "home_range": percent_range(data.get("home_range")),
    }
    if data.get("method") == Method.ECTS_FALLBACK:
        text = _("%(host)s stands for the %(range)s of passing grades (ECTS 10/25/30/25/10)")
    elif a == b:
        text = _("no one had %(host)s in the host table (%(host_table)s): it sits at %(start)s%%")
    else:
        text = _("%(host)s covers the %(range)s of passing grades at the host (%(host_table)s)")
    text %= values
    if data.get("midpoint") is not None:
        values["midpoint"] = percent(data["midpoint"])
        if a == b:
            point = _(", which falls in %(home)s at home, %(home_range)s (%(home_table)s)")
        else:
            point = _(
                "; its midpoint %(midpoint)s%% falls in %(home)s at home, %(home_range)s "
                "(%(home_table)s)"
            )
        return text + point % values
    if data.get("policy") == OverlapPolicy.TOP:
        return (
            text
            + _(
                "; the best grade overlapping it at home is %(home)s, %(home_range)s "
                "(%(home_table)s)"
            )
            % values
        )
    values["parts"] = ", ".join(
        _("%(grade)s (%(points)s points)") % {"grade": o["grade"], "points": percent(o["overlap"])}
        for o in data.get("overlaps", ())
    )
    return (
        text
        + _("; at home (%(home_table)s) it overlaps %(parts)s: the weighted average is %(home)s")
        % values
    )


def sentence(data: Mapping[str, Any], host: str, home: str) -> str:
    """One host grade's conversion in one sentence, from its stored explanation ``data`` and
    the host and home grades' labels ("FAIL" for a fail)."""
    host, home = grade(host), grade(home)
    values: dict[str, Any] = {
        "host": host,
        "home": home,
        "host_scale": data.get("host_scale", ""),
        "home_scale": data.get("home_scale", ""),
        "rule": data.get("rule", ""),
        "method": method_words(data.get("method", "")),
    }
    if data.get("pass_mark") or home == "FAIL":
        values["pass_mark"] = grade(data.get("pass_mark", ""))
        return (
            _(
                "%(host)s is a fail grade of %(host_scale)s (the lowest pass is %(pass_mark)s), "
                "so it converts to FAIL."
            )
            % values
        )
    if values["rule"]:
        head = _("%(host)s (%(host_scale)s) → %(home)s (%(home_scale)s) by %(rule)s (%(method)s)")
    else:
        head = _("%(host)s (%(host_scale)s) → %(home)s (%(home_scale)s) by the %(method)s")
    head %= values
    method, band = data.get("method"), data.get("band")
    if method == Method.FIXED_TABLE and band:
        return head + _(", band %(row)s: %(start)s to %(end)s → %(grade)s.") % {
            "row": data.get("row"),
            "start": grade(band[0]),
            "end": grade(band[1]),
            "grade": grade(band[2]),
        }
    if method == Method.TWO_STEP and band and data.get("home_band"):
        k, n = data.get("within_band") or (1, 1)
        letter = band[2]
        place = ""
        if n > 1:
            place = _(", %(host)s being the %(place)s best of the %(count)s giving %(letter)s") % {
                "host": host,
                "place": _ordinal(int(k)),
                "count": n,
                "letter": letter,
            }
        return head + _(
            ": host band %(row)s (%(start)s to %(end)s) gives %(letter)s, which is "
            "%(home_start)s to %(home_end)s at home%(place)s."
        ) % {
            "row": data.get("row"),
            "start": grade(band[0]),
            "end": grade(band[1]),
            "letter": letter,
            "home_start": grade(data["home_band"][0]),
            "home_end": grade(data["home_band"][1]),
            "place": place,
        }
    if method == Method.LINEAR and data.get("exact") is not None:
        text = f"{head}: {formula(data.get('formula', ''))} {_exact(data['exact'])}"
        if data.get("honours"):
            return f"{text}; {_honours(data['honours'])}."
        if data.get("rounding") and not _same_number(data["exact"], home):
            text += ", " + rounding_label(data["rounding"])
        return f"{text}."
    return f"{head}: {_tables(data, host, home)}."


def render(result: Result) -> str:
    """A conversion's sentence (see :func:`sentence`)."""
    return sentence(explanation_data(result.explanation), str(result.host), str(result.home))


# --------------------------------------------------------------------------------- facts


@dataclass
class Fact:
    label: str
    value: str


def facts(data: Mapping[str, Any], home_grade: str = "") -> list[Fact]:
    """Which table row, which percentiles, which formula: one fact each, in words."""
    found: list[Fact] = []
    if data.get("pass_mark"):
        found.append(
            Fact(_("Fail"), _("the lowest pass is %(grade)s") % {"grade": grade(data["pass_mark"])})
        )
    band = data.get("band")
    if band and data.get("letter") and data.get("home_band"):
        home = data["home_band"]
        found.append(
            Fact(
                _("Two-step table"),
                _(
                    "host band %(row)s (%(start)s to %(end)s) gives %(letter)s, which is "
                    "%(home_start)s to %(home_end)s at home"
                )
                % {
                    "row": data.get("row"),
                    "start": grade(band[0]),
                    "end": grade(band[1]),
                    "letter": data["letter"],
                    "home_start": grade(home[0]),
                    "home_end": grade(home[1]),
                },
            )
        )
        within = data.get("within_band")
        if within and within[1] > 1:
            found.append(
                Fact(
                    _("Within the letter"),
                    _("%(place)s of the %(count)s host grades giving %(letter)s")
                    % {"place": within[0], "count": within[1], "letter": data["letter"]},
                )
            )
    elif band:
        found.append(
            Fact(
                _("Table row"),
                _("band %(row)s: %(start)s to %(end)s → %(grade)s")
                % {
                    "row": data.get("row"),
                    "start": grade(band[0]),
                    "end": grade(band[1]),
                    "grade": grade(band[2]),
                },
            )
        )
    host_table, home_table = _table(data, "host"), _table(data, "home")
    if data.get("host_range"):
        where = f" ({host_table})" if host_table else ""
        found.append(Fact(_("Host percentiles"), percent_range(data["host_range"]) + where))
    if data.get("midpoint") is not None:
        found.append(Fact(_("Midpoint"), f"{percent(data['midpoint'])}%"))
    if data.get("home_range"):
        where = f" ({home_table})" if home_table else ""
        found.append(Fact(_("Home percentiles"), percent_range(data["home_range"]) + where))
    elif home_table and not data.get("host_range"):
        found.append(Fact(_("Home grading table"), home_table))
    if data.get("overlaps"):
        found.append(
            Fact(
                _("Overlapping home grades"),
                ", ".join(
                    _("%(grade)s (%(points)s points)")
                    % {"grade": o["grade"], "points": percent(o["overlap"])}
                    for o in data["overlaps"]
                ),
            )
        )
    if data.get("policy"):
        found.append(Fact(_("Overlap policy"), policy_label(data["policy"])))
    if data.get("formula"):
        value = formula(data["formula"])
        if data.get("exact") is not None:
            value += f" = {number(data['exact'])}"
        rounded = not _same_number(data.get("exact"), home_grade)
        if data.get("rounding") and not data.get("honours") and rounded:
            value += ", " + rounding_label(data["rounding"])
        found.append(Fact(_("Formula"), value))
    if data.get("honours"):
        found.append(Fact(_("Honours"), _honours(data["honours"])))
    return found


# ---------------------------------------------------------------------------------- lines


def _weight(source: Mapping[str, Any]) -> str:
    ects = _decimal(source.get("ects")) if source.get("ects") else None
    return _plain(ects) if ects else "1"


def line_sentences(data: Mapping[str, Any]) -> list[str]:
    """A recognition line's explanation (as ``RecognitionLine.explanation`` stores it) in
    sentences: each host component it recognises, then the credit-weighted average, or why no
    grade is proposed."""
    sources = list(data.get("sources", ()))
    found: list[str] = []
    passing: list[Mapping[str, Any]] = []
    for source in sources:
        name = f"{source.get('code', '')} {source.get('title', '')}".strip()
        home = source.get("home_grade", "")
        if "explanation" not in source:
            found.append(_("%(name)s: missing from the transcript.") % {"name": name})
            continue
        said = sentence(source["explanation"], source.get("host_grade", ""), home or "FAIL")
        found.append(f"{name}: {said}")
        if home and home != "FAIL":
            passing.append(source)
    average = data.get("average")
    if average:
        parts = [
            _("%(grade)s (%(ects)s ECTS)") % {"grade": grade(s["home_grade"]), "ects": _weight(s)}
            for s in passing
        ]
        found.append(
            _(
                "Credit-weighted average of %(parts)s = %(exact)s, rounded to the nearest grade: "
                "%(grade)s."
            )
            % {
                "parts": _and(parts),
                "exact": number(average["exact"]),
                "grade": average["grade"],
            }
        )
    if data.get("passing_give"):
        found.append(
            _(
                "Not all of them passed: no grade is proposed (the passing ones give %(grade)s); "
                "the promoter decides."
            )
            % {"grade": data["passing_give"]}
        )
    elif not passing:
        found.append(
            _("None of them passed: not recognised.")
            if sources
            else _("Table A is empty: nothing to recognise.")
        )
    return found
