"""Grade conversion: grading scales as data, and the strategies that turn a host grade into a
home grade (or FAIL), each with an explanation.

No database and no Django set-up needed (Django only lends the method's lazy labels and, when
it is set up, the translations of the words): the recognition services build the scales,
tables and rules below from the database, pick a rule with :func:`resolve`, call
``rule.strategy.convert(grade)``, and store the :class:`Result`'s :class:`Explanation` as data
(:func:`explanation_data`), never as words: :mod:`.wording` says it when it is read, in the
reader's language. The standard scales are in ``scales.py``.

The rules, in one place
-----------------------
Scales

* A scale is finite. A :class:`NumericScale` runs from ``lowest`` to ``highest`` in steps of
  ``step`` (or over an explicit list of ``values``, as German grades do), higher or lower is
  better, passes at ``pass_mark`` and every better number, and may have one honours grade above
  its best number ("30L", 30 e lode), which passes and counts as the best number in formulas.
  An :class:`OrderedScale` lists its grades best first and passes at ``pass_mark`` and every
  better grade; it may give each grade points (US GPA) for formulas.
* Grades are Decimal, never float. Parsing accepts a decimal comma ("1,3"), ignores case and
  spaces in letters and honours ("30 e lode" is "30L", "b+" is "B+"), and says in its
  ValueError which scale, what the scale is and what to give instead. Every :class:`Grade`
  has a rank: 0 is the best grade of its scale; a smaller rank is a better grade.

Strategies (each has ``convert(grade) -> Result``)

* A fail grade of the host scale converts to FAIL under every strategy, with no table or
  formula, and a passing grade always converts to a passing home grade. Tables cover passing
  grades only.
* :class:`FixedTable`: bands of host grades (inclusive, ends in either order), each giving one
  home grade. The bands must not overlap, must cover every passing host grade, and must be
  monotone (a better band never gives a worse home grade).
* :class:`GradingTableMatch` (EGRACONS, ECTS Users' Guide 2015): in a :class:`GradingTable` each
  passing grade covers a range of cumulative percentages of passing grades, from the top:
  [percentage of better grades, that plus its own percentage]; a passing grade missing from the
  table has 0%. Percentages are scaled to sum to exactly 100. The host grade's range is matched
  with the home ranges by the :class:`OverlapPolicy`:

  - closest (EGRACONS): the home grade whose range holds the midpoint of the host range;
  - average (Unimore): the overlap-weighted average of the home grades overlapping the host
    range, taken over positions in the home scale (its grades one step apart: for a scale with
    a step that is the number, with an honours grade one step above the best number), rounded
    to the nearest grade, halves towards the better grade;
  - top (PoliTO): the best home grade overlapping the host range.

  A point on a boundary goes to the better home grade; home grades with 0% are never chosen by
  closest or top; a host grade with 0% (a point, not a range) uses closest under every policy.
  The two tables must describe the same reference group: the same cycle, and ISCED-F codes of
  which one is a prefix of the other (0731 matches 073).
* :class:`TwoStep`: host bands give an ECTS letter, and each letter has a band of home grades
  (bands of neighbouring letters may share one grade, as published tables do: "B 30-27, C
  27-24"). The host grades giving a letter (all its host bands together) and the letter's home
  band are taken as equally frequent: the host grade's share of the former goes to the home
  grade holding the share's midpoint (a boundary goes to the better grade), so a letter given
  by a single host grade goes to the middle of its home band.
* :class:`Linear`: home = H_pass + (H_best - H_pass) * (V - V_pass) / (V_best - V_pass), V the
  host grade's number (or points), V_pass the host pass mark, V_best the host's best number,
  H_pass and H_best the same at home. With Italian home grades this is the ministry's
  18 + 12 (V - Vmin) / (Vmax - Vmin); with German home grades it is the modified Bavarian
  formula 1 + 3 (Nmax - Nd) / (Nmax - Nmin). Lower-is-better scales need no special case: the
  numerator and denominator change sign together. The exact value is rounded to a passing home
  grade by a :class:`Rounding`. The formula never gives honours; ``lode_at_best=True`` gives the
  home honours grade to the host's best grade only (its honours grade, when it has one).
* :class:`EctsFallback`: the old ECTS letters A-E stand for the best 10/25/30/25/10 % of passing
  grades; the letter's range is matched, as grading tables are (with the policy), against the
  home grading table when one is given, else against the passing home grades taken as equally
  frequent (the honours grade left out: no table grants it).

Resolver

* :func:`resolve` picks, among the :class:`Rule` records that apply to a School, a course of
  study and a partner institution, the most specific: partner > course of study > School >
  default. A rule applies when every scope it names matches; a rule naming two scopes (a
  partner for one course of study) ranks above one naming only the more specific of them. Two
  different rules with the same precedence are an error.

Cost: parsing is arithmetic (no table of every grade); fixed and two-step tables find the band,
and grading tables the overlapping home grades, by bisection; constructors validate once
(benchmarks/conversion.py: about 100,000 grades a second, explanation included).

The package, by seam
--------------------
``grades`` (grades and scales), ``explanation`` (results, their structured explanation and its
JSON form), ``strategies`` (the five methods), ``rules`` (the resolver) and ``wording`` (the one
renderer of explanations, in the reader's language). Import from the package: its names below
are the public surface.
"""

from __future__ import annotations

from abroad.recognition.conversion.explanation import (
    FAIL,
    Cycle,
    Explanation,
    Fail,
    Method,
    Overlap,
    OverlapPolicy,
    Result,
    Rounding,
    Strategy,
    explanation_data,
)
from abroad.recognition.conversion.grades import (
    ECTS,
    ECTS_BANDS,
    Direction,
    Grade,
    GradeLike,
    NumericScale,
    OrderedScale,
    Scale,
)
from abroad.recognition.conversion.rules import Rule, Scope, resolve
from abroad.recognition.conversion.strategies import (
    Band,
    EctsFallback,
    FixedTable,
    GradingTable,
    GradingTableMatch,
    Linear,
    TwoStep,
)
from abroad.recognition.conversion.wording import render

__all__ = [
    "ECTS",
    "ECTS_BANDS",
    "FAIL",
    "Band",
    "Cycle",
    "Direction",
    "EctsFallback",
    "Explanation",
    "Fail",
    "FixedTable",
    "Grade",
    "GradeLike",
    "GradingTable",
    "GradingTableMatch",
    "Linear",
    "Method",
    "NumericScale",
    "OrderedScale",
    "Overlap",
    "OverlapPolicy",
    "Result",
    "Rounding",
    "Rule",
    "Scale",
    "Scope",
    "Strategy",
    "TwoStep",
    "explanation_data",
    "render",
    "resolve",
]
