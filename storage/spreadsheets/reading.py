"""Score files read as rows of raw cells, streamed so a 100,000-row workbook never sits in memory.

The reader only finds the header and hands over what each cell held; whether a cell is right is
``domain.scores``' business. What it must get right is what the admin will be told: the row
numbers and cell names ("C7") of the sheet as Excel shows it, and the exact text of a number
(an ID-card number Excel turned into ``4.20106199001011e+17`` must stay visibly broken).

A workbook is opened again, from its bytes, for every pass over its rows, so nothing but the
bytes is kept between passes. The number of rows is bounded three times: by a worksheet's
announced dimension (refused before any row is read), by counting the row elements of a
worksheet that announces none (openpyxl would otherwise parse it whole just to size it), and
while streaming (a dimension can lie).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
import warnings
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Final, Literal, Protocol, cast

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from domain.errors import Invalid
from domain.scoresheet import (
    CORRUPT,
    HEADERS,
    MARKER_PREFIX,
    NO_HEADER,
    REQUIRED_COLUMNS,
    TOO_MANY_ROWS,
    Column,
    RawCell,
    SheetRow,
)
from storage.spreadsheets.sniff import FIELD, Format, sniff

HEADER_SEARCH_ROWS: Final = 10
MARKER_SHEET: Final = "cebot"
_LARGEST_EXACT_FLOAT: Final = 1e16
"""Integral floats below this print as integers; above it Python (like Excel) prints an exponent,
which is what an 18-digit number typed into Excel has become."""
_CSV_DELIMITERS: Final = (",", "\t", ";")


# --- cells ----------------------------------------------------------------------------------------


def header_key(text: str) -> str:
    """A header as compared: NFKC (full-width letters), no spaces at all, lower case, and
    without the "*" or colon that templates made elsewhere put around required columns."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(folded.split()).strip("*:")


_BY_HEADER: Final = {
    header_key(name): column for column, names in HEADERS.items() for name in names
}


def cell_text(value: object) -> tuple[str, bool]:
    """A cell's value as text, and whether the file stored it as a number ("" when empty)."""
    if value is None:
        return "", False
    if isinstance(value, str):
        return value.strip(), False
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), False
    if isinstance(value, int):
        return str(value), True
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _LARGEST_EXACT_FLOAT:
            return str(int(value)), True
        return repr(value), True
    if isinstance(value, Decimal):
        return str(value), True
    if isinstance(value, datetime):
        if value.time() == time():
            return value.date().isoformat(), False
        return value.isoformat(sep=" "), False
    if isinstance(value, date | time):
        return value.isoformat(), False
    if isinstance(value, timedelta):
        return str(value), False
    return str(value).strip(), False


def _xlsx_cell(value: object, coordinate: str) -> RawCell | None:
    if type(value) is str:  # the common case first: names, ID-card numbers typed as text
        text = value.strip()
        return RawCell(text, False, coordinate) if text else None
    text, is_number = cell_text(value)
    return RawCell(text, is_number, coordinate) if text else None


def _csv_cell(value: object, coordinate: str) -> RawCell | None:
    text = str(value).strip()
    return RawCell(text, False, coordinate) if text else None


def _find_header(
    rows: Iterable[tuple[int, Sequence[object]]],
) -> tuple[int, dict[Column, int], dict[Column, str]] | None:
    """The first row naming every required column: its number, each column's 0-based index and
    the header text as the file spells it (the first of two columns with the same name wins)."""
    for number, values in rows:
        positions: dict[Column, int] = {}
        names: dict[Column, str] = {}
        for index, value in enumerate(values):
            if not isinstance(value, str):
                continue
            column = _BY_HEADER.get(header_key(value))
            if column is not None and column not in positions:
                positions[column] = index
                names[column] = value.strip()
        if all(column in positions for column in REQUIRED_COLUMNS):
            return number, positions, names
    return None


def too_many_rows(rows: int, maximum: int) -> Invalid:
    return Invalid(FIELD, TOO_MANY_ROWS, rows=rows, maximum=maximum)


@contextmanager
def _corrupt_on_error() -> Iterator[None]:
    """Whatever a parser raises on a damaged or hostile file (an XML error, an entity
    declaration refused by defusedxml, a missing part) becomes the reason the admin reads."""
    try:
        yield
    except Invalid:
        raise
    except Exception as error:
        raise Invalid(FIELD, CORRUPT) from error


# --- the opened file -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where the data is: the sheet's name (a CSV has none), the header's row, and each
    recognised column's 0-based index and header text as the file spells it."""

    title: str
    header_row: int
    positions: Mapping[Column, int]
    header_names: Mapping[Column, str]


class SheetFile(ABC):
    """What both formats share: the header found, the row stream built on ``values``."""

    marker: str | None
    estimated_rows: int | None
    columns: Mapping[Column, str]

    def __init__(
        self,
        layout: Layout,
        *,
        max_rows: int,
        marker: str | None = None,
        estimated_rows: int | None = None,
    ) -> None:
        self.layout = layout
        self.max_rows = max_rows
        self.marker = marker
        self.estimated_rows = estimated_rows
        self.columns = {
            column: self._column_name(index) for column, index in layout.positions.items()
        }

    @staticmethod
    def _column_name(index: int) -> str:
        return get_column_letter(index + 1)

    @staticmethod
    def _cell(value: object, coordinate: str) -> RawCell | None:
        return _xlsx_cell(value, coordinate)

    @abstractmethod
    def values(self, min_row: int = 1) -> Iterator[tuple[int, Sequence[object]]]:
        """Every row from ``min_row`` on, numbered as the sheet numbers it, blank ones included
        (as empty or all-None sequences); refuses once past ``max_rows`` below the header."""

    def rows(self) -> Iterator[SheetRow]:
        mapped = tuple(
            (column, index, get_column_letter(index + 1))
            for column, index in sorted(self.layout.positions.items(), key=lambda item: item[1])
        )
        make = self._cell
        for number, values in self.values(self.layout.header_row + 1):
            width = len(values)
            cells: dict[Column, RawCell] = {}
            for column, index, letter in mapped:
                if index < width:
                    value = values[index]
                    if value is not None:
                        cell = make(value, f"{letter}{number}")
                        if cell is not None:
                            cells[column] = cell
            if cells:
                yield SheetRow(number, cells)

    def _check_limit(self, number: int) -> None:
        below_header = number - self.layout.header_row
        if below_header > self.max_rows:
            raise too_many_rows(below_header, self.max_rows)


class XlsxFile(SheetFile):
    def __init__(
        self,
        data: bytes,
        sheet_index: int,
        layout: Layout,
        *,
        max_rows: int,
        marker: str | None,
        estimated_rows: int | None,
    ) -> None:
        super().__init__(layout, max_rows=max_rows, marker=marker, estimated_rows=estimated_rows)
        self._data = data
        self._sheet_index = sheet_index

    def values(self, min_row: int = 1) -> Iterator[tuple[int, Sequence[object]]]:
        with _workbook(self._data) as book, _corrupt_on_error():
            sheet = _read_only(book.worksheets[self._sheet_index])
            sheet.reset_dimensions()  # a dimension that lies small would cut the rows short
            # openpyxl yields a row for every number from min_row on, filling gaps with ().
            numbered = enumerate(_value_rows(sheet, min_row), min_row)
            for number, values in numbered:
                self._check_limit(number)
                yield number, values


class CsvFile(SheetFile):
    def __init__(
        self, data: bytes, encoding: str, delimiter: str, layout: Layout, *, max_rows: int
    ) -> None:
        super().__init__(layout, max_rows=max_rows)
        self._data = data
        self._encoding = encoding
        self._delimiter = delimiter

    @staticmethod
    def _column_name(index: int) -> str:
        return str(index + 1)  # the contract's "1-based position" for a CSV

    @staticmethod
    def _cell(value: object, coordinate: str) -> RawCell | None:
        return _csv_cell(value, coordinate)

    def values(self, min_row: int = 1) -> Iterator[tuple[int, Sequence[object]]]:
        with _csv_records(self._data, self._encoding, self._delimiter) as records:
            for number, record in records:
                if number >= min_row:
                    self._check_limit(number)
                    yield number, record


# --- opening -------------------------------------------------------------------------------------


def open_score_file(data: bytes, filename: str | None, *, max_rows: int) -> SheetFile:
    sniffed = sniff(data, filename)
    if sniffed.format is Format.XLSX:
        return _open_xlsx(data, max_rows)
    assert sniffed.encoding is not None
    return _open_csv(data, sniffed.encoding, max_rows)


# "Unknown extension", "no default style": openpyxl's remarks on files made elsewhere, which
# nobody can act on. Filtered once for the process: catch_warnings() is not thread-safe, and
# files are read in worker threads.
warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")


@contextmanager
def _workbook(data: bytes) -> Iterator[Workbook]:
    with _corrupt_on_error():
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        yield book
    finally:
        book.close()


class _ValueRows(Protocol):
    def iter_rows(
        self,
        min_row: int | None = None,
        max_row: int | None = None,
        min_col: int | None = None,
        max_col: int | None = None,
        *,
        values_only: Literal[True],
    ) -> Iterator[tuple[object, ...]]: ...


def _value_rows(
    sheet: ReadOnlyWorksheet,
    min_row: int,
    max_row: int | None = None,
    max_col: int | None = None,
) -> Iterator[tuple[object, ...]]:
    """``iter_rows(values_only=True)``; the stubs alias it from ``Worksheet`` in a way mypy
    cannot bind to ``ReadOnlyWorksheet`` (python/mypy#6700), hence the cast."""
    rows = cast(_ValueRows, sheet)
    return rows.iter_rows(min_row=min_row, max_row=max_row, max_col=max_col, values_only=True)


def _read_only(sheet: object) -> ReadOnlyWorksheet:
    if not isinstance(sheet, ReadOnlyWorksheet):
        raise Invalid(FIELD, CORRUPT)
    return sheet


def _open_xlsx(data: bytes, max_rows: int) -> XlsxFile:
    _refuse_long_sheets_without_dimension(data, max_rows + HEADER_SEARCH_ROWS)
    with _workbook(data) as book, _corrupt_on_error():
        sheets = book.worksheets
        index = next((i for i, s in enumerate(sheets) if s.sheet_state == "visible"), None)
        if index is None:
            raise Invalid(FIELD, NO_HEADER)
        sheet = _read_only(sheets[index])
        last_row = sheet.max_row  # from the dimension, None when the sheet announces none
        sheet.reset_dimensions()
        top = _value_rows(sheet, 1, HEADER_SEARCH_ROWS)
        found = _find_header(enumerate(top, 1))
        if found is None:
            raise Invalid(FIELD, NO_HEADER)
        header_row, positions, names = found
        estimated = None if last_row is None else max(last_row - header_row, 0)
        if estimated is not None and estimated > max_rows:
            raise too_many_rows(estimated, max_rows)
        marker = _marker(sheets)
        title = sheet.title
    layout = Layout(title, header_row, positions, names)
    return XlsxFile(data, index, layout, max_rows=max_rows, marker=marker, estimated_rows=estimated)


def _marker(sheets: Sequence[object]) -> str | None:
    for sheet in sheets:
        if isinstance(sheet, ReadOnlyWorksheet) and sheet.title == MARKER_SHEET:
            first_row = next(_value_rows(sheet, 1, max_row=1, max_col=1), ())
            value = first_row[0] if first_row else None
            if isinstance(value, str) and value.strip().startswith(MARKER_PREFIX):
                return value.strip()
    return None


def _open_csv(data: bytes, encoding: str, max_rows: int) -> CsvFile:
    for delimiter in _CSV_DELIMITERS:
        with _csv_records(data, encoding, delimiter) as records:
            found = _find_header(itertools.islice(records, HEADER_SEARCH_ROWS))
        if found is not None:
            header_row, positions, names = found
            layout = Layout("", header_row, positions, names)
            return CsvFile(data, encoding, delimiter, layout, max_rows=max_rows)
    raise Invalid(FIELD, NO_HEADER)


@contextmanager
def _csv_records(
    data: bytes, encoding: str, delimiter: str
) -> Iterator[Iterator[tuple[int, list[str]]]]:
    """Records numbered from 1 as a spreadsheet numbers a CSV's rows: a quoted field holding a
    line break stays one row, a blank line is a (blank) row."""
    text: IO[str] = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")

    def numbered() -> Iterator[tuple[int, list[str]]]:
        with _corrupt_on_error():
            yield from enumerate(csv.reader(text, delimiter=delimiter), 1)

    try:
        yield numbered()
    finally:
        text.close()


# --- sheets that announce no size ----------------------------------------------------------------

_HEAD_BYTES: Final = 64 * 1024
_SCAN_CHUNK: Final = 1024 * 1024
_WORKSHEET_ROOT: Final = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?worksheet[\s>]")
_DIMENSION: Final = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?dimension[\s/>]")
_SHEET_DATA: Final = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?sheetData[\s/>]")
_ROW_TAG: Final = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?row[\s/>]")
_ROW_TAG_MAX: Final = 32
"""Longer than any match of ``_ROW_TAG``: the overlap kept between two chunks."""


def _refuse_long_sheets_without_dimension(data: bytes, limit: int) -> None:
    """Counts the row elements of each worksheet that announces no dimension, stopping past
    ``limit``: a byte search at C speed, where openpyxl would parse the whole sheet on opening
    just to size it. Runs after the upload checks, so the ZIP is known to be sound and bounded."""
    with _corrupt_on_error(), zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if not info.filename.endswith(".xml"):
                continue
            with archive.open(info) as member:
                head = member.read(_HEAD_BYTES)
                if not _WORKSHEET_ROOT.search(head):
                    continue
                dimension = _DIMENSION.search(head)
                sheet_data = _SHEET_DATA.search(head)
                if dimension and (sheet_data is None or dimension.start() < sheet_data.start()):
                    continue
                rows = _count_rows(head, member, limit)
                if rows > limit:
                    raise too_many_rows(rows, limit - HEADER_SEARCH_ROWS)


def _count_rows(head: bytes, member: IO[bytes], limit: int) -> int:
    """Row start tags in the member, counting stopped once past ``limit``."""
    count = 0
    buffer = head
    while True:
        chunk = member.read(_SCAN_CHUNK)
        if not chunk:
            return count + len(_ROW_TAG.findall(buffer))
        # A tag that may continue in the next chunk is left for the next round.
        settled = len(buffer) - _ROW_TAG_MAX
        count += sum(1 for match in _ROW_TAG.finditer(buffer) if match.start() < settled)
        if count > limit:
            return count
        buffer = buffer[max(settled, 0) :] + chunk
