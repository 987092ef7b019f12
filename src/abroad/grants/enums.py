"""What a row of a rate table says (the ``key`` column of the office's spreadsheet)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateKey(models.TextChoices):
    COUNTRY_GROUP = "country_group", _("Country in a group (country, group)")
    MONTHLY = "monthly", _("Individual support a month (group)")
    TRAINEESHIP_MONTHLY = "traineeship_monthly", _("Traineeship top-up a month")
    FEWER_OPPORTUNITIES_MONTHLY = (
        "fewer_opportunities_monthly",
        _("Fewer-opportunities top-up a month (long stays)"),
    )
    SHORT_DAILY_1_14 = "short_daily_1_14", _("Short stays: a day, days 1-14")
    SHORT_DAILY_15_30 = "short_daily_15_30", _("Short stays: a day, days 15-30")
    SHORT_FEWER_5_14 = "short_fewer_5_14", _("Short stays: fewer-opportunities top-up, 5-14 days")
    SHORT_FEWER_15_30 = (
        "short_fewer_15_30",
        _("Short stays: fewer-opportunities top-up, 15-30 days"),
    )
    GREEN_TOP_UP = "green_top_up", _("Green travel top-up")
    GREEN_TRAVEL_DAYS = "green_travel_days", _("Green travel: most travel days paid")
    TRAVEL = "travel", _("Travel by distance band (from km, to km; green amount)")
    ISEE = "isee", _("University top-up a month by ISEE (to ISEE)")
    ISEE_MAX_MONTHS = "isee_max_months", _("University top-up: most months paid")
    THESIS_FIXED = "thesis_fixed", _("Thesis abroad: fixed amount")
    THESIS_TRAVEL_EUROPE = "thesis_travel_europe", _("Thesis abroad: travel within Europe")
    THESIS_TRAVEL_ELSEWHERE = "thesis_travel_elsewhere", _("Thesis abroad: travel outside Europe")
    THESIS_PER_MONTH = "thesis_per_month", _("Thesis abroad: a month")
    THESIS_MONTHS_CAP = "thesis_months_cap", _("Thesis abroad: most paid for the months")
