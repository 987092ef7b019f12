"""Steps that other apps add to a mobility's timeline (the recognition of the exams, after the
mobility). The mobility app does not import those apps: they register a function here when
Django starts (their AppConfig.ready), and the timeline asks each one for its step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from abroad.mobility.models import Mobility


@dataclass(frozen=True)
class ExtraStep:
    """A step as another app sees it; ``status`` as the timeline's (done, todo, current...)."""

    key: str
    title: str
    status: str
    text: str
    url: str = ""
    link: str = ""


StepFunction = Callable[["Mobility"], ExtraStep | None]
EXTRA_STEPS: list[StepFunction] = []


def register(function: StepFunction) -> StepFunction:
    if function not in EXTRA_STEPS:
        EXTRA_STEPS.append(function)
    return function


def extra_steps(mobility: Mobility) -> list[ExtraStep]:
    return [step for function in EXTRA_STEPS if (step := function(mobility)) is not None]
