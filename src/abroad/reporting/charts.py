"""Bar charts drawn on the server as SVG, laid out here (pure, no Django).

Each bar has its label on a line of its own above it, so that a long name never has to share
the width with its bar and the chart stays readable at 360 px; the number is written at the
end of the bar. Geometry only: the template draws it, with a ``<title>`` and a ``<desc>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH = 340
LABEL_HEIGHT = 20
BAR_HEIGHT = 18
GAP = 10
NUMBER_ROOM = 60  # room kept at the right for the number after the longest bar, at least
DIGIT_WIDTH = 10  # the width of a character of the numbers (15 px, bold), generously
MAX_LABEL = 40  # characters of a label drawn in the chart (the table has them all)


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | int | None
    text: str
    label_y: int
    bar_y: int
    width: int
    number_x: int
    number_y: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    bar_height: int = BAR_HEIGHT


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def bar_chart(
    items: Sequence[tuple[str, Decimal | int | float | None]], *, fmt: str = "{}"
) -> Chart:
    """Lay out one horizontal bar per ``(label, value)``; a missing value draws no bar."""
    values = [value for _, value in items if value is not None]
    highest = max((float(value) for value in values), default=0.0)
    texts = ["–" if value is None else fmt.format(value) for _, value in items]
    # the longest number (euros: "163643.30") still fits after the longest bar
    widest = max((len(text) for text in texts), default=0) * DIGIT_WIDTH + 12
    room = WIDTH - max(NUMBER_ROOM, widest)
    bars = []
    y = 0
    for (label, value), text in zip(items, texts, strict=True):
        width = 0
        if value is not None and highest > 0:
            width = max(round(float(value) / highest * room), 1 if value else 0)
        bar_y = y + LABEL_HEIGHT
        bars.append(
            Bar(
                label=_short(str(label)),
                value=value if not isinstance(value, float) else Decimal(str(value)),
                text=text,
                label_y=y + LABEL_HEIGHT - 6,
                bar_y=bar_y,
                width=width,
                number_x=width + 6,
                number_y=bar_y + BAR_HEIGHT - 5,
            )
        )
        y = bar_y + BAR_HEIGHT + GAP
    return Chart(width=WIDTH, height=max(y, LABEL_HEIGHT), bars=tuple(bars))
