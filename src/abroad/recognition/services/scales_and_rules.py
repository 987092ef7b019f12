"""The standard grading scales in the database, and which conversion rule applies to a mobility."""

from __future__ import annotations

from typing import cast

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from abroad.catalogue.models import School
from abroad.mobility.models import Mobility
from abroad.recognition import conversion
from abroad.recognition.models import (
    ConversionRule,
    GradingScale,
)
from abroad.recognition.scales import STANDARD_SCALES
from abroad.recognition.services.base import (
    RecognitionError,
)

# --------------------------------------------------------------------------------- scales

# The country of each standard scale (the UK's in ISO 3166: GB).
STANDARD_COUNTRIES = {
    "it": "IT",
    "fr": "FR",
    "de": "DE",
    "es": "ES",
    "nl": "NL",
    "uk": "GB",
    "uk-pg": "GB",
    "us": "US",
    "ects": "",
    "at": "AT",
}


@transaction.atomic
def ensure_standard_scales() -> dict[str, GradingScale]:
    """The standard scales (``scales.STANDARD_SCALES``) in the database, by key; the missing
    ones are created (code = key), the others left as they are."""
    held = {scale.standard: scale for scale in GradingScale.objects.exclude(standard="")}
    codes = set(GradingScale.objects.values_list("code", flat=True))
    for key, scale in STANDARD_SCALES.items():
        if key in held:
            continue
        code = key if key not in codes else f"{key}-standard"
        held[key] = GradingScale.objects.create(
            code=code, name=scale.name, country=STANDARD_COUNTRIES.get(key, ""), standard=key
        )
        codes.add(code)
    return held


# ---------------------------------------------------------------------------------- rules


def _rule_candidates(
    mobility: Mobility, host_scale: GradingScale
) -> tuple[School | None, list[ConversionRule]]:
    course = mobility.student.course_of_study
    school = course.school if course is not None else None
    schools = [pk for pk in (school.pk, school.parent_id) if pk] if school is not None else []
    rules = list(
        ConversionRule.objects.filter(host_scale=host_scale)
        .filter(Q(school__isnull=True) | Q(school__in=schools))
        .filter(Q(course_of_study__isnull=True) | Q(course_of_study=course))
        .filter(Q(partner__isnull=True) | Q(partner=mobility.host_id))
        .select_related(
            "school",
            "course_of_study",
            "partner",
            "host_scale",
            "home_scale",
            "host_table__scale",
            "host_table__institution",
            "home_table__scale",
            "home_table__institution",
        )
        .order_by("pk")
    )
    return school, rules


def rule_for(mobility: Mobility, host_scale: GradingScale) -> ConversionRule | None:
    """The conversion rule of ``mobility`` for grades of ``host_scale``: the most specific
    (``conversion.resolve``: partner > course of study > School > default) among the rules of
    that host scale. The School is the student's course's, or the School it is a section of
    (a rule of the section beats the same rule of the whole School). RecognitionError when two
    rules tie."""
    school, rules = _rule_candidates(mobility, host_scale)
    if not rules:
        return None
    course_id = mobility.student.course_of_study_id
    section = school.pk if school is not None else None
    # The resolver compares strategies only to tell rules apart: each database rule stands in
    # for its strategy until one is picked (a broken rule that loses never stops the others).
    pairs = [
        (
            conversion.Rule(
                strategy=cast(conversion.Strategy, rule),
                school=section if rule.school_id is not None else None,
                course_of_study=rule.course_of_study_id,
                partner=rule.partner_id,
                name=f"{rule.name} ({rule.scope()})",
            ),
            rule,
        )
        for rule in rules
    ]
    top = max(candidate.precedence for candidate, _rule in pairs)
    winners = [(candidate, rule) for candidate, rule in pairs if candidate.precedence == top]
    own = [(c, r) for c, r in winners if r.school_id is None or r.school_id == section]
    chosen = own or winners
    try:
        picked = conversion.resolve(
            [candidate for candidate, _rule in chosen],
            school=section,
            course_of_study=course_id,
            partner=mobility.host_id,
        )
    except ValueError as error:
        raise RecognitionError(str(error)) from None
    return next(rule for candidate, rule in chosen if candidate is picked)


def _strategy(rule: ConversionRule) -> conversion.Strategy:
    try:
        return rule.strategy()
    except ValueError as error:
        raise RecognitionError(
            _(
                "The conversion rule “%(rule)s” cannot convert grades: %(error)s. The office "
                "fixes it."
            )
            % {"rule": rule, "error": error}
        ) from None
