"""The Alliance4Tech certificate rule. Pure Python, no Django.

A student earns the Alliance4Tech certificate, besides their home degree, with stays at partner
institutions of the alliance:

* at least ``min_institutions`` (2) different partner institutions,
* at least ``min_total`` (30) ECTS earned abroad in total, over those stays,
* at least ``min_each`` (10) ECTS at each of the institutions that make up the two.

Several stays at the same institution add up. An institution where the student earned fewer
than ``min_each`` credits still counts towards the total, but not as one of the two
institutions. The home institution is not a stay abroad: the caller passes partners only.

A stay is ``provisional`` when its credits are planned (the learning agreement) rather than
recognised after the mobility; the result is then only ``on_track``, never ``met``.

:func:`check` returns a :class:`Result` whose ``problems`` are codes with their numbers (the
pages word them in the user's language); :func:`explain` words a result in English.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

MIN_INSTITUTIONS = 2
MIN_TOTAL = Decimal(30)
MIN_EACH = Decimal(10)


@dataclass(frozen=True)
class Stay:
    """A stay at a partner institution and the ECTS earned (or planned) there."""

    institution: str
    ects: Decimal
    provisional: bool = False


@dataclass(frozen=True)
class Institution:
    """The credits at one institution, all its stays together."""

    name: str
    ects: Decimal
    counts: bool  # at least ``min_each``: one of the institutions the rule needs
    provisional: bool


@dataclass(frozen=True)
class Problem:
    """Why the rule is not met: ``code`` is one of ``institutions``, ``total``, ``each``."""

    code: str
    needed: Decimal
    have: Decimal
    institution: str = ""


@dataclass(frozen=True)
class Result:
    institutions: tuple[Institution, ...]
    total: Decimal
    problems: tuple[Problem, ...] = field(default_factory=tuple)
    provisional: bool = False

    @property
    def on_track(self) -> bool:
        """The credits as they stand (planned ones included) meet the rule."""
        return not self.problems

    @property
    def met(self) -> bool:
        """The rule is met with recognised credits only."""
        return self.on_track and not self.provisional


def check(
    stays: Iterable[Stay],
    *,
    min_institutions: int = MIN_INSTITUTIONS,
    min_total: Decimal = MIN_TOTAL,
    min_each: Decimal = MIN_EACH,
) -> Result:
    """Check the certificate rule on ``stays`` (see the module)."""
    credits: dict[str, Decimal] = {}
    provisional: dict[str, bool] = {}
    for stay in stays:
        if stay.ects < 0:
            raise ValueError(f"{stay.institution}: negative credits ({stay.ects})")
        credits[stay.institution] = credits.get(stay.institution, Decimal(0)) + stay.ects
        provisional[stay.institution] = provisional.get(stay.institution, False) or stay.provisional
    institutions = tuple(
        Institution(name, ects, ects >= min_each, provisional[name])
        for name, ects in sorted(credits.items(), key=lambda item: (-item[1], item[0]))
    )
    total = sum(credits.values(), Decimal(0))
    counting = [i for i in institutions if i.counts]
    problems: list[Problem] = []
    if len(institutions) < min_institutions:
        problems.append(
            Problem("institutions", Decimal(min_institutions), Decimal(len(institutions)))
        )
    else:
        # Enough institutions, but some fall short of the credits needed at each.
        short = [i for i in institutions if not i.counts]
        missing = min_institutions - len(counting)
        for institution in short[:missing] if missing > 0 else []:
            problems.append(Problem("each", min_each, institution.ects, institution.name))
    if total < min_total:
        problems.append(Problem("total", min_total, total))
    return Result(
        institutions=institutions,
        total=total,
        problems=tuple(problems),
        provisional=any(i.provisional for i in institutions),
    )


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def explain(result: Result) -> str:
    """The result in English, e.g. "Not yet: 2 institutions needed, you have 1; ..."."""
    if result.met:
        head = "Met"
    elif result.on_track:
        head = "On track (planned credits)"
    else:
        head = "Not yet"
    parts = []
    for problem in result.problems:
        if problem.code == "institutions":
            parts.append(
                f"{_number(problem.needed)} institutions needed, you have {_number(problem.have)}"
            )
        elif problem.code == "each":
            parts.append(
                f"{_number(problem.needed)} ECTS needed at {problem.institution}, you have "
                f"{_number(problem.have)}"
            )
        else:
            parts.append(
                f"{_number(problem.needed)} ECTS needed in total, you have {_number(problem.have)}"
            )
    stays = ", ".join(f"{i.name} {_number(i.ects)} ECTS" for i in result.institutions)
    text = f"{head}: {'; '.join(parts)}" if parts else head
    return f"{text} ({stays or 'no stay'}; total {_number(result.total)} ECTS)"
