"""The Erasmus+ day count (pure): a commercial year of 360 days, every month of 30 days.

The Programme Guide counts a stay's length this way and pays a partial month by the day
(1/30 of the monthly rate a day); mobility counts its months with it and grants pay with it.
"""

from __future__ import annotations

import datetime as dt


def days_360(start: dt.date, end: dt.date) -> int:
    """Days from ``start`` to ``end``, both included, with every month of 30 days: 1 September
    to 31 January is 150 days, 1 to 28 February 30 (a whole month), 1 to 15 March 15."""
    after = end + dt.timedelta(days=1)
    return (
        (after.year - start.year) * 360
        + (after.month - start.month) * 30
        + min(after.day, 30)
        - min(start.day, 30)
    )


def months_and_days(start: dt.date, end: dt.date) -> tuple[int, int]:
    """Whole 30-day months and the days left over, from ``start`` to ``end`` (included)."""
    whole, rest = divmod(max(0, days_360(start, end)), 30)
    return whole, rest
