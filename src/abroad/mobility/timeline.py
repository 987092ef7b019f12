"""Steps that other apps add to a mobility's timeline (the recognition of the exams, after the
mobility). The mobility app does not import those apps: they register a function here when
Django starts (their AppConfig.ready), and the timeline asks each one for its step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from abroad.mobility.enums import MobilityState

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


# The first step, which the mobility's own timeline shows: the nomination is the office's act,
# so it is done only once the office has moved the mobility past "to nominate" (it records the
# student's application to the host after nominating them). A seat just accepted is not yet a
# nomination, whatever created the mobility (a call, an ATHENS allocation, the office).
NOMINATED_STATES = (
    MobilityState.APPLIED,
    MobilityState.ACCEPTED,
    MobilityState.IN_MOBILITY,
    MobilityState.COMPLETED,
)


def nominated(mobility: Mobility) -> bool:
    """The office has nominated the student to the host."""
    return mobility.state in NOMINATED_STATES


def nomination_text(mobility: Mobility) -> str:
    """The nomination step in words, true before and after the office's act."""
    host = mobility.host.display_name
    if nominated(mobility):
        return _("The International Mobility Unit nominated you to %(host)s.") % {"host": host}
    return _(
        "You have a seat at %(host)s. The International Mobility Unit nominates you to the "
        "host; this step is done when it has."
    ) % {"host": host}
