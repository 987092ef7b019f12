"""The recognition pages of one mobility, under /recognition/mobility/<pk>/: the transcript and
its recognition (the student accepts or disputes, the office or the approving promoter proposes,
the promoter adjusts and validates), the office's transcript entry and import, and "how my grades
will be converted" for the student before departure.

Who: the transcript is seen by ``recognition.view_transcript`` (the student, the office, the
promoter who approves the mobility); the conversion page by whoever sees the mobility
(``mobility.view_mobility``). Anybody else gets a 404; somebody who sees the page but may not do
what they asked gets a 403; an anonymous visitor is sent to log in. Every write is one call to
:mod:`abroad.recognition.services`, whose refusal is shown as it is, then a redirect.

The helpers that show an explanation, a grading table (and its bar chart) and a conversion rule
are shared with :mod:`abroad.recognition.views_office`."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from abroad.core.academic_year import format_year
from abroad.core.permissions import can
from abroad.mobility.models import Component, LearningAgreement, Mobility
from abroad.mobility.queries import in_force
from abroad.people.models import User
from abroad.recognition import conversion, services
from abroad.recognition.enums import LineFlag, Method, Outcome, TranscriptState
from abroad.recognition.forms import (
    EXTRA_ROWS,
    AdjustForm,
    DisputeForm,
    EntryFormSet,
    TranscriptForm,
    TranscriptImportForm,
)
from abroad.recognition.models import (
    ConversionRule,
    GradingScale,
    GradingTable,
    RecognitionLine,
    Transcript,
)
from abroad.recognition.services import EntryData, RecognitionError

VIEW = "recognition.view_transcript"
ENTER = "recognition.enter_transcript"
ACCEPT = "recognition.accept_transcript"
PROPOSE = "recognition.propose_recognition"
VALIDATE = "recognition.validate_recognition"
VIEW_MOBILITY = "mobility.view_mobility"


# ------------------------------------------------------------------------------ who may


def user_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _mobilities() -> QuerySet[Mobility]:
    return Mobility.objects.select_related(
        "student__course_of_study__school", "host", "offer__agreement__promoter__user"
    ).prefetch_related("student__course_of_study__coordinators")


def _mobility(request: HttpRequest, pk: int, permission: str = VIEW) -> Mobility:
    """The mobility, if the user may see its transcript (or ``permission``); 404 otherwise."""
    mobility = get_object_or_404(_mobilities(), pk=pk)
    if not can(request.user, permission, mobility):
        raise Http404
    return mobility


def _require(request: HttpRequest, obj: Any, permission: str) -> None:
    """403 for somebody who sees the transcript but may not do this."""
    if not can(request.user, permission, obj):
        raise PermissionDenied


def _transcript(mobility: Mobility) -> Transcript | None:
    return (
        Transcript.objects.filter(mobility=mobility)
        .select_related("host_scale", "home_scale", "rule", "entered_by", "validated_by")
        .first()
    )


def _existing(mobility: Mobility) -> Transcript:
    transcript = _transcript(mobility)
    if transcript is None:
        raise Http404
    return transcript


def _back(mobility: Mobility, anchor: str = "") -> HttpResponse:
    url = reverse("recognition:transcript", kwargs={"pk": mobility.pk})
    return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


def form_errors(form: Any) -> str:
    """A form's errors in one line, each with its field's label."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            parts.append(f"{label}: {error}" if label else str(error))
    return " ".join(parts)


# ------------------------------------------------------------------------ explanations


def percent(value: Any) -> str:
    """A percentage as the explanations write it: 37.5, 10."""
    number = Decimal(str(value)).quantize(Decimal("0.1"))
    return services.plain(number)


def percent_range(bounds: Any) -> str:
    if not bounds:
        return ""
    return _("top %(start)s%%–%(end)s%%") % {
        "start": percent(bounds[0]),
        "end": percent(bounds[1]),
    }


POLICY_LABELS = {
    conversion.OverlapPolicy.CLOSEST.value: gettext_lazy(
        "closest: the home grade whose range holds the middle of the host grade's range"
    ),
    conversion.OverlapPolicy.AVERAGE.value: gettext_lazy(
        "average: the home grades overlapping the host grade's range, weighted by the overlap"
    ),
    conversion.OverlapPolicy.TOP.value: gettext_lazy(
        "top: the best home grade overlapping the host grade's range"
    ),
}

ROUNDING_LABELS = {
    conversion.Rounding.HALF_UP.value: gettext_lazy("rounded half up"),
    conversion.Rounding.NEAREST.value: gettext_lazy(
        "rounded to the nearest grade (a tie to the better one)"
    ),
    conversion.Rounding.DOWN.value: gettext_lazy("rounded down"),
    conversion.Rounding.UP.value: gettext_lazy("rounded up"),
}

MAPPING_LABELS = {
    "position": gettext_lazy(
        "tables A and B have as many rows: each row of table B recognises the row of table A "
        "in the same position"
    ),
    "all": gettext_lazy(
        "tables A and B have different numbers of rows: each row of table B recognises all of "
        "table A, with the credit-weighted average of its converted grades"
    ),
}


@dataclass
class Fact:
    label: str
    value: str


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


def _same_number(exact: Any, grade: str) -> bool:
    try:
        return Decimal(str(exact)) == Decimal(grade)
    except (ArithmeticError, ValueError):
        return False


def explanation_facts(data: dict[str, Any], home_grade: str = "") -> list[Fact]:
    """Which table row, which percentiles, which formula: one fact each, in words."""
    facts: list[Fact] = []
    if data.get("pass_mark"):
        facts.append(
            Fact(_("Fail"), _("the lowest pass is %(grade)s") % {"grade": data["pass_mark"]})
        )
    band = data.get("band")
    if band and data.get("letter") and data.get("home_band"):
        home = data["home_band"]
        facts.append(
            Fact(
                _("Two-step table"),
                _(
                    "host band %(row)s (%(start)s to %(end)s) gives %(letter)s, which is "
                    "%(home_start)s to %(home_end)s at home"
                )
                % {
                    "row": data.get("row"),
                    "start": band[0],
                    "end": band[1],
                    "letter": data["letter"],
                    "home_start": home[0],
                    "home_end": home[1],
                },
            )
        )
        within = data.get("within_band")
        if within and within[1] > 1:
            facts.append(
                Fact(
                    _("Within the letter"),
                    _("%(place)s of the %(count)s host grades giving %(letter)s")
                    % {"place": within[0], "count": within[1], "letter": data["letter"]},
                )
            )
    elif band:
        facts.append(
            Fact(
                _("Table row"),
                _("band %(row)s: %(start)s to %(end)s → %(grade)s")
                % {"row": data.get("row"), "start": band[0], "end": band[1], "grade": band[2]},
            )
        )
    if data.get("host_range"):
        where = f" ({data['host_table']})" if data.get("host_table") else ""
        facts.append(Fact(_("Host percentiles"), percent_range(data["host_range"]) + where))
    if data.get("midpoint") is not None:
        facts.append(Fact(_("Midpoint"), f"{percent(data['midpoint'])}%"))
    if data.get("home_range"):
        where = f" ({data['home_table']})" if data.get("home_table") else ""
        facts.append(Fact(_("Home percentiles"), percent_range(data["home_range"]) + where))
    elif data.get("home_table") and not data.get("host_range"):
        facts.append(Fact(_("Home grading table"), data["home_table"]))
    if data.get("overlaps"):
        facts.append(
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
        facts.append(
            Fact(_("Overlap policy"), str(POLICY_LABELS.get(data["policy"], data["policy"])))
        )
    if data.get("formula"):
        value = data["formula"]
        if data.get("exact") is not None:
            value += f" = {data['exact']}"
        if data.get("rounding") and not _same_number(data.get("exact"), home_grade):
            value += ", " + str(ROUNDING_LABELS.get(data["rounding"], data["rounding"]))
        facts.append(Fact(_("Formula"), value))
    if data.get("honours"):
        facts.append(Fact(_("Honours"), data["honours"]))
    return facts


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
                facts=explanation_facts(
                    source.get("explanation", {}), source.get("home_grade", "")
                ),
            )
        )
    return views


@dataclass
class LineView:
    """A recognition line with its explanation, as the transcript page shows it."""

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
    method = data.get("method", "")
    average = ""
    if data.get("average"):
        average = _(
            "credit-weighted average %(exact)s, rounded to the nearest grade: %(grade)s"
        ) % {"exact": data["average"]["exact"], "grade": data["average"]["grade"]}
    if data.get("passing_give"):
        passing = _("the passing ones alone would give %(grade)s") % {"grade": data["passing_give"]}
        average = f"{average}; {passing}" if average else passing
    return LineView(
        line=line,
        sources=source_views(data),
        rule=data.get("rule", ""),
        scope=data.get("scope", ""),
        method=str(Method(method).label) if method in Method.values else method,
        mapping=str(MAPPING_LABELS.get(data.get("mapping", ""), "")),
        average=average,
        text=[text for text in line.explanation_text.splitlines() if text.strip()],
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
        BandRow(str(band[0]), str(band[1]), str(band[2]))
        for band in bands
        if isinstance(band, list | tuple) and len(band) == 3
    ]


def linear_formula(host: conversion.Scale, home: conversion.Scale) -> str:
    """The formula with V for the host grade, as the explanations write it (e.g. 18 + 12 times
    V minus 10, over 20 minus 10); empty for a scale without numbers."""
    v_pass, v_best = host.lowest_pass.value, host.best.value
    h_pass, h_best = home.lowest_pass.value, home.best.value
    if v_pass is None or v_best is None or h_pass is None or h_best is None:
        return ""
    span = h_best - h_pass
    show = host.show_value
    return (
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
        method=str(Method(method).label) if method in Method.values else method,
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
        view.rounding = str(ROUNDING_LABELS.get(rounding, rounding))
        view.lode = parameters.get("lode_at_best") is True
    else:
        policy = str(parameters.get("policy", conversion.OverlapPolicy.CLOSEST.value))
        view.policy = str(POLICY_LABELS.get(policy, policy))
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
            view.examples.append(Example(grade.label, result.label, result.failed, result.text()))
    return view


# ------------------------------------------------------------------------- the transcript


def _agreement_components(agreement: LearningAgreement | None) -> list[Component]:
    return services.table_a(agreement) if agreement is not None else []


@login_required
@require_GET
def transcript(request: HttpRequest, pk: int) -> HttpResponse:
    """The mobility's transcript (entries with their outcome) and its recognition (lines with
    their explanation), with what the visitor may do next."""
    mobility = _mobility(request, pk)
    user = request.user
    found = _transcript(mobility)
    state = found.state if found is not None else ""
    may_enter = can(user, ENTER, mobility)
    may_validate = can(user, VALIDATE, mobility)
    may_adjust = may_validate and state == TranscriptState.PROPOSED
    entries: list[Any] = []
    lines: list[LineView] = []
    if found is not None:
        entries = list(found.entries.select_related("component"))
        lines = [
            line_view(line, may_adjust)
            for line in found.lines.select_related("component", "adjusted_by")
        ]
    counts = {outcome: sum(1 for e in entries if e.outcome == outcome) for outcome in Outcome}
    recognised = sum((lv.line.credits for lv in lines), Decimal(0))
    return render(
        request,
        "recognition/transcript.html",
        {
            "mobility": mobility,
            "student": mobility.student,
            "year": format_year(mobility.academic_year),
            "transcript": found,
            "entries": entries,
            "counts": counts,
            "lines": lines,
            "recognised": services.plain(recognised),
            "is_student": mobility.student_id == getattr(user, "pk", None),
            "may_enter": may_enter and state in ("", *TranscriptState.editable_states()),
            "may_accept": can(user, ACCEPT, mobility) and state == TranscriptState.ENTERED,
            "may_propose": can(user, PROPOSE, mobility)
            and state in TranscriptState.proposable_states(),
            "may_validate": may_adjust,
            "may_see_mobility": can(user, VIEW_MOBILITY, mobility),
            "dispute_form": DisputeForm(),
        },
    )


@login_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    mobility = _mobility(request, pk)
    _require(request, mobility, ACCEPT)
    found = _existing(mobility)
    try:
        services.accept_transcript(transcript=found, actor=request.user)
    except RecognitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("You accepted the transcript: the recognition of your exams will be proposed."),
        )
    return _back(mobility)


@login_required
@require_POST
def dispute(request: HttpRequest, pk: int) -> HttpResponse:
    mobility = _mobility(request, pk)
    _require(request, mobility, ACCEPT)
    found = _existing(mobility)
    form = DisputeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.dispute_transcript(transcript=found, actor=request.user, reason=reason)
    except RecognitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _(
                "You disputed the transcript; the International Mobility Unit checks it with the "
                "host and enters it again."
            ),
        )
    return _back(mobility)


@login_required
@require_POST
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    mobility = _mobility(request, pk)
    _require(request, mobility, PROPOSE)
    found = _existing(mobility)
    try:
        done = services.propose_recognition(transcript=found, actor=request.user)
    except RecognitionError as error:
        messages.error(request, str(error))
        return _back(mobility)
    messages.success(
        request,
        _("The recognition was proposed with the rule “%(rule)s”; the promoter validates it.")
        % {"rule": done.rule},
    )
    return _back(mobility, "recognition")


@login_required
@require_POST
def adjust(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(RecognitionLine.objects.select_related("transcript"), pk=pk)
    mobility = _mobility(request, line.transcript.mobility_id)
    _require(request, mobility, VALIDATE)
    form = AdjustForm(request.POST, prefix=f"line-{line.pk}")
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return _back(mobility, f"line-{line.pk}")
    try:
        done = services.adjust_line(
            line=line,
            grade=form.cleaned_data["grade"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
    except RecognitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(code)s %(title)s: the grade is now %(grade)s.")
            % {
                "code": done.code,
                "title": done.title,
                "grade": done.grade or _("not recognised"),
            },
        )
    return _back(mobility, f"line-{line.pk}")


@login_required
@require_POST
def validate(request: HttpRequest, pk: int) -> HttpResponse:
    mobility = _mobility(request, pk)
    _require(request, mobility, VALIDATE)
    found = _existing(mobility)
    try:
        services.validate_recognition(transcript=found, actor=request.user)
    except RecognitionError as error:
        messages.error(request, str(error))
        return _back(mobility)
    messages.success(
        request,
        _("The recognition of %(student)s is validated: it goes to the registrar.")
        % {"student": mobility.student},
    )
    return _back(mobility)


# ------------------------------------------------------------------- entering a transcript


def _default_scale(mobility: Mobility, found: Transcript | None) -> GradingScale | None:
    """The transcript's scale, else the host country's (a standard one first)."""
    if found is not None:
        return found.host_scale
    return (
        GradingScale.objects.filter(country=mobility.host.country)
        .order_by("-standard", "name")
        .first()
    )


def _plain(number: Decimal | None) -> str:
    return services.plain(number) if number is not None else ""


def _initial_rows(components: list[Component], found: Transcript | None) -> list[dict[str, Any]]:
    """One row per table A component (with the transcript's grade, when it has one), the
    transcript's rows reporting no component, then empty rows."""
    entries = list(found.entries.all()) if found is not None else []
    by_component = {e.component_id: e for e in entries if e.component_id}
    rows: list[dict[str, Any]] = []
    for component in components:
        entry = by_component.get(component.pk)
        rows.append(
            {
                "component": component.pk,
                "code": entry.code if entry else component.code,
                "title": entry.title if entry else component.title,
                "ects": _plain(entry.ects if entry and entry.ects is not None else component.ects),
                "grade": entry.grade if entry else "",
            }
        )
    for entry in entries:
        if entry.component_id is None:
            rows.append(
                {
                    "code": entry.code,
                    "title": entry.title,
                    "ects": _plain(entry.ects),
                    "grade": entry.grade,
                }
            )
    rows.extend({} for _ in range(EXTRA_ROWS))
    return rows


def _entries(formset: Any, components: list[Component]) -> list[EntryData]:
    by_pk = {c.pk: c for c in components}
    entries = []
    for form in formset:
        if form.is_blank:
            continue
        data = form.cleaned_data
        entries.append(
            EntryData(
                code=data["code"],
                title=data["title"],
                ects=data["ects"],
                grade=data["grade"],
                component=by_pk.get(data["component"]) if data["component"] else None,
            )
        )
    return entries


@login_required
@require_http_methods(["GET", "POST"])
def transcript_enter(request: HttpRequest, pk: int) -> HttpResponse:
    """The office enters the transcript (one row per component of table A, prefilled, and
    empty rows for others) or imports it from a CSV/XLSX file; a refused file or form shows every
    bad row and stores nothing."""
    mobility = _mobility(request, pk)
    _require(request, mobility, ENTER)
    found = _transcript(mobility)
    agreement = in_force(mobility)
    if agreement is not None:
        agreement = LearningAgreement.objects.prefetch_related("components").get(pk=agreement.pk)
    components = _agreement_components(agreement)
    scale = _default_scale(mobility, found)
    form = TranscriptForm(
        initial={"host_scale": scale, "received_on": found.received_on if found else None}
    )
    formset = EntryFormSet(initial=_initial_rows(components, found), prefix="entries")
    import_form = TranscriptImportForm()
    problems: list[str] = []
    report = None
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "enter":
        form = TranscriptForm(request.POST)
        formset = EntryFormSet(request.POST, prefix="entries")
        if form.is_valid() and formset.is_valid():
            try:
                services.enter_transcript(
                    mobility=mobility,
                    host_scale=form.cleaned_data["host_scale"],
                    entries=_entries(formset, components),
                    actor=request.user,
                    received_on=form.cleaned_data["received_on"],
                )
            except RecognitionError as error:
                if not error.errors:
                    messages.error(request, str(error))
                    return _back(mobility)
                problems = error.errors
            else:
                messages.success(
                    request, _("The transcript was saved; the student is asked to accept it.")
                )
                return _back(mobility)
        else:
            problems = [form_errors(form)] if form.errors else []
            problems += [
                _("row %(row)d: %(errors)s") % {"row": number, "errors": form_errors(row)}
                for number, row in enumerate(formset, start=1)
                if row.errors
            ]
    elif action == "import":
        import_form = TranscriptImportForm(request.POST, request.FILES)
        if not import_form.is_valid():
            problems = [form_errors(import_form)]
        else:
            upload = import_form.cleaned_data["file"]
            try:
                report = services.import_transcript(
                    mobility=mobility,
                    file=upload,
                    name=upload.name,
                    actor=request.user,
                    host_scale=import_form.cleaned_data["host_scale"],
                    received_on=import_form.cleaned_data["received_on"],
                )
            except RecognitionError as error:
                problems = [str(error)]
            else:
                if report.imported:
                    outcomes = report.outcomes
                    messages.success(
                        request,
                        _(
                            "The transcript was imported from %(file)s: %(passed)d passed, "
                            "%(failed)d failed, %(missing)d missing."
                        )
                        % {
                            "file": upload.name,
                            "passed": outcomes.get(Outcome.PASSED, 0),
                            "failed": outcomes.get(Outcome.FAILED, 0),
                            "missing": outcomes.get(Outcome.MISSING, 0),
                        },
                    )
                    return _back(mobility)
    elif request.method == "POST":
        messages.error(request, _("Choose “Save the transcript” or “Import the file”."))
        return HttpResponseRedirect(request.path)
    return render(
        request,
        "recognition/transcript_enter.html",
        {
            "mobility": mobility,
            "student": mobility.student,
            "transcript": found,
            "agreement": agreement,
            "locked": found is not None and found.state not in TranscriptState.editable_states(),
            "form": form,
            "formset": formset,
            "component_count": len(components),
            "import_form": import_form,
            "problems": problems,
            "report": report,
        },
    )


# ------------------------------------------------------------------- how grades convert


@dataclass
class ScaleConversion:
    scale: GradingScale
    rule: RuleView | None
    error: str = ""


def _host_scales(mobility: Mobility, found: Transcript | None) -> list[GradingScale]:
    if found is not None:
        return [found.host_scale]
    return list(
        GradingScale.objects.filter(country=mobility.host.country).order_by("-standard", "name")
    )


@login_required
@require_GET
def conversion_page(request: HttpRequest, pk: int) -> HttpResponse:
    """How the host's grades will convert for this mobility: for the host's scale (the
    transcript's, else each of the host country's) the rule that applies, its method in words,
    its table or formula, and worked examples."""
    mobility = _mobility(request, pk, VIEW_MOBILITY)
    found = _transcript(mobility)
    sections: list[ScaleConversion] = []
    for scale in _host_scales(mobility, found):
        try:
            rule = services.rule_for(mobility, scale)
        except RecognitionError as error:
            sections.append(ScaleConversion(scale, None, str(error)))
            continue
        sections.append(
            ScaleConversion(scale, rule_view(rule, examples=True) if rule is not None else None)
        )
    # Of several scales of the host country, those a rule converts (all, when none has one).
    ruled = [s for s in sections if s.rule is not None or s.error]
    return render(
        request,
        "recognition/conversion.html",
        {
            "mobility": mobility,
            "student": mobility.student,
            "sections": ruled or sections,
            "is_student": mobility.student_id == getattr(request.user, "pk", None),
            "may_see_transcript": can(request.user, VIEW, mobility),
        },
    )
