"""What the recognition pages show, ready for the templates: a recognition line and its
explanation, a grading table (its rows and bar chart), a conversion rule (its method, table or
formula, and worked examples). No request, no permission: the views (:mod:`.views`,
:mod:`.views_office`) decide who sees what and hand these to the templates. Explanations are
said in the reader's language by the one renderer, :mod:`.conversion.wording`."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from abroad.recognition import conversion, services
from abroad.recognition.conversion.wording import (
    Fact,
    facts,
    formula,
    grade,
    group_words,
    mapping_label,
    number,
    percent,
    percent_range,
    policy_label,
    render,
    rounding_label,
    scope_words,
)
from abroad.recognition.enums import LineFlag, Method, Outcome, method_label
from abroad.recognition.forms import AdjustForm
from abroad.recognition.models import ConversionRule, GradingTable, RecognitionLine

__all__ = [
    "Example",
    "Fact",
    "LineView",
    "RuleView",
    "SourceView",
    "TableView",
    "line_view",
    "rule_view",
    "sample_grades",
    "source_views",
    "table_view",
]


# ------------------------------------------------------------------------ explanations


@dataclass
class SourceView:
    """A host entry a recognition line recognises, and how its grade converted."""

    name: str
    ects: str
    outcome: str
    outcome_label: str
    host_grade: str
    home_grade: str
    facts: list[Fact]


OUTCOME_LABELS = dict(Outcome.choices)


def source_views(explanation: dict[str, Any]) -> list[SourceView]:
    views = []
    for source in explanation.get("sources", []):
        name = f"{source.get('code', '')} {source.get('title', '')}".strip()
        outcome = source.get("outcome", "")
        views.append(
            SourceView(
                name=name,
                ects=source.get("ects") or "",
                outcome=outcome,
                outcome_label=str(OUTCOME_LABELS.get(outcome, outcome)),
                host_grade=source.get("host_grade", ""),
                home_grade=source.get("home_grade", ""),
                facts=facts(source.get("explanation", {}), source.get("home_grade", "")),
            )
        )
    return views


@dataclass
class LineView:
    """A recognition line with its explanation, as the transcript page shows it (in the
    reader's language: nothing in words is stored)."""

    line: RecognitionLine
    sources: list[SourceView]
    rule: str
    scope: str
    method: str
    mapping: str
    average: str
    text: list[str]
    form: AdjustForm | None = None

    @property
    def flag_label(self) -> str:
        return str(dict(LineFlag.choices).get(self.line.flag, "")) if self.line.flag else ""


def line_view(line: RecognitionLine, may_adjust: bool) -> LineView:
    data = line.explanation if isinstance(line.explanation, dict) else {}
    average = ""
    if data.get("average"):
        average = _(
            "credit-weighted average %(exact)s, rounded to the nearest grade: %(grade)s"
        ) % {"exact": number(data["average"]["exact"]), "grade": data["average"]["grade"]}
    if data.get("passing_give"):
        passing = _("the passing ones alone would give %(grade)s") % {"grade": data["passing_give"]}
        average = f"{average}; {passing}" if average else passing
    return LineView(
        line=line,
        sources=source_views(data),
        rule=data.get("rule", ""),
        scope=scope_words(data["scope"]) if data.get("scope") else "",
        method=method_label(data.get("method", "")),
        mapping=mapping_label(data.get("mapping", "")),
        average=average,
        text=line.sentences(),
        form=AdjustForm(initial={"grade": line.grade}, prefix=f"line-{line.pk}")
        if may_adjust
        else None,
    )


# --------------------------------------------------------------------- grading tables


@dataclass
class Bar:
    grade: str
    percent: str
    x: int
    y: int
    height: int
    label_x: int
    percent_y: int


@dataclass
class TableRow:
    grade: str
    count: int | None
    percent: str
    range: str


@dataclass
class TableView:
    """A grading table: its rows (best grade first), the bars of its chart (worst passing grade
    on the left) and the chart's size; ``error`` when the table cannot be read."""

    table: GradingTable
    rows: list[TableRow] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    error: str = ""
    width: int = 0
    height: int = 0
    baseline: int = 0
    label_y: int = 0

    @property
    def bar_width(self) -> int:
        return BAR_WIDTH

    @property
    def has_counts(self) -> bool:
        return any(row.count is not None for row in self.rows)

    @property
    def describe(self) -> str:
        """The reference group without the institution, in the reader's language: "ISCED-F
        0715, second cycle, 2024/2025, 2025/2026" (Italian "secondo ciclo")."""
        return group_words(self._group(with_institution=False))

    @property
    def group(self) -> str:
        """The reference group with the institution, in the reader's language."""
        return group_words(self._group(with_institution=True))

    def _group(self, *, with_institution: bool) -> dict[str, Any]:
        table = self.table
        return {
            "institution": table.institution.display_name if with_institution else "",
            "isced": table.isced_code,
            "cycle": table.cycle,
            "years": list(table.years),
        }

    @property
    def summary(self) -> str:
        """The chart's <desc>: every grade and its percentage, in words."""
        return "; ".join(f"{row.grade}: {row.percent}%" for row in reversed(self.rows))


CHART_HEIGHT = 180  # the tallest bar, in SVG units
BAR_WIDTH = 28
BAR_GAP = 10
CHART_MARGIN = 12


def table_view(table: GradingTable) -> TableView:
    """The rows and the chart of ``table``, from prefetched data (no query)."""
    view = TableView(table=table)
    try:
        pure = table.table()
    except ValueError as error:
        view.error = str(error)
        return view
    counts = table.counts if isinstance(table.counts, dict) else {}
    cells = {cell.grade.label: cell for cell in pure.cells}
    shares = [(label, share) for label, share in pure.percentages]
    for label, share in shares:
        cell = cells.get(label)
        view.rows.append(
            TableRow(
                grade=label,
                count=counts.get(label),
                percent=percent(share),
                range=percent_range((cell.start, cell.end)) if cell else "",
            )
        )
    top = max((share for _label, share in shares), default=Decimal(0)) or Decimal(1)
    baseline = CHART_MARGIN + 20 + CHART_HEIGHT
    for index, (label, share) in enumerate(reversed(shares)):
        height = int((share / top * CHART_HEIGHT).to_integral_value())
        x = CHART_MARGIN + index * (BAR_WIDTH + BAR_GAP)
        view.bars.append(
            Bar(
                grade=label,
                percent=percent(share),
                x=x,
                y=baseline - height,
                height=height,
                label_x=x + BAR_WIDTH // 2,
                percent_y=baseline - height - 5,
            )
        )
    view.width = 2 * CHART_MARGIN + len(shares) * (BAR_WIDTH + BAR_GAP) - BAR_GAP
    view.baseline = baseline
    view.label_y = baseline + 18
    view.height = baseline + 26
    return view


# ----------------------------------------------------------------------- conversion rules

METHOD_TEXTS: dict[str, Any] = {
    Method.FIXED_TABLE: gettext_lazy(
        "A fixed table: each band of host grades gives one home grade."
    ),
    Method.GRADING_TABLES: gettext_lazy(
        "Grading tables (EGRACONS): how often each passing grade is given, in the same field of "
        "study and cycle, at the host and at home. A host grade covers a range of the best "
        "passing grades at the host (for instance the top 10%–25%) and converts to the home "
        "grade covering the matching range at home."
    ),
    Method.TWO_STEP: gettext_lazy(
        "A two-step table through ECTS letters: the host grade gives a letter, and each letter "
        "has a band of home grades; the host grades giving a letter spread evenly over its band."
    ),
    Method.LINEAR: gettext_lazy(
        "A linear formula between the pass marks and the best grades of the two scales, "
        "rounded to a home grade."
    ),
    Method.ECTS_FALLBACK: gettext_lazy(
        "ECTS letters: A stands for the best 10% of passing grades, B the next 25%, C 30%, D 25% "
        "and E the last 10%; the letter's range is matched with the home grades."
    ),
}

ECTS_BANDS = (("A", 0, 10), ("B", 10, 35), ("C", 35, 65), ("D", 65, 90), ("E", 90, 100))


@dataclass
class BandRow:
    start: str
    end: str
    grade: str


@dataclass
class Example:
    host: str
    home: str
    failed: bool
    text: str


@dataclass
class RuleView:
    """A conversion rule explained: the method in words, its table or formula and (for one
    mobility) worked examples."""

    rule: ConversionRule
    method: str
    text: str
    error: str = ""
    bands: list[BandRow] = field(default_factory=list)
    home_bands: list[BandRow] = field(default_factory=list)
    formula: str = ""
    rounding: str = ""
    lode: bool = False
    policy: str = ""
    ects_bands: list[BandRow] = field(default_factory=list)
    tables: list[tuple[str, TableView]] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)


def _band_rows(parameters: dict[str, Any], key: str) -> list[BandRow]:
    bands = parameters.get(key)
    if not isinstance(bands, list):
        return []
    return [
        BandRow(grade(band[0]), grade(band[1]), grade(band[2]))
        for band in bands
        if isinstance(band, list | tuple) and len(band) == 3
    ]


def linear_formula(host: conversion.Scale, home: conversion.Scale) -> str:
    """The formula with V for the host grade, as the explanations write it (e.g. 18 + 12 times
    V minus 10, over 20 minus 10), with the reader's decimal separator; empty for a scale
    without numbers."""
    v_pass, v_best = host.lowest_pass.value, host.best.value
    h_pass, h_best = home.lowest_pass.value, home.best.value
    if v_pass is None or v_best is None or h_pass is None or h_best is None:
        return ""
    span = h_best - h_pass
    show = host.show_value
    return formula(
        f"{home.show_value(h_pass)} {'+' if span >= 0 else '−'} {services.plain(abs(span))} × "
        f"(V − {show(v_pass)}) / ({show(v_best)} − {show(v_pass)})"
    )


EXAMPLES = 12


def sample_grades(scale: conversion.Scale, limit: int = EXAMPLES) -> list[conversion.Grade]:
    """Every passing grade of the scale, best first, or a sample of them: the whole numbers
    of a fine numeric scale (France's 10, 11 ... 20), evenly spaced when still too many; and
    one fail grade (the best whole one)."""
    passing = list(scale.passing_grades())
    if len(passing) > limit and scale.numeric:
        whole = [
            g
            for g in passing
            if g.honours or (g.value is not None and g.value == g.value.to_integral_value())
        ]
        if len(whole) >= 2:
            passing = whole
    if len(passing) > limit:
        step = (len(passing) - 1) / (limit - 1)
        passing = [passing[round(i * step)] for i in range(limit)]
    failing = None
    for rank in range(scale.pass_rank + 1, scale.size):
        grade = scale.grade_at(rank)
        if failing is None:
            failing = grade
        if not scale.numeric or (
            grade.value is not None and grade.value == grade.value.to_integral_value()
        ):
            failing = grade
            break
        if rank - scale.pass_rank > 200:
            break
    return passing + ([failing] if failing is not None else [])


def rule_view(rule: ConversionRule, *, examples: bool = False) -> RuleView:
    """``rule`` explained (from prefetched scales and tables: no query); with ``examples``, a
    sample of host grades converted."""
    method = rule.method
    view = RuleView(
        rule=rule,
        method=method_label(method),
        text=str(METHOD_TEXTS.get(method, "")),
    )
    parameters = rule.parameters if isinstance(rule.parameters, dict) else {}
    if method == Method.FIXED_TABLE:
        view.bands = _band_rows(parameters, "bands")
    elif method == Method.TWO_STEP:
        view.bands = _band_rows(parameters, "host_bands")
        view.home_bands = _band_rows(parameters, "home_bands")
    elif method == Method.LINEAR:
        rounding = str(parameters.get("rounding", conversion.Rounding.HALF_UP.value))
        view.rounding = rounding_label(rounding)
        view.lode = parameters.get("lode_at_best") is True
    else:
        policy = str(parameters.get("policy", conversion.OverlapPolicy.CLOSEST.value))
        view.policy = policy_label(policy)
        if method == Method.ECTS_FALLBACK:
            view.ects_bands = [
                BandRow(f"{start}%", f"{end}%", letter) for letter, start, end in ECTS_BANDS
            ]
        for what, table in ((_("At the host"), rule.host_table), (_("At home"), rule.home_table)):
            if table is not None:
                view.tables.append((what, table_view(table)))
    try:
        strategy = rule.strategy()
    except ValueError as error:
        view.error = str(error)
        return view
    if method == Method.LINEAR:
        view.formula = linear_formula(strategy.host, strategy.home)
    if examples:
        for grade in sample_grades(strategy.host):
            result = strategy.convert(grade)
            view.examples.append(Example(grade.label, result.label, result.failed, render(result)))
    return view
