"""The bar chart's layout (pure) and who may see the statistics (rules)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from abroad.reporting.charts import DIGIT_WIDTH, WIDTH, bar_chart
from tests.who_may import who_may


def test_the_longest_bar_fills_the_room_and_the_others_scale() -> None:
    chart = bar_chart([("Germany", 10), ("France", 5), ("Spain", 0), ("None", None)])
    widths = [bar.width for bar in chart.bars]
    assert widths[0] > widths[1] > 0
    assert widths[1] == round(widths[0] / 2)
    assert widths[2] == 0
    assert widths[3] == 0
    assert max(bar.number_x for bar in chart.bars) < WIDTH
    assert [bar.text for bar in chart.bars] == ["10", "5", "0", "–"]
    # each bar sits below its label, bars never overlap
    ys = [bar.bar_y for bar in chart.bars]
    assert ys == sorted(ys)
    assert len(set(ys)) == 4
    assert chart.height > ys[-1]


def test_a_small_value_still_shows_a_bar_and_a_share_its_unit() -> None:
    chart = bar_chart([("A", Decimal(1000)), ("B", Decimal("0.1"))], fmt="{} %")
    assert chart.bars[1].width == 1
    assert chart.bars[1].text == "0.1 %"


def test_long_labels_are_shortened_in_the_chart() -> None:
    (bar,) = bar_chart([("x" * 80, 1)]).bars
    assert len(bar.label) == 40
    assert bar.label.endswith("…")


def test_an_empty_chart() -> None:
    chart = bar_chart([])
    assert chart.bars == ()
    assert chart.height > 0


@pytest.mark.django_db
def test_only_the_office_sees_the_dashboard(people: dict[str, object]) -> None:
    allowed = who_may(people, "statistics.view_dashboard")
    assert allowed == {"office", "school_office", "other_school_office", "superuser"}
    assert who_may(people, "statistics.view_partner") == set(people)


def test_a_long_number_still_fits_after_the_longest_bar() -> None:
    chart = bar_chart([("2023/2024", Decimal("170544.70")), ("2024/2025", Decimal("138574.99"))])
    longest = chart.bars[0]
    assert longest.number_x + len(longest.text) * DIGIT_WIDTH + 6 <= WIDTH
