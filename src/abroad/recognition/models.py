"""Recognition: grading scales, grading tables and conversion rules as data (each builds its
pure counterpart of ``conversion.py``), the host's transcript of records and the recognition
of table B that the promoter validates."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from abroad.catalogue.models import CourseOfStudy, Institution, School
from abroad.core.academic_year import format_year
from abroad.mobility.models import Component, LearningAgreement, Mobility
from abroad.recognition import conversion
from abroad.recognition.conversion.wording import line_sentences, scope_words
from abroad.recognition.enums import (
    Cycle,
    LineFlag,
    Method,
    Outcome,
    TranscriptState,
    method_label,
)
from abroad.recognition.scales import STANDARD_SCALES, define_scale

# The home scale of conversion rules unless they say otherwise.
HOME_STANDARD = "it"

# What define_scale takes, besides the name (the scale's name).
DEFINITION_KEYS = (
    "pass_mark",
    "lowest",
    "highest",
    "step",
    "values",
    "lower_is_better",
    "honours",
    "grades",
    "points",
)

# The parameters each method reads; anything else is a typo.
PARAMETERS: dict[str, tuple[str, ...]] = {
    Method.FIXED_TABLE: ("bands",),
    Method.TWO_STEP: ("host_bands", "home_bands"),
    Method.LINEAR: ("rounding", "lode_at_best"),
    Method.GRADING_TABLES: ("policy",),
    Method.ECTS_FALLBACK: ("policy",),
}

STANDARD_CHOICES = [(key, scale.name) for key, scale in STANDARD_SCALES.items()]

isced_validator = RegexValidator(
    r"^\d{2,4}$", _("Give the 2-, 3- or 4-digit ISCED-F code, e.g. 0731."), code="invalid_isced"
)


class GradingScale(models.Model):
    """A grading scale: one of the standard ones (``standard``), or one the office defines
    (``definition``: the arguments of ``scales.define_scale``, e.g. ``{"lowest": 0,
    "highest": 20, "pass_mark": 10, "step": 1}`` or ``{"grades": ["A", "B", "C", "F"],
    "pass_mark": "C"}``)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    country = CountryField(_("country"), blank=True)
    standard = models.CharField(
        _("standard scale"),
        max_length=10,
        choices=STANDARD_CHOICES,
        blank=True,
        help_text=_("A scale abroad knows; leave empty to define one below."),
    )
    definition = models.JSONField(
        _("definition"),
        null=True,
        blank=True,
        help_text=_(
            'A numeric scale: {"lowest": 0, "highest": 20, "pass_mark": 10, "step": 1} '
            '(optionally "lower_is_better": true, "honours": "30L", or "values" instead of '
            'the step); an ordered one: {"grades": ["A", "B", "C", "F"], "pass_mark": "C"} '
            '(optionally "points").'
        ),
    )

    _scale_cache: tuple[tuple[str, str], conversion.Scale] | None = None

    class Meta:
        verbose_name = _("grading scale")
        verbose_name_plural = _("grading scales")
        ordering = ("name",)
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(standard="") & models.Q(definition__isnull=False))
                | (~models.Q(standard="") & models.Q(definition__isnull=True)),
                name="recognition_scale_standard_or_definition",
                violation_error_message=_(
                    "Choose a standard scale or give a definition: one of the two."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def scale(self) -> conversion.Scale:
        """The conversion scale; ValueError saying what to fix when the definition is wrong."""
        key = (self.standard, json.dumps(self.definition, sort_keys=True, default=str))
        if self._scale_cache is not None and self._scale_cache[0] == key:
            return self._scale_cache[1]
        scale = self._build()
        self._scale_cache = (key, scale)
        return scale

    def _build(self) -> conversion.Scale:
        if self.standard:
            if self.standard not in STANDARD_SCALES:
                raise ValueError(
                    f"{self.standard!r} is not a standard scale: choose one of "
                    f"{', '.join(STANDARD_SCALES)}"
                )
            return STANDARD_SCALES[self.standard]
        definition = self.definition
        name = self.name or self.code
        if not isinstance(definition, dict):
            raise ValueError(
                f"scale {name!r}: the definition must be an object such as "
                '{"lowest": 0, "highest": 20, "pass_mark": 10, "step": 1}'
            )
        unknown = sorted(set(definition) - set(DEFINITION_KEYS))
        if unknown:
            raise ValueError(
                f"scale {name!r}: the definition has {', '.join(map(repr, unknown))}, which "
                f"abroad does not read; use {', '.join(DEFINITION_KEYS)}"
            )
        if "pass_mark" not in definition:
            raise ValueError(f"scale {name!r}: the definition needs the pass_mark")
        return define_scale(name, **definition)

    def clean(self) -> None:
        if bool(self.standard) == (self.definition is not None):
            return  # the constraint says it
        try:
            self.scale()
        except ValueError as error:
            raise ValidationError({"definition": str(error)}) from None


def default_home_scale() -> int | None:
    """The Italian scale (18-30 e lode), the home scale of every rule unless changed."""
    return GradingScale.objects.filter(standard=HOME_STANDARD).values_list("pk", flat=True).first()


class GradingTable(models.Model):
    """The distribution of passing grades of a reference group (ISCED-F field and cycle) at an
    institution over at least two academic years (EGRACONS): the percentage of each grade,
    and the counts when it was built from the grades themselves."""

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="grading_tables",
    )
    scale = models.ForeignKey(
        GradingScale,
        verbose_name=_("grading scale"),
        on_delete=models.PROTECT,
        related_name="tables",
    )
    isced_code = models.CharField(_("ISCED-F field"), max_length=4, validators=[isced_validator])
    cycle = models.CharField(_("cycle"), max_length=12, choices=Cycle.choices)
    first_year = models.PositiveSmallIntegerField(
        _("first academic year"),
        validators=[MinValueValidator(1990), MaxValueValidator(2100)],
        help_text=_("The year the first academic year starts: 2022 for 2022/2023."),
    )
    last_year = models.PositiveSmallIntegerField(
        _("last academic year"), validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    percentages = models.JSONField(
        _("percentages"),
        default=dict,
        blank=True,
        help_text=_('Each passing grade and its percentage, e.g. {"30L": "4.5", "30": "9.1"}.'),
    )
    counts = models.JSONField(
        _("counts"),
        null=True,
        blank=True,
        help_text=_("How many times each passing grade was given, when built from the grades."),
    )
    source = models.TextField(_("source"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("grading table")
        verbose_name_plural = _("grading tables")
        ordering = ("institution__name", "isced_code", "cycle", "-last_year")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_year__gt=models.F("first_year")),
                name="recognition_table_two_years",
                violation_error_message=_(
                    "A grading table covers at least two academic years: the last must come "
                    "after the first."
                ),
            ),
            models.UniqueConstraint(
                fields=("institution", "scale", "isced_code", "cycle", "first_year", "last_year"),
                name="recognition_one_table_per_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution}: {self.describe()}"

    @property
    def years(self) -> tuple[str, ...]:
        return tuple(format_year(year) for year in range(self.first_year, self.last_year + 1))

    def describe(self) -> str:
        """The reference group, e.g. "ISCED-F 0715, second cycle, 2022/2023-2023/2024"."""
        return (
            f"ISCED-F {self.isced_code}, {self.cycle} cycle, "
            f"{format_year(self.first_year)}-{format_year(self.last_year)}"
        )

    def table(self) -> conversion.GradingTable:
        """The conversion table (from the counts when there are some, else the percentages);
        ValueError saying what to fix."""
        scale = self.scale.scale()
        common: dict[str, Any] = {
            "isced": self.isced_code,
            "cycle": self.cycle,
            "years": self.years,
            "institution": self.institution.display_name,
        }
        if self.counts:
            if not isinstance(self.counts, dict) or not all(
                isinstance(n, int) and not isinstance(n, bool) for n in self.counts.values()
            ):
                raise ValueError('the counts must be whole numbers per grade, e.g. {"30": 12}')
            return conversion.GradingTable.from_counts(scale, self.counts, **common)
        if not isinstance(self.percentages, dict) or not self.percentages:
            raise ValueError('give the percentage of each passing grade, e.g. {"30": "9.1"}')
        return conversion.GradingTable.of(scale, self.percentages, **common)

    def clean(self) -> None:
        if (
            self.first_year is not None
            and self.last_year is not None
            and self.last_year <= self.first_year
        ):
            raise ValidationError(
                {"last_year": _("A grading table covers at least two academic years.")}
            )
        if self.scale_id is None or self.institution_id is None or not self.isced_code:
            return
        try:
            self.table()
        except ValueError as error:
            raise ValidationError(str(error)) from None


def _bands(parameters: dict[str, Any], key: str) -> tuple[conversion.Band, ...]:
    bands = parameters.get(key)
    if not isinstance(bands, list) or not bands:
        raise ValueError(f'give "{key}": a list of [from, to, grade] bands')
    result = []
    for number, band in enumerate(bands, start=1):
        if not isinstance(band, list | tuple) or len(band) != 3:
            raise ValueError(f'"{key}" band {number} must be [from, to, grade], not {band!r}')
        start, end, grade = (str(part) for part in band)
        result.append(conversion.Band(start, end, grade))
    return tuple(result)


class ConversionRule(models.Model):
    """How grades of one host scale convert to the home scale, for a School, a course of
    study, a partner institution, a combination, or everybody (no scope). The most specific
    rule that applies to a mobility wins (partner > course of study > School > default).

    ``parameters`` by method: fixed table ``{"bands": [["20", "16", "30"], ...]}`` (host from,
    host to, home grade); two-step ``{"host_bands": [["20", "16", "A"], ...], "home_bands":
    [["30", "29", "A"], ...]}``; linear ``{"rounding": "half up", "lode_at_best": false}``;
    grading tables and ECTS letters ``{"policy": "closest"}`` (or "average", "top")."""

    name = models.CharField(_("name"), max_length=200)
    school = models.ForeignKey(
        School,
        verbose_name=_("School"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversion_rules",
        help_text=_("Also applies to the sections of the School (AUIC-ARCH of AUIC)."),
    )
    course_of_study = models.ForeignKey(
        CourseOfStudy,
        verbose_name=_("course of study"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversion_rules",
    )
    partner = models.ForeignKey(
        Institution,
        verbose_name=_("partner institution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversion_rules",
    )
    host_scale = models.ForeignKey(
        GradingScale,
        verbose_name=_("host grading scale"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    home_scale = models.ForeignKey(
        GradingScale,
        verbose_name=_("home grading scale"),
        on_delete=models.PROTECT,
        related_name="+",
        default=default_home_scale,
    )
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    host_table = models.ForeignKey(
        GradingTable,
        verbose_name=_("host grading table"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    home_table = models.ForeignKey(
        GradingTable,
        verbose_name=_("home grading table"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Grading tables; optional for ECTS letters."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("conversion rule")
        verbose_name_plural = _("conversion rules")
        ordering = ("name",)
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(method=Method.GRADING_TABLES)
                | models.Q(host_table__isnull=False, home_table__isnull=False),
                name="recognition_rule_grading_tables_named",
                violation_error_message=_("Grading tables need the host and the home table."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def scope_parts(self) -> list[list[str]]:
        """Where it applies, as data: [kind, name] pairs, kind one of "partner",
        "course_of_study", "school" (none: every mobility); words by
        ``conversion.wording.scope_words``."""
        return [
            [kind, str(value)]
            for kind, value in (
                ("partner", self.partner),
                ("course_of_study", self.course_of_study),
                ("school", self.school.code if self.school else None),
            )
            if value is not None
        ]

    def scope(self) -> str:
        """Where it applies, e.g. "partner TU Delft, School 3I", in the active language."""
        return scope_words(self.scope_parts())

    def strategy(self) -> conversion.Strategy:
        """The conversion strategy; ValueError saying what to fix."""
        method = self.method
        parameters = self.parameters if self.parameters is not None else {}
        if not isinstance(parameters, dict):
            raise ValueError("the parameters must be an object, e.g. {}")
        if method not in PARAMETERS:
            raise ValueError(f"{method!r} is not a method: choose one of {', '.join(Method)}")
        unknown = sorted(set(parameters) - set(PARAMETERS[method]))
        if unknown:
            known = ", ".join(PARAMETERS[method])
            raise ValueError(
                f"the {method_label(method)} does not read {', '.join(map(repr, unknown))}; "
                f"it reads {known}"
            )
        host, home = self.host_scale.scale(), self.home_scale.scale()
        name = self.name
        if method in (Method.FIXED_TABLE, Method.LINEAR, Method.TWO_STEP):
            self._no_tables()
        if method == Method.FIXED_TABLE:
            return conversion.FixedTable(host, home, _bands(parameters, "bands"), name=name)
        if method == Method.TWO_STEP:
            return conversion.TwoStep(
                host,
                home,
                _bands(parameters, "host_bands"),
                _bands(parameters, "home_bands"),
                name=name,
            )
        if method == Method.LINEAR:
            lode = parameters.get("lode_at_best", False)
            if not isinstance(lode, bool):
                raise ValueError('"lode_at_best" is true or false')
            return conversion.Linear(
                host,
                home,
                rounding=_choice(conversion.Rounding, parameters.get("rounding", "half up")),
                lode_at_best=lode,
                name=name,
            )
        policy = _choice(conversion.OverlapPolicy, parameters.get("policy", "closest"))
        if method == Method.GRADING_TABLES:
            if self.host_table is None or self.home_table is None:
                raise ValueError("grading tables need the host and the home table")
            self._table_scales()
            return conversion.GradingTableMatch(
                self.host_table.table(), self.home_table.table(), policy, name=name
            )
        if host != conversion.ECTS:
            raise ValueError(
                f"ECTS letters convert from the ECTS scale, not from {host.name}: choose ECTS "
                "as the host scale"
            )
        if self.host_table is not None:
            raise ValueError("ECTS letters take no host grading table (only a home one)")
        home_table = None
        if self.home_table is not None:
            self._table_scales()
            home_table = self.home_table.table()
        return conversion.EctsFallback(home, home_table, policy, name=name)

    def _no_tables(self) -> None:
        if self.host_table_id is not None or self.home_table_id is not None:
            raise ValueError(
                f"the {method_label(self.method)} takes no grading table: remove the tables"
            )

    def _table_scales(self) -> None:
        for table, scale, what in (
            (self.host_table, self.host_scale, "host"),
            (self.home_table, self.home_scale, "home"),
        ):
            if table is not None and table.scale_id != scale.pk:
                raise ValueError(
                    f"the {what} grading table is of {table.scale}, not of the {what} scale "
                    f"{scale}: choose a table of that scale"
                )

    def clean(self) -> None:
        if self.host_scale_id is None or self.home_scale_id is None or not self.method:
            return
        same_scope = ConversionRule.objects.filter(
            school=self.school_id,
            course_of_study=self.course_of_study_id,
            partner=self.partner_id,
            host_scale=self.host_scale_id,
        ).exclude(pk=self.pk)
        twin = same_scope.first()
        if twin is not None:
            raise ValidationError(
                _(
                    "The rule “%(twin)s” already converts %(scale)s for %(scope)s: change that "
                    "one, or give this one another scope."
                )
                % {"twin": twin, "scale": self.host_scale, "scope": self.scope()}
            )
        try:
            self.strategy()
        except ValueError as error:
            raise ValidationError({"parameters": str(error)}) from None


def _choice(kind: Any, value: object) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not one of {', '.join(repr(k.value) for k in kind)}"
        ) from None


class Transcript(models.Model):
    """The host's transcript of records of a mobility, and the state of its recognition."""

    mobility = models.OneToOneField(
        Mobility, verbose_name=_("mobility"), on_delete=models.CASCADE, related_name="transcript"
    )
    agreement = models.ForeignKey(
        LearningAgreement,
        verbose_name=_("learning agreement"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The version in force when the transcript was entered."),
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=TranscriptState.choices,
        default=TranscriptState.ENTERED,
        db_index=True,
    )
    host_scale = models.ForeignKey(
        GradingScale,
        verbose_name=_("host grading scale"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_on = models.DateField(_("received on"), null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted by the student"), null=True, blank=True)
    disputed_at = models.DateTimeField(_("disputed by the student"), null=True, blank=True)
    dispute_reason = models.TextField(_("why the student disputes it"), blank=True)
    rule = models.ForeignKey(
        ConversionRule,
        verbose_name=_("conversion rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The rule the proposal used."),
    )
    home_scale = models.ForeignKey(
        GradingScale,
        verbose_name=_("home grading scale"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("recognition proposed"), null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("validated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    validated_at = models.DateTimeField(_("validated"), null=True, blank=True)

    class Meta:
        verbose_name = _("transcript of records")
        verbose_name_plural = _("transcripts of records")
        ordering = ("-entered_at",)
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state=TranscriptState.DISPUTED) | ~models.Q(dispute_reason=""),
                name="recognition_dispute_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=TranscriptState.VALIDATED)
                | models.Q(validated_at__isnull=False),
                name="recognition_validated_has_date",
            ),
        ]

    def __str__(self) -> str:
        return _("Transcript of %(mobility)s") % {"mobility": self.mobility}


class TranscriptEntry(models.Model):
    """A component as the transcript reports it, linked to the table A component it is; a
    table A component the transcript does not report is a "missing" entry."""

    transcript = models.ForeignKey(
        Transcript, verbose_name=_("transcript"), on_delete=models.CASCADE, related_name="entries"
    )
    component = models.ForeignKey(
        Component,
        verbose_name=_("table A component"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transcript_entries",
    )
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.CharField(_("code"), max_length=40, blank=True)
    title = models.CharField(_("title"), max_length=250, blank=True)
    ects = models.DecimalField(
        _("ECTS credits"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    grade = models.CharField(
        _("grade"), max_length=20, blank=True, help_text=_("As the host scale writes it.")
    )
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)

    class Meta:
        verbose_name = _("transcript entry")
        verbose_name_plural = _("transcript entries")
        ordering = ("transcript", "position")
        constraints = [
            models.UniqueConstraint(
                fields=("transcript", "component"), name="recognition_entry_one_per_component"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome=Outcome.MISSING, grade="")
                | (~models.Q(outcome=Outcome.MISSING) & ~models.Q(grade="")),
                name="recognition_entry_grade_unless_missing",
            ),
        ]

    def __str__(self) -> str:
        shown = self.grade or self.get_outcome_display()
        return f"{self.code} {self.title}: {shown}".strip()

    @property
    def passed(self) -> bool:
        return self.outcome == Outcome.PASSED


class RecognitionLine(models.Model):
    """A table B component recognised at home: its credits and grade (proposed, and final),
    the host entries it recognises and how their grades converted."""

    transcript = models.ForeignKey(
        Transcript, verbose_name=_("transcript"), on_delete=models.CASCADE, related_name="lines"
    )
    component = models.ForeignKey(
        Component,
        verbose_name=_("table B component"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="recognition_lines",
    )
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.CharField(_("home code"), max_length=40, blank=True)
    title = models.CharField(_("home title"), max_length=250)
    credits = models.DecimalField(
        _("credits recognised"), max_digits=4, decimal_places=1, default=Decimal(0)
    )
    proposed_grade = models.CharField(
        _("proposed grade"), max_length=10, blank=True, help_text=_("Empty: not recognised.")
    )
    grade = models.CharField(_("grade"), max_length=10, blank=True)
    flag = models.CharField(
        _("attention"), max_length=8, choices=LineFlag.choices, blank=True, default=LineFlag.NONE
    )
    explanation = models.JSONField(
        _("explanation"),
        default=dict,
        help_text=_(
            "Data only (rule, method, each conversion's inputs); shown in words when read."
        ),
    )
    adjusted_reason = models.TextField(_("why the promoter changed the grade"), blank=True)
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("adjusted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    adjusted_at = models.DateTimeField(_("adjusted"), null=True, blank=True)
    entries: models.ManyToManyField[TranscriptEntry, Any] = models.ManyToManyField(
        TranscriptEntry, verbose_name=_("host entries"), related_name="lines", blank=True
    )

    class Meta:
        verbose_name = _("recognition line")
        verbose_name_plural = _("recognition lines")
        ordering = ("transcript", "position")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grade=models.F("proposed_grade"))
                | ~models.Q(adjusted_reason=""),
                name="recognition_adjusted_grade_has_reason",
                violation_error_message=_("Say why the grade differs from the proposed one."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}: {self.grade or '—'} ({self.credits} ECTS)".strip()

    @property
    def recognised(self) -> bool:
        return bool(self.grade)

    def sentences(self) -> list[str]:
        """The explanation in words, in the active language."""
        return line_sentences(self.explanation if isinstance(self.explanation, dict) else {})

    @property
    def adjusted(self) -> bool:
        return self.grade != self.proposed_grade
