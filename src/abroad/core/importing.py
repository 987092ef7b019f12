"""What the spreadsheet imports and exports share: reading and writing the office's
spreadsheets, XLSX (openpyxl) or CSV, by the file's name; the row errors and the report of an
all-or-nothing import; the driver that writes in one transaction; a progress bar.

A table's header row is found by its column names, not by its position: the Commission's
files start with a blank row, offices add a title above theirs. Column names compare as
keys (``"Erasmus Code"`` and ``"erasmus_code"`` are both ``erasmus_code``). Every data row
keeps the line it came from (the spreadsheet's row number, or the CSV line where the record
starts), so that every message can name it.

Every import is bounded (the settings ``ABROAD_IMPORT_MAX_MB``, ``ABROAD_IMPORT_MAX_ROWS`` and
``ABROAD_IMPORT_MAX_ERRORS``, :class:`Bounds`): :func:`read_table` refuses a file larger than
the cap before reading it, an XLSX whose parts unpack to more than ten times the cap (a zip
bomb) before openpyxl opens it, and stops reading at the row cap, so that a sheet of a million
rows is never held whole; a cell holding a NUL character is refused with its line and column.
A report keeps the first errors and counts the others (:class:`ErrorList`).
"""

from __future__ import annotations

import csv
import io
import re
import sys
import warnings
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any, Literal, Protocol, TypeVar

import openpyxl
from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_countries import countries
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from tqdm import tqdm

from abroad.core import audit, cache
from abroad.core.academic_year import parse_year
from abroad.core.enums import ISCED_FIELDS

T = TypeVar("T")

Format = Literal["xlsx", "csv"]
Source = str | Path | IO[bytes]

# How far down a sheet the header row may be.
HEADER_SEARCH_ROWS = 20
# How many named columns a header may have (the importers read at most a few dozen).
MAX_COLUMNS = 200


# An XLSX's parts may unpack to this many times the cap on the file's size, no more.
UNPACKED_FACTOR = 10
MB = 1024 * 1024


class TableError(Exception):
    """The file as a whole cannot be read: wrong type, too large, no header row, missing
    columns, a NUL character in a cell."""


@dataclass(frozen=True)
class Bounds:
    """How much an import reads and reports (the settings ``ABROAD_IMPORT_MAX_*``)."""

    max_bytes: int
    max_rows: int
    max_errors: int

    @property
    def max_unpacked(self) -> int:
        """The most an XLSX's parts may unpack to."""
        return self.max_bytes * UNPACKED_FACTOR

    @property
    def max_lines(self) -> int:
        """The most lines read under the header, blank ones included: a sheet whose only
        cell is in row 1,000,000 is a million blank rows to openpyxl."""
        return 2 * self.max_rows

    @classmethod
    def from_settings(cls) -> Bounds:
        return cls(
            max_bytes=int(getattr(settings, "IMPORT_MAX_MB", 20) * MB),
            max_rows=int(getattr(settings, "IMPORT_MAX_ROWS", 50_000)),
            max_errors=int(getattr(settings, "IMPORT_MAX_ERRORS", 200)),
        )


def megabytes(size: int) -> str:
    return f"{size / MB:.1f}"


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


def read_table(
    source: Source,
    *,
    anchors: Collection[str],
    name: str | None = None,
    bounds: Bounds | None = None,
) -> Table:
    """The first table in ``source`` whose header row has all the ``anchors`` column keys.

    ``name`` (the file name) decides the format when ``source`` is an open file. Raises
    :class:`TableError`, with a message for the office, when the file cannot be read or goes
    beyond ``bounds`` (by default the settings'): nothing of it is returned then.
    """
    name = source_name(source, name)
    fmt = file_format(name)
    bounds = bounds or Bounds.from_settings()
    anchors = {column_key(anchor) for anchor in anchors}
    shown = Path(name).name or name
    try:
        _check_size(source, shown, bounds)
        if fmt == "xlsx":
            return _read_xlsx(source, anchors=anchors, name=name, bounds=bounds)
        return _read_csv(source, anchors=anchors, name=name, bounds=bounds)
    except TableError:
        raise
    except FileNotFoundError:
        raise TableError(_("there is no file %(file)s") % {"file": name}) from None
    except Exception as error:  # zipfile.BadZipFile, openpyxl's errors, csv.Error, OSError
        raise TableError(
            _("%(file)s cannot be read as %(format)s (%(error)s): save it again as .xlsx or .csv")
            % {"file": shown, "format": fmt.upper(), "error": _short(error)}
        ) from None


def _short(error: BaseException) -> str:
    text = clean(str(error)) or type(error).__name__
    return text if len(text) <= 200 else text[:200] + "…"


def _size(source: Source) -> int | None:
    if isinstance(source, str | Path):
        return Path(source).stat().st_size
    size = getattr(source, "size", None)  # Django's uploaded files
    if isinstance(size, int):
        return size
    if source.seekable():
        here = source.tell()
        end = source.seek(0, io.SEEK_END)
        source.seek(here)
        return end - here
    return None


def _too_large(shown: str, size: int, bounds: Bounds) -> TableError:
    return TableError(
        _(
            "%(file)s is %(size)s MB: abroad imports files of up to %(max)s MB. Split it, or "
            "take out the rows and columns it does not need"
        )
        % {"file": shown, "size": megabytes(size), "max": megabytes(bounds.max_bytes)}
    )


def _check_size(source: Source, shown: str, bounds: Bounds) -> None:
    size = _size(source)
    if size is not None and size > bounds.max_bytes:
        raise _too_large(shown, size, bounds)


def _header(cells: Sequence[Any], anchors: set[str]) -> list[str] | None:
    keys = [column_key(cell) for cell in cells]
    return keys if anchors <= set(keys) else None


def _make_table(
    name: str,
    sheet: str | None,
    header_line: int,
    keys: list[str],
    numbered: Iterable[tuple[int, Sequence[Any]]],
    bounds: Bounds,
) -> Table:
    duplicates = sorted({key for key in keys if key and keys.count(key) > 1})
    if duplicates:
        raise TableError(
            _(
                "the header row (line %(line)d) names the column(s) %(columns)s more than "
                "once: keep one of each"
            )
            % {"line": header_line, "columns": ", ".join(quoted(d) for d in duplicates)}
        )
    table = Table(
        name=name, sheet=sheet, header_line=header_line, columns=[key for key in keys if key]
    )
    if len(table.columns) > MAX_COLUMNS:
        raise TableError(
            _(
                "the header row (line %(line)d) names %(count)d columns: abroad reads at most "
                "%(max)d. Delete the columns it does not need"
            )
            % {"line": header_line, "count": len(table.columns), "max": MAX_COLUMNS}
        )
    positions = [(index, key) for index, key in enumerate(keys) if key]
    # Cells right of the header's last named column are not read: a row with a cell in
    # column XFD is 16,384 values long.
    width = positions[-1][0] + 1 if positions else 0
    last_line = header_line + bounds.max_lines
    for line, values in numbered:
        if line > last_line:
            raise _too_many_rows(name, bounds, line)
        if not any(clean(value) for value in values[:width]):
            continue
        if len(table.rows) >= bounds.max_rows:
            raise _too_many_rows(name, bounds, line)
        cells = {key: values[index] if index < len(values) else None for index, key in positions}
        for key, value in cells.items():
            if isinstance(value, str) and "\x00" in value:
                raise TableError(
                    _(
                        "line %(line)d, column %(column)s: the cell holds a NUL character, "
                        "which no text has: the file is damaged or not a spreadsheet. Remove "
                        "the character, or save the file again"
                    )
                    % {"line": line, "column": quoted(key)}
                )
        table.rows.append(Row(line=line, cells=cells))
    return table


def _too_many_rows(name: str, bounds: Bounds, line: int) -> TableError:
    return TableError(
        _(
            "%(file)s has more than %(max)d rows (line %(line)d is beyond): abroad imports up "
            "to %(max)d rows at a time. Split the file, or delete the rows below the data"
        )
        % {"file": Path(name).name, "max": bounds.max_rows, "line": line}
    )


def _anchor_error(name: str, anchors: set[str]) -> TableError:
    return TableError(
        _("%(file)s has no header row with the columns %(columns)s in its first %(rows)d rows")
        % {
            "file": Path(name).name,
            "columns": ", ".join(sorted(anchors)),
            "rows": HEADER_SEARCH_ROWS,
        }
    )


# The first bytes of a file in the old Office format: an .xls, or an XLSX encrypted with a
# password (Excel wraps it in that format).
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _check_xlsx(source: Source, shown: str, bounds: Bounds) -> None:
    """Refuse what is not an XLSX, or unpacks to more than the cap, before openpyxl opens it."""
    if isinstance(source, str | Path):
        with Path(source).open("rb") as handle:
            start = handle.read(len(OLE2_MAGIC))
    else:
        here = source.tell()
        start = source.read(len(OLE2_MAGIC))
        source.seek(here)
    if start == OLE2_MAGIC:
        raise TableError(
            _(
                "%(file)s is encrypted with a password, or an old Excel file (.xls): save it "
                "without a password as .xlsx, or as .csv"
            )
            % {"file": shown}
        )
    if not start.startswith(b"PK"):
        raise TableError(
            _("%(file)s is not an XLSX file (it may be empty or damaged): save it again as .xlsx")
            % {"file": shown}
        )
    with zipfile.ZipFile(source) as archive:
        unpacked = sum(member.file_size for member in archive.infolist())
    if not isinstance(source, str | Path):
        source.seek(here)
    if unpacked > bounds.max_unpacked:
        raise TableError(
            _(
                "%(file)s unpacks to %(size)s MB, more than the %(max)s MB abroad reads from "
                "an XLSX: split it, or save it as .csv"
            )
            % {
                "file": shown,
                "size": megabytes(unpacked),
                "max": megabytes(bounds.max_unpacked),
            }
        )


def _unsized(worksheet: ReadOnlyWorksheet) -> None:
    """What openpyxl does when a sheet declares no size (its rows as long as their last
    cell), for every sheet: the size a file declares is not trusted (``A1:XFD1048576`` would
    pad every row to 16,384 cells and add blank rows up to a million), and looking for one
    a file lacks reads the whole sheet once more before its first row."""


# Only this module reads workbooks read-only (read_table): their declared size is ignored.
ReadOnlyWorksheet._get_size = _unsized


def _read_xlsx(source: Source, *, anchors: set[str], name: str, bounds: Bounds) -> Table:
    _check_xlsx(source, Path(name).name or name, bounds)
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
                        return _make_table(name, sheet.title, line, keys, rows, bounds)
                    if line >= HEADER_SEARCH_ROWS:
                        break
        finally:
            workbook.close()
    raise _anchor_error(name, anchors)


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text": UTF-16 with its byte order mark.
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's "CSV" on Windows saves in the ANSI code page.
        return data.decode("cp1252", errors="replace")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ends, one at a time (a StringIO would copy it)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _read_csv(source: Source, *, anchors: set[str], name: str, bounds: Bounds) -> Table:
    if isinstance(source, str | Path):
        with Path(source).open("rb") as handle:
            data = handle.read(bounds.max_bytes + 1)
    else:
        data = source.read(bounds.max_bytes + 1)
    if len(data) > bounds.max_bytes:
        raise _too_large(Path(name).name, len(data), bounds)
    text = _decode(data)
    del data
    nul = text.find("\x00")
    if nul >= 0:
        raise TableError(
            _(
                "line %(line)d: %(file)s holds a NUL character, which no text has: it is not a "
                "CSV file, or it is damaged. Save it again as CSV (UTF-8)"
            )
            % {"line": text.count("\n", 0, nul) + 1, "file": Path(name).name}
        )
    if "\n" not in text:
        text = text.replace("\r", "\n")  # the old Mac line ends
    first = next((line for line in _lines(text) if line.strip()), "")
    # Excel in Italian (and most of Europe) separates with semicolons.
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(_lines(text), delimiter=delimiter)

    def numbered() -> Iterator[tuple[int, list[str]]]:
        end = 0
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise TableError(
                    _("line %(line)d cannot be read as CSV (%(error)s): check its quotes")
                    % {"line": end + 1, "error": _short(error)}
                ) from None
            yield end + 1, [undefuse(value) for value in values]
            end = reader.line_num

    rows = numbered()
    for line, values in rows:
        keys = _header(values, anchors)
        if keys is not None:
            return _make_table(name, None, line, keys, rows, bounds)
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
    headers: Sequence[Any] | None = None,
) -> int:
    """Write ``rows`` under a header of ``columns``; return the number of rows written.

    ``headers``, one per column, is what the header row says instead of the column keys: the
    labels a person reads, in the active language (:func:`labels`); the rows stay keyed by
    ``columns``.

    Every export goes through here, so none carries a live formula: in XLSX every text is a
    text cell (never a formula, whatever it begins with); in CSV a text beginning with ``=``,
    ``+``, ``-``, ``@``, a tab or a CR gets a leading apostrophe (:func:`defuse`), which the
    CSV reader takes off again (:func:`undefuse`), so that a file goes out and comes back in
    unchanged. ``text_columns`` are stored as text in XLSX, so that Excel keeps ``0715``.
    """
    if fmt is None:
        fmt = file_format(str(target) if isinstance(target, str | Path) else target.name)
    if headers is not None and len(headers) != len(columns):
        raise ValueError("one header per column")
    header = [str(text) for text in headers] if headers is not None else list(columns)
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow([defuse(title) for title in header])
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
    for index, title in enumerate(header, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = max(12, len(title) + 2)
    worksheet.freeze_panes = "A2"
    worksheet.append([_text_cell(worksheet, title) for title in header])
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


def labels(texts: Iterable[Any]) -> list[str]:
    """Lazy translations (``gettext_lazy``) as text in the active language: an export's
    header for the person who downloads it."""
    return [str(text) for text in texts]


def yes_no_label(value: bool | None) -> str:
    """``yes`` or ``no`` in the reader's language ("" when unknown), as :func:`yes_no` reads."""
    if value is None:
        return ""
    return _("yes") if value else _("no")


def country_label(code: str) -> str:
    """A country's name in the reader's language ("Poland", "Polonia"), not its code."""
    return (str(countries.name(code)) or code) if code else ""


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


class ErrorList(list[RowError]):
    """A report's errors, bounded: the first ``limit`` (``ABROAD_IMPORT_MAX_ERRORS``) are kept,
    then one last entry says how many more there are ("... and 1,234 more problems"), kept
    up to date. ``len()`` is the number of problems found, all of them; iterating gives the
    errors kept and that last entry, so that a page or a terminal lists a bounded report."""

    def __init__(self, errors: Iterable[RowError] = (), *, limit: int | None = None) -> None:
        super().__init__()
        self.limit = Bounds.from_settings().max_errors if limit is None else max(limit, 0)
        self.more = 0
        for error in errors:
            self.append(error)

    def append(self, error: RowError) -> None:
        if self.more == 0 and super().__len__() < self.limit:
            super().append(error)
            return
        self.more += 1
        more = RowError(
            None,
            None,
            ngettext(
                "... and %(count)d more problem (only the first %(max)d are listed)",
                "... and %(count)d more problems (only the first %(max)d are listed)",
                self.more,
            )
            % {"count": self.more, "max": self.limit},
        )
        if self.more == 1:
            super().append(more)
        else:
            super().__setitem__(-1, more)

    def extend(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.append(error)

    def __iadd__(self, errors: Iterable[RowError]) -> ErrorList:  # type: ignore[override,misc]
        self.extend(errors)
        return self

    def __len__(self) -> int:
        return super().__len__() - (1 if self.more else 0) + self.more

    @property
    def listed(self) -> int:
        """How many errors are listed (the last entry, "and K more", left out)."""
        return super().__len__() - (1 if self.more else 0)


class Invalid(Exception):
    """A cell that cannot be read; the message says why and how to fix it."""


# How much of a cell a message quotes.
QUOTED_CHARACTERS = 80


def quoted(value: str) -> str:
    """A cell's text in quotes, for a message: at most :data:`QUOTED_CHARACTERS` of it."""
    if len(value) > QUOTED_CHARACTERS:
        value = value[: QUOTED_CHARACTERS - 1] + "…"
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
    errors: list[RowError] = field(default_factory=ErrorList)

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
            transaction.on_commit(refresh_statistics)
            # Bulk writes send no signals: the cached public pages are made stale here.
            cache.catalogue_changed()


def refresh_statistics() -> None:
    """Give the database's query planner fresh statistics after a bulk write (an import, the
    demo's load), on SQLite as on PostgreSQL. Without them SQLite guesses: with ten times the
    demo, the catalogue filtered by course of study took 440 ms instead of 4 ms until
    ``ANALYZE`` had run; PostgreSQL's autovacuum would come later, after the first pages.
    Called once the import's transaction has committed (``transaction.on_commit``)."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        # PostgreSQL writes a table's size in place, outside the transaction: run inside one
        # that is then rolled back (a test's), it would leave the planner the size of a moment
        # that never was (an empty table with pages) and with it plans that take minutes.
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
