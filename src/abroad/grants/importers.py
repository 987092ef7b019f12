"""The office's rate table as a spreadsheet (XLSX or CSV, through ``core.importing``): one row
per amount, columns ``key`` (:class:`RateKey`), ``group``, ``country``, ``from``, ``to``,
``amount``, ``green_amount`` (:data:`abroad.grants.enums.RateKey` says which each key
needs). Reading only: each bad cell is added to the report's errors
with its line; ``services`` writes, all or nothing. The export writes the same columns, so a
table goes out and comes back in unchanged."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.translation import gettext as _
from django_countries import countries

from abroad.core import importing
from abroad.core.importing import ImportReport, Invalid, Row, RowError, clean, quoted
from abroad.grants.enums import RateKey
from abroad.grants.models import Rate

KEY = "key"
GROUP = "group"
COUNTRY = "country"
LOW = "from"
HIGH = "to"
AMOUNT = "amount"
GREEN = "green_amount"
COLUMNS = (KEY, GROUP, COUNTRY, LOW, HIGH, AMOUNT, GREEN)
REQUIRED = (KEY, AMOUNT)
MAX_AMOUNT = Decimal("99999999.99")
GROUPS = ("1", "2", "3", "partner")
WHOLE_KEYS = (RateKey.GREEN_TRAVEL_DAYS, RateKey.ISEE_MAX_MONTHS)


@dataclass(frozen=True)
class RateRow:
    line: int
    key: str
    group: str
    country: str
    low: Decimal | None
    high: Decimal | None
    amount: Decimal
    green_amount: Decimal | None

    def identity(self) -> tuple[str, str, str, Decimal | None, Decimal | None]:
        return (self.key, self.group, self.country, self.low, self.high)


def number(value: Any, text: str) -> Decimal:
    """An amount: 0 or more, at most two decimals; "1.234,5" is not guessed, "1234,5" is."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        found = Decimal(str(value))
    else:
        try:
            found = Decimal(text.replace(",", "."))
        except InvalidOperation:
            found = Decimal("NaN")
    if not found.is_finite() or not 0 <= found <= MAX_AMOUNT:
        raise Invalid(_("%(value)s is not an amount of 0 or more") % {"value": quoted(text)})
    if found != found.quantize(Decimal("0.01")):
        raise Invalid(_("%(value)s has more than two decimals") % {"value": quoted(text)})
    return found.quantize(Decimal("0.01"))


_check_header = importing.header_check(known=COLUMNS, required=REQUIRED)


def _optional_number(row: Row, column: str, errors: list[RowError]) -> Decimal | None:
    text = clean(row[column])
    if not text:
        return None
    try:
        return number(row[column], text)
    except Invalid as error:
        errors.append(RowError(row.line, column, str(error)))
        return None


def _needs(row: Row, column: str, what: str, errors: list[RowError]) -> None:
    if not clean(row[column]):
        errors.append(
            RowError(row.line, column, _("the cell is empty: write %(what)s") % {"what": what})
        )


def read_rates(source: importing.Source, report: ImportReport) -> list[RateRow]:
    """The rows of a rate table file; its problems go to ``report.errors``."""
    table = importing.read_import_table(
        source, report, anchors=(KEY, AMOUNT), check_header=_check_header
    )
    if table is None:
        return []
    rows: list[RateRow] = []
    seen: dict[tuple[str, str, str, Decimal | None, Decimal | None], int] = {}
    for row in table.rows:
        errors: list[RowError] = []
        key = row.text(KEY).lower()
        if key not in RateKey.values:
            errors.append(
                RowError(
                    row.line,
                    KEY,
                    _("%(value)s is not a key of the rate table: write one of %(keys)s")
                    % {"value": quoted(row.text(KEY)), "keys": ", ".join(RateKey.values)},
                )
            )
        group = row.text(GROUP).lower()
        country = row.text(COUNTRY).upper()
        if key in (RateKey.MONTHLY, RateKey.COUNTRY_GROUP):
            if group not in GROUPS:
                errors.append(
                    RowError(
                        row.line,
                        GROUP,
                        _("%(value)s is not a country group: write 1, 2, 3 or partner")
                        % {"value": quoted(group)},
                    )
                )
        elif group:
            errors.append(RowError(row.line, GROUP, _("this key takes no country group")))
        if key == RateKey.COUNTRY_GROUP and country not in dict(countries):
            errors.append(
                RowError(
                    row.line,
                    COUNTRY,
                    _("%(value)s is not a country code: write its two letters, e.g. FI")
                    % {"value": quoted(country)},
                )
            )
        elif key != RateKey.COUNTRY_GROUP and country:
            errors.append(RowError(row.line, COUNTRY, _("this key takes no country")))
        low = _optional_number(row, LOW, errors)
        high = _optional_number(row, HIGH, errors)
        green = _optional_number(row, GREEN, errors)
        if key == RateKey.TRAVEL:
            _needs(row, LOW, _("the distance band's first kilometre"), errors)
            if low is not None and high is not None and high < low:
                errors.append(RowError(row.line, HIGH, _("the band ends before it starts")))
        amount = Decimal(0)
        if key != RateKey.COUNTRY_GROUP or clean(row[AMOUNT]):  # a country has no amount
            try:
                amount = number(row[AMOUNT], clean(row[AMOUNT]))
            except Invalid as error:
                errors.append(RowError(row.line, AMOUNT, str(error)))
        if key in WHOLE_KEYS and amount != amount.to_integral_value():
            errors.append(RowError(row.line, AMOUNT, _("write a whole number")))
        if not errors:
            found = RateRow(row.line, key, group, country, low, high, amount, green)
            if found.identity() in seen:
                errors.append(
                    RowError(
                        row.line,
                        KEY,
                        _("the same amount is already on line %(line)d")
                        % {"line": seen[found.identity()]},
                    )
                )
            else:
                seen[found.identity()] = row.line
                rows.append(found)
        report.errors.extend(errors)
    if not report.errors and not any(r.key == RateKey.MONTHLY for r in rows):
        report.errors.append(
            RowError(None, KEY, _("the table has no monthly amount: add a monthly row per group"))
        )
    return rows


def write_rates(rates: Iterable[Rate], target: str | IO[bytes], fmt: importing.Format) -> int:
    """The table's rows in the import's columns."""
    return importing.write_table(
        target,
        columns=COLUMNS,
        fmt=fmt,
        sheet="rates",
        text_columns=(GROUP,),
        rows=(
            {
                KEY: rate.key,
                GROUP: rate.group,
                COUNTRY: str(rate.country),
                LOW: rate.low,
                HIGH: rate.high,
                AMOUNT: "" if rate.key == RateKey.COUNTRY_GROUP else rate.amount,
                GREEN: rate.green_amount,
            }
            for rate in rates
        ),
    )
