"""What a student's career must show to apply (a call, an ATHENS session): the rules both
share, in one place, with the messages the student reads."""

from __future__ import annotations

from django.utils.translation import gettext as _

from abroad.people.models import StudentCareer


def career_problems(
    career: StudentCareer | None, *, require_first_year: bool, min_credits: int
) -> list[str]:
    """Why the career does not qualify (empty: it does); without a career, that it has not
    reached us from the registrar."""
    if career is None:
        return [_("Your career data has not reached us from the registrar yet.")]
    problems = []
    if require_first_year and not career.first_year_completed:
        problems.append(_("You must have completed your first year."))
    if career.total_credits < min_credits:
        problems.append(
            _("You need at least %(credits)d credits; you have %(have)d.")
            % {"credits": min_credits, "have": career.total_credits}
        )
    return problems
