"""What the spreadsheet imports and exports share: reading and writing the office's
spreadsheets, XLSX (openpyxl) or CSV, by the file's name; the row errors and the report of an
all-or-nothing import; the driver that writes in one transaction; a progress bar.

A table's header row is found by its column names, not by its position: the Commission's
files start with a blank row, offices add a title above theirs. Column names compare as
keys (``"Erasmus Code"`` and ``"erasmus_code"`` are both ``erasmus_code``). Every data row
keeps the line it came from (the spreadsheet's row number, or the CSV line where the record
starts), so that every message can name it.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any, Literal, Protocol, TypeVar

import openpyxl
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter
from tqdm import tqdm

from abroad.core import audit
from abroad.core.academic_year import parse_year
from abroad.core.enums import ISCED_FIELDS

T = TypeVar("T")

Format = Literal["xlsx", "csv"]
Source = str | Path | IO[bytes]

# How far down a sheet the header row may be.
HEADER_SEARCH_ROWS = 20


class TableError(Exception):
    """The file as a whole cannot be read: wrong type, no header row, missing columns."""


class Progress(Protocol):
    """Wraps an iterable to show progress (tqdm), or returns it as it is."""

    def __call__(self, iterable: Iterable[T], *, total: int, desc: str) -> Iterable[T]: ...


def no_progress(iterable: Iterable[T], *, total: int, desc: str) -> Iterable[T]:
    return iterable


def terminal_progress(*, quiet: bool = False) -> Progress:
    """A tqdm bar on stderr, or no bar when ``quiet`` or when stderr is not a terminal."""
    if quiet or not sys.stderr.isatty():
        return no_progress

    def bar(iterable: Iterable[T], *, total: int, desc: str) -> Iterable[T]:
        return tqdm(iterable, total=total, desc=desc, unit="row", file=sys.stderr, leave=False)

    return bar


def clean(value: Any) -> str:
    """A cell as trimmed text: NBSP is a space, runs of blanks are one space, whole floats
    lose their ``.0`` (Excel stores 3 as 3.0), empty cells are ``""``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value).replace("\xa0", " ")).strip()


def clean_text(value: Any) -> str:
    """A free-text cell (notes): like :func:`clean`, but keeping its lines and spacing."""
    if value is None:
        return ""
    lines = str(value).replace("\xa0", " ").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in lines.split("\n")).strip()


def column_key(name: Any) -> str:
    """``"Erasmus Code"`` -> ``"erasmus_code"``; ``" agreement_code "`` -> ``"agreement_code"``."""
    return re.sub(r"[^a-z0-9]+", "_", clean(name).lower()).strip("_")


@dataclass(frozen=True)
class Row:
    line: int
    cells: Mapping[str, Any]

    def __getitem__(self, column: str) -> Any:
        return self.cells.get(column)

    def text(self, column: str) -> str:
        return clean(self.cells.get(column))


@dataclass
class Table:
    name: str
    sheet: str | None
    header_line: int
    columns: list[str]  # the keys of the header's named columns, in the file's order
    rows: list[Row] = field(default_factory=list)


def file_format(name: str) -> Format:
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise TableError(f"{Path(name).name or name!r} is neither an .xlsx nor a .csv file")


def source_name(source: Source, name: str | None = None) -> str:
    if name:
        return name
    if isinstance(source, str | Path):
        return str(source)
    return str(getattr(source, "name", "") or "upload")


def read_table(source: Source, *, anchors: Collection[str], name: str | None = None) -> Table:
    """The first table in ``source`` whose header row has all the ``anchors`` column keys.

    ``name`` (the file name) decides the format when ``source`` is an open file.
    """
    name = source_name(source, name)
    fmt = file_format(name)
    anchors = {column_key(anchor) for anchor in anchors}
    try:
        if fmt == "xlsx":
            return _read_xlsx(source, anchors=anchors, name=name)
        return _read_csv(source, anchors=anchors, name=name)
    except TableError:
        raise
    except FileNotFoundError:
        raise TableError(f"there is no file {name}") from None
    except Exception as error:  # zipfile.BadZipFile, openpyxl's errors, csv.Error, OSError
        raise TableError(f"{Path(name).name} cannot be read as {fmt.upper()}: {error}") from None


def _header(cells: Sequence[Any], anchors: set[str]) -> list[str] | None:
    keys = [column_key(cell) for cell in cells]
    return keys if anchors <= set(keys) else None


def _make_table(
    name: str, sheet: str | None, header_line: int, keys: list[str], numbered: Iterable[Any]
) -> Table:
    duplicates = sorted({key for key in keys if key and keys.count(key) > 1})
    if duplicates:
        raise TableError(
            f"the header row (line {header_line}) names the column(s) "
            f"{', '.join(repr(d) for d in duplicates)} more than once: keep one of each"
        )
    table = Table(
        name=name, sheet=sheet, header_line=header_line, columns=[key for key in keys if key]
    )
    positions = [(index, key) for index, key in enumerate(keys) if key]
    for line, values in numbered:
        if not any(clean(value) for value in values):
            continue
        cells = {key: values[index] if index < len(values) else None for index, key in positions}
        table.rows.append(Row(line=line, cells=cells))
    return table


def _anchor_error(name: str, anchors: set[str]) -> TableError:
    return TableError(
        f"{Path(name).name} has no header row with the columns "
        f"{', '.join(sorted(anchors))} in its first {HEADER_SEARCH_ROWS} rows"
    )


def _read_xlsx(source: Source, *, anchors: set[str], name: str) -> Table:
    with warnings.catch_warnings():
        # The Commission's files carry extensions openpyxl does not know; they are harmless.
        warnings.simplefilter("ignore", UserWarning)
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                rows = enumerate(sheet.iter_rows(values_only=True), start=1)
                for line, values in rows:
                    keys = _header(values, anchors)
                    if keys is not None:
                        return _make_table(name, sheet.title, line, keys, rows)
                    if line >= HEADER_SEARCH_ROWS:
                        break
        finally:
            workbook.close()
    raise _anchor_error(name, anchors)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's "CSV" on Windows saves in the ANSI code page.
        return data.decode("cp1252", errors="replace")


def _read_csv(source: Source, *, anchors: set[str], name: str) -> Table:
    data = Path(source).read_bytes() if isinstance(source, str | Path) else source.read()
    text = _decode(data)
    lines = text.splitlines(keepends=True)
    first = next((line for line in lines if line.strip()), "")
    # Excel in Italian (and most of Europe) separates with semicolons.
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def numbered() -> Iterator[tuple[int, list[str]]]:
        end = 0
        for values in reader:
            yield end + 1, [undefuse(value) for value in values]
            end = reader.line_num

    rows = numbered()
    for line, values in rows:
        keys = _header(values, anchors)
        if keys is not None:
            return _make_table(name, None, line, keys, rows)
        if line >= HEADER_SEARCH_ROWS:
            break
    raise _anchor_error(name, anchors)


def write_table(
    target: str | Path | IO[bytes],
    *,
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    fmt: Format | None = None,
    sheet: str = "Sheet1",
    text_columns: Collection[str] = (),
) -> int:
    """Write ``rows`` under a header of ``columns``; return the number of rows written.

    Every export goes through here, so none carries a live formula: in XLSX every text is a
    text cell (never a formula, whatever it begins with); in CSV a text beginning with ``=``,
    ``+``, ``-``, ``@``, a tab or a CR gets a leading apostrophe (:func:`defuse`), which the
    CSV reader takes off again (:func:`undefuse`), so that a file goes out and comes back in
    unchanged. ``text_columns`` are stored as text in XLSX, so that Excel keeps ``0715``.
    """
    if fmt is None:
        fmt = file_format(str(target) if isinstance(target, str | Path) else target.name)
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow([defuse(column) for column in columns])
        count = 0
        for row in rows:
            writer.writerow([defuse(_csv_value(row.get(column))) for column in columns])
            count += 1
        # A BOM, so that Excel opens the file as UTF-8.
        data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
        if isinstance(target, str | Path):
            Path(target).write_bytes(data)
        else:
            target.write(data)
        return count
    workbook = openpyxl.Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    for index, column in enumerate(columns, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = max(12, len(column) + 2)
    worksheet.freeze_panes = "A2"
    worksheet.append([_text_cell(worksheet, column) for column in columns])
    count = 0
    text = set(text_columns)
    for row in rows:
        values: list[Any] = []
        for column in columns:
            value = row.get(column)
            if column in text and value not in (None, ""):
                cell = _text_cell(worksheet, str(value))
                cell.number_format = "@"
                values.append(cell)
            elif isinstance(value, str):
                values.append(_text_cell(worksheet, value))
            else:
                values.append(value)
        worksheet.append(values)
        count += 1
    workbook.save(target)
    return count


def _csv_value(value: Any) -> Any:
    return "" if value is None else value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: Any) -> Any:
    """``value`` as a spreadsheet shows it but never runs it: a text beginning with a formula
    character gets a leading apostrophe (OWASP's advice for CSV); anything else is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def undefuse(value: str) -> str:
    """The text :func:`defuse` was given: the apostrophe it added taken off."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _text_cell(worksheet: Any, value: str) -> Any:
    """A text cell: openpyxl would store a text beginning with ``=`` as a formula."""
    cell = openpyxl.cell.WriteOnlyCell(worksheet, value=value)
    cell.data_type = "s"
    return cell


# ---------------------------------------------------------------------------------------
# Imports: what they report, and how they write


@dataclass(frozen=True)
class RowError:
    """One thing wrong with the file: where (line, column) and what to do about it."""

    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.line is not None and self.column is not None:
            return f"line {self.line}, column '{self.column}': {self.message}"
        if self.line is not None:
            return f"line {self.line}: {self.message}"
        if self.column is not None:
            return f"column '{self.column}': {self.message}"
        return self.message


class Invalid(Exception):
    """A cell that cannot be read; the message says why and how to fix it."""


def quoted(value: str) -> str:
    return f"'{value}'"


def check_columns(
    columns: list[str],
    header_line: int,
    errors: list[RowError],
    *,
    known: Sequence[str],
    required: Sequence[str],
    one_of: Sequence[tuple[str, str]] = (),
    together: Sequence[tuple[str, str]] = (),
) -> None:
    """Add to ``errors`` the header's columns that are not ``known``, the ``required``
    columns it lacks, each pair of ``one_of`` of which it has neither, and each pair of
    ``together`` of which it has only one. Every importer's header check is this one, with
    its own columns (:func:`header_check`)."""
    names = ", ".join(known)
    for column in columns:
        if column not in known:
            errors.append(
                RowError(
                    header_line,
                    column,
                    _(
                        "abroad does not read a column %(column)s: rename it to one of "
                        "%(known)s, or remove it"
                    )
                    % {"column": quoted(column), "known": names},
                )
            )
    for column in required:
        if column not in columns:
            errors.append(
                RowError(
                    header_line,
                    column,
                    _("the header row has no column %(column)s: add it") % {"column": column},
                )
            )
    for first, second in one_of:
        if first not in columns and second not in columns:
            errors.append(
                RowError(
                    header_line,
                    first,
                    _("the header row has neither %(a)s nor %(b)s: add one of them")
                    % {"a": first, "b": second},
                )
            )
    for pair in together:
        present = [column for column in pair if column in columns]
        if len(present) == 1:
            missing = next(column for column in pair if column not in columns)
            errors.append(
                RowError(
                    header_line,
                    missing,
                    _("the columns %(a)s and %(b)s go together: add %(column)s")
                    % {"a": pair[0], "b": pair[1], "column": missing},
                )
            )


HeaderCheck = Callable[[list[str], int, list[RowError]], None]


def header_check(
    *,
    known: Sequence[str],
    required: Sequence[str],
    one_of: Sequence[tuple[str, str]] = (),
    together: Sequence[tuple[str, str]] = (),
) -> HeaderCheck:
    """The ``check_header`` of :func:`read_import_table` for a file of these columns."""

    def check(columns: list[str], header_line: int, errors: list[RowError]) -> None:
        check_columns(
            columns,
            header_line,
            errors,
            known=known,
            required=required,
            one_of=one_of,
            together=together,
        )

    return check


# ------------------------------------------------------------------------------ cells
#
# The cell parsers every importer shares. A parser is given a cell's text (cleaned, never
# empty: the importer decides what an empty cell means) and returns its value or raises
# Invalid with a message that says how to fix it.

YES = frozenset({"yes", "y", "true", "1", "si", "sì", "x"})
NO = frozenset({"no", "n", "false", "0"})


def yes_no(text: str, default: bool | None = None) -> bool:
    """A yes/no cell. An empty cell is the column's stated default when it has one (an
    optional column, e.g. an offer's ``extendable``: no), and an error when it has none (a
    required column, e.g. a career's ``first_year_completed``): never a silent "no"."""
    key = text.strip().lower()
    if not key and default is not None:
        return default
    if key in YES:
        return True
    if key in NO:
        return False
    raise Invalid(_("%(value)s is not yes or no") % {"value": quoted(text)})


def academic_year(text: str, *, plain: bool = False, message: str = "") -> int:
    """An academic year's first calendar year, from ``2026/2027`` (and the other forms of
    :func:`abroad.core.academic_year.parse_year`); with ``plain`` a calendar year (``2026``)
    too. ``message`` (with ``%(value)s``) says what to write instead; the importer checks its
    own bounds."""
    try:
        if plain and re.fullmatch(r"\d{4}", text):
            return int(text)
        return parse_year(text)
    except ValueError:
        raise Invalid(
            (message or _("%(value)s is not an academic year like 2026/2027"))
            % {"value": quoted(text)}
        ) from None


def isced(value: Any, text: str, *, lengths: Collection[int] = (3, 4), message: str = "") -> str:
    """An ISCED-F field code that exists (:data:`abroad.core.enums.ISCED_FIELDS`), of one of
    ``lengths`` digits; the leading zero Excel drops from a number (715 for 0715) is put
    back. ``message`` (with ``%(value)s``) says what to write instead."""
    candidates = [text]
    if isinstance(value, int | float) or text.isdigit():
        candidates += [text.zfill(length) for length in sorted(lengths)]
    for candidate in candidates:
        if len(candidate) in lengths and candidate in ISCED_FIELDS:
            return candidate
    raise Invalid(
        (
            message
            or _(
                "%(value)s is not an ISCED-F field code: write a code like 0715 (mechanics), "
                "0731 (architecture), 0732 (civil engineering), 0613 (software) or 0212 (design)"
            )
        )
        % {"value": quoted(text)}
    )


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.field}: {self.old!r} -> {self.new!r}"


@dataclass
class ImportReport:
    """What an all-or-nothing import did, or would do with ``dry_run``: a file with any
    error imports nothing."""

    file: str
    dry_run: bool
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def imported(self) -> bool:
        return self.ok and not self.dry_run

    def counts(self) -> dict[str, int]:
        """What the audit log records of an import: ``rows`` and every other whole-number
        field a report adds (its created, updated, unchanged ... counters)."""
        return {
            f.name: value
            for f in fields(self)
            if isinstance(value := getattr(self, f.name), int) and not isinstance(value, bool)
        }

    def imported_summary(self) -> str:
        """The summary of an import without errors."""
        return f"{self.rows} rows in {Path(self.file).name}"

    def summary(self) -> str:
        if self.errors:
            return (
                f"{Path(self.file).name}: {len(self.errors)} problem(s) in {self.rows} rows; "
                "nothing was imported. Correct the file and import it again."
            )
        return self.imported_summary()

    def lines(self) -> Iterator[str]:
        yield ("DRY RUN, nothing was written. " if self.dry_run else "") + self.summary()
        for error in self.errors:
            yield f"  {error}"


def read_import_table(
    source: Source,
    report: ImportReport,
    *,
    anchors: Collection[str],
    check_header: Callable[[list[str], int, list[RowError]], None],
) -> Table | None:
    """The table in ``source`` (named ``report.file``) with a checked header and some rows;
    None, with what is wrong in ``report.errors``, when there is nothing to import."""
    try:
        table = read_table(source, anchors=anchors, name=report.file)
    except TableError as error:
        report.errors.append(RowError(None, None, str(error)))
        return None
    report.rows = len(table.rows)
    check_header(table.columns, table.header_line, report.errors)
    if report.errors:
        return None
    if not table.rows:
        report.errors.append(
            RowError(table.header_line, None, _("the file has no rows under its header"))
        )
        return None
    return table


class Audited(Protocol):
    file: str
    dry_run: bool

    def counts(self) -> Mapping[str, Any]: ...


def write_atomically(
    report: Audited, write: Callable[[], object], *, actor: Any, action: str
) -> None:
    """Run ``write`` and record ``action`` in the audit log in one transaction; with
    ``report.dry_run``, roll it all back and record nothing. The audit event carries the
    file's name and the report's counts as they are once ``write`` has run."""
    with transaction.atomic():
        write()
        if report.dry_run:
            transaction.set_rollback(True)
        else:
            counts: dict[str, Any] = dict(report.counts())
            audit.record(actor=actor, action=action, file=Path(report.file).name, **counts)
