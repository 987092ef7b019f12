"""Which conversion rule applies to a mobility (see the package docstring: Resolver)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from abroad.recognition.conversion.explanation import Strategy

# ------------------------------------------------------------------------------ resolver


class Scope(StrEnum):
    PARTNER = "partner institution"
    COURSE_OF_STUDY = "course of study"
    SCHOOL = "School"
    DEFAULT = "default"


@dataclass(frozen=True)
class Rule:
    """A strategy and where it applies: a School, a course of study, a partner institution,
    any combination, or none (the default). Scope values are the caller's ids."""

    strategy: Strategy
    school: Hashable | None = None
    course_of_study: Hashable | None = None
    partner: Hashable | None = None
    name: str = ""

    @property
    def precedence(self) -> tuple[bool, bool, bool]:
        return (self.partner is not None, self.course_of_study is not None, self.school is not None)

    @property
    def scope(self) -> Scope:
        """The most specific scope the rule names."""
        if self.partner is not None:
            return Scope.PARTNER
        if self.course_of_study is not None:
            return Scope.COURSE_OF_STUDY
        if self.school is not None:
            return Scope.SCHOOL
        return Scope.DEFAULT

    def applies(
        self,
        *,
        school: Hashable | None = None,
        course_of_study: Hashable | None = None,
        partner: Hashable | None = None,
    ) -> bool:
        return (
            (self.school is None or self.school == school)
            and (self.course_of_study is None or self.course_of_study == course_of_study)
            and (self.partner is None or self.partner == partner)
        )

    def __str__(self) -> str:
        if self.name:
            return self.name
        where = [
            f"{scope} {value}"
            for scope, value in (
                (Scope.PARTNER, self.partner),
                (Scope.COURSE_OF_STUDY, self.course_of_study),
                (Scope.SCHOOL, self.school),
            )
            if value is not None
        ]
        return f"the rule for {' and '.join(where) or 'every mobility'}"


def resolve(
    rules: Iterable[Rule],
    *,
    school: Hashable | None = None,
    course_of_study: Hashable | None = None,
    partner: Hashable | None = None,
) -> Rule | None:
    """The most specific rule that applies (partner > course of study > School > default), or
    None when none does. ValueError, naming both, when two different rules tie."""
    applicable = [
        rule
        for rule in rules
        if rule.applies(school=school, course_of_study=course_of_study, partner=partner)
    ]
    if not applicable:
        return None
    top = max(rule.precedence for rule in applicable)
    winners = [rule for rule in applicable if rule.precedence == top]
    for other in winners[1:]:
        if other != winners[0]:
            raise ValueError(
                f"two rules apply with the same precedence ({winners[0].scope}): "
                f"{winners[0]} and {other}; keep one, or make one more specific"
            )
    return winners[0]
