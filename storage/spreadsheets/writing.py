"""The workbooks the bot sends: the blank template, a returned file marked up, and the export.

Every text that came from a person (a class name, a learner's remark, whatever a returned file
held) is written as a string cell even when it begins with "=", "+", "-" or "@", so no spreadsheet
ever evaluates it as a formula, and cleaned of the control characters XML cannot carry. ID-card
and certificate numbers are text cells in a text-formatted column, so Excel keeps all 18 digits
when the admin edits them. Files of unbounded length are written in openpyxl's write-only mode,
row by row.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.chart._chart import ChartBase
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.child import _WorkbookChild
from openpyxl.worksheet.datavalidation import DataValidation, DataValidationList
from openpyxl.worksheet.worksheet import Worksheet

from domain.scoresheet import (
    FAIL_WORD,
    MARKER_PREFIX,
    PASS_WORD,
    ClassHeading,
    Column,
    ExportRow,
)
from storage.spreadsheets.reading import MARKER_SHEET, SheetFile, cell_text

SCORES_SHEET: Final = "成绩"
SUMMARY_SHEET: Final = "汇总"
PROBLEMS_SHEET: Final = "错误说明"
TEMPLATE_ROWS: Final = 2000
"""Data rows of the template given the text format cell by cell, besides the column's format."""
MAX_COMMENTS: Final = 2000
"""Past this many wrong cells only the fill marks them: each comment costs a drawing shape in
memory, and the problems sheet lists every reason anyway."""

TEXT_COLUMNS: Final = (Column.ID_NUMBER, Column.CERTIFICATE_NO)
TEXT_FORMAT: Final = "@"
WIDTHS: Final = {
    Column.NAME: 12,
    Column.ID_NUMBER: 22,
    Column.SCORE: 8,
    Column.PASSED: 10,
    Column.HOURS: 10,
    Column.CERTIFICATE_NO: 20,
    Column.REMARK: 24,
}
_LAST_EXCEL_ROW: Final = 1_048_576
_MAX_CELL_CHARS: Final = 32_767
_WRONG_FILL: Final = PatternFill(fill_type="solid", start_color="FFC7CE", end_color="FFC7CE")
_HEADER_FILL: Final = PatternFill(fill_type="solid", start_color="D9E1F2", end_color="D9E1F2")
_THIN: Final = Side(style="thin", color="8EA9DB")
_HEADER_BORDER: Final = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_BOLD: Final = Font(bold=True)
_TITLE_FONT: Final = Font(bold=True, size=14)
_CENTRE: Final = Alignment(horizontal="center", vertical="center")
_WRAP: Final = Alignment(wrap_text=True, vertical="top")
_COMMENT_AUTHOR: Final = "cebot"


# --- cells ----------------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """What a cell can hold: no XML-illegal control characters, at most Excel's 32,767."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:_MAX_CELL_CHARS]


def _as_string(cell: Cell, text: str) -> Cell:
    cell.value = clean_text(text)
    cell.data_type = "s"  # "=HYPERLINK(...)" stays text: never a formula, never an error code
    return cell


def text_cell(
    sheet: _WorkbookChild,
    text: str,
    *,
    number_format: str | None = None,
    font: Font | None = None,
    fill: PatternFill | None = None,
    alignment: Alignment | None = None,
) -> Cell:
    cell = _as_string(WriteOnlyCell(sheet), text)
    if number_format is not None:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _put(sheet: Worksheet, row: int, column: int, text: str) -> Cell:
    cell = sheet.cell(row=row, column=column)
    assert isinstance(cell, Cell)
    return _as_string(cell, text)


def _number(value: Decimal) -> Decimal | int:
    """A Decimal as Excel shows it best: 24 rather than 24.0, 85.5 rather than 85.50."""
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral_value() else normal


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def heading_lines(heading: ClassHeading) -> tuple[str, str]:
    return (
        f"培训班：{heading.class_name}",
        f"举办基地：{heading.base_name}　　"
        f"培训时间：{heading.start_date.isoformat()} 至 {heading.end_date.isoformat()}　　"
        f"学时：{_plain(heading.hours)}",
    )


def _marker_sheet(book: Workbook, heading: ClassHeading, *, write_only: bool) -> None:
    sheet = book.create_sheet(MARKER_SHEET)
    marker = f"{MARKER_PREFIX}{heading.class_id}"
    if write_only:
        sheet.append([text_cell(sheet, marker)])
    else:
        assert isinstance(sheet, Worksheet)
        _put(sheet, 1, 1, marker)
    sheet.sheet_state = "veryHidden"  # not even listed under "Unhide" in Excel


def _saved(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _set_widths(sheet: Any, positions: Mapping[Column, int]) -> None:
    # Any: the stubs give write-only sheets no column_dimensions, which they have at run time.
    dimensions = sheet.column_dimensions
    for column, index in positions.items():
        dimensions[get_column_letter(index + 1)].width = WIDTHS[column]


def _add_validations(
    validations: DataValidationList,
    positions: Mapping[Column, int],
    first_row: int,
    hours: Decimal,
) -> None:
    """The drop-down of 是否合格 and range warnings on 成绩 and 获得学时, from ``first_row`` down:
    Excel and WPS then catch a slip as it is typed, before the bot has to."""
    checks = (
        (
            Column.PASSED,
            DataValidation(
                type="list",
                formula1=f'"{PASS_WORD},{FAIL_WORD}"',
                error=f"请选择“{PASS_WORD}”或“{FAIL_WORD}”。",
            ),
        ),
        (
            Column.SCORE,
            DataValidation(
                type="decimal",
                operator="between",
                formula1="0",
                formula2="100",
                errorStyle="warning",
                error="成绩应为 0 到 100 之间的数字。",
            ),
        ),
        (
            Column.HOURS,
            DataValidation(
                type="decimal",
                operator="between",
                formula1="0",
                formula2=_plain(hours),
                errorStyle="warning",
                error=f"获得学时应在 0 到 {_plain(hours)} 之间。",
            ),
        ),
    )
    for column, validation in checks:
        if column not in positions:
            continue
        letter = get_column_letter(positions[column] + 1)
        validation.allow_blank = True
        validation.showErrorMessage = True
        validation.errorTitle = column.header
        validation.add(f"{letter}{first_row}:{letter}{_LAST_EXCEL_ROW}")
        validations.append(validation)


# --- template -------------------------------------------------------------------------------------


def instructions(hours: Decimal) -> str:
    return (
        "填写说明：每行填写一名学员；身份证号按文本填写完整的 18 位号码；"
        f"成绩填 0–100，也可不填成绩，在“是否合格”中选择{PASS_WORD}或{FAIL_WORD}；"
        f"获得学时最多 {_plain(hours)}，{FAIL_WORD}填 0；请勿修改表头。"
    )


def template(heading: ClassHeading, rows: int = TEMPLATE_ROWS) -> bytes:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = SCORES_SHEET
    columns = list(Column)
    last_letter = get_column_letter(len(columns))
    title, details = heading_lines(heading)
    _put(sheet, 1, 1, title).font = _TITLE_FONT
    _put(sheet, 2, 1, details)
    _put(sheet, 3, 1, instructions(heading.hours)).alignment = _WRAP
    sheet.row_dimensions[3].height = 48
    for row in (1, 2, 3):
        sheet.merge_cells(f"A{row}:{last_letter}{row}")

    header_row = 4
    first, last = header_row + 1, header_row + rows
    for index, column in enumerate(columns, 1):
        cell = _put(sheet, header_row, index, column.header)
        cell.font, cell.fill, cell.alignment, cell.border = (
            _BOLD,
            _HEADER_FILL,
            _CENTRE,
            _HEADER_BORDER,
        )
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = WIDTHS[column]
        if column in TEXT_COLUMNS:
            # The column's own format covers rows past the styled ones where Excel honours it.
            sheet.column_dimensions[letter].number_format = TEXT_FORMAT
            for row in range(first, last + 1):
                sheet.cell(row=row, column=index).number_format = TEXT_FORMAT

    positions = {column: index for index, column in enumerate(columns)}
    _add_validations(sheet.data_validations, positions, first, heading.hours)
    sheet.freeze_panes = f"A{first}"
    _marker_sheet(book, heading, write_only=False)
    book.active = 0
    return _saved(book)


# --- a returned file, marked up ------------------------------------------------------------------


def annotated(
    source: SheetFile,
    problems: Mapping[int, Mapping[Column, str]],
    heading: ClassHeading,
    *,
    max_comments: int = MAX_COMMENTS,
) -> bytes:
    """The data sheet cell for cell at the same coordinates, wrong cells red with their reason.

    A reason about a column the file lacks goes on the row's first cell, naming the column.
    """
    layout = source.layout
    book = Workbook(write_only=True)
    title = layout.title
    if not title or title in (PROBLEMS_SHEET, MARKER_SHEET):
        title = SCORES_SHEET
    sheet = book.create_sheet(title)
    _set_widths(sheet, layout.positions)
    for column in TEXT_COLUMNS:
        if column in layout.positions:
            letter = get_column_letter(layout.positions[column] + 1)
            sheet.column_dimensions[letter].number_format = TEXT_FORMAT
    _add_validations(sheet.data_validations, layout.positions, layout.header_row + 1, heading.hours)
    sheet.freeze_panes = f"A{layout.header_row + 1}"
    marking = _Marking(sheet, layout.positions, max_comments)

    pending = {number: found for number, found in problems.items() if found}
    written = 0
    for number, values in source.values():
        sheet.append(marking.row(values, pending.pop(number, {})))
        written = number
    for number in sorted(pending):  # rows the sheet does not have: shown all the same
        if number <= written:
            continue
        while written < number - 1:
            sheet.append([])
            written += 1
        sheet.append(marking.row((), pending[number]))
        written = number

    _problems_sheet(book, title, layout.positions, layout.header_names, problems)
    _marker_sheet(book, heading, write_only=True)
    return _saved(book)


@dataclass
class _Marking:
    sheet: _WorkbookChild
    positions: Mapping[Column, int]
    max_comments: int
    comments: int = 0

    def __post_init__(self) -> None:
        self.text_at = {self.positions[c] for c in TEXT_COLUMNS if c in self.positions}

    def row(self, values: Sequence[object], found: Mapping[Column, str]) -> list[object]:
        notes = _notes(found, self.positions)
        width = max(len(values), max(notes, default=-1) + 1)
        out: list[object] = []
        for index in range(width):
            value = values[index] if index < len(values) else None
            cell = self._cell(value, as_text=index in self.text_at)
            reasons = notes.get(index)
            if reasons:
                if not isinstance(cell, Cell):
                    cell = WriteOnlyCell(self.sheet, value=cell)  # type: ignore[arg-type]
                cell.fill = _WRONG_FILL
                if self.comments < self.max_comments:
                    self.comments += 1
                    cell.comment = _comment("\n".join(reasons))
            out.append(cell)
        return out

    def _cell(self, value: object, *, as_text: bool) -> object:
        if value is None or value == "":
            return None
        if as_text:  # ID-card and certificate numbers: text, so a correction keeps every digit
            return text_cell(self.sheet, cell_text(value)[0], number_format=TEXT_FORMAT)
        if isinstance(value, str):
            return text_cell(self.sheet, value)
        return value


def _notes(found: Mapping[Column, str], positions: Mapping[Column, int]) -> dict[int, list[str]]:
    notes: dict[int, list[str]] = {}
    for column in Column:
        reason = found.get(column)
        if reason is None:
            continue
        if column in positions:
            notes.setdefault(positions[column], []).append(reason)
        else:
            notes.setdefault(0, []).append(f"{column.header}：{reason}")
    return notes


def _comment(text: str) -> Comment:
    text = clean_text(text)
    lines = sum(1 + len(line) // 18 for line in text.splitlines()) or 1
    return Comment(text, _COMMENT_AUTHOR, height=min(40 + 18 * lines, 400), width=260)


def _problems_sheet(
    book: Workbook,
    data_title: str,
    positions: Mapping[Column, int],
    header_names: Mapping[Column, str],
    problems: Mapping[int, Mapping[Column, str]],
) -> None:
    sheet = book.create_sheet(PROBLEMS_SHEET)
    for letter, width in zip("ABCD", (8, 10, 14, 80), strict=True):
        sheet.column_dimensions[letter].width = width
    append = sheet.append
    append(
        [
            text_cell(
                sheet,
                f"请在“{data_title}”表中按红色单元格的批注逐一修改，然后重新发送整个文件。",
                font=_BOLD,
            )
        ]
    )
    append([text_cell(sheet, name, font=_BOLD, fill=_HEADER_FILL) for name in _PROBLEM_HEADERS])
    for number in sorted(problems):
        for column in Column:
            reason = problems[number].get(column)
            if reason is None:
                continue
            index = positions.get(column, 0)
            append(
                [
                    number,
                    text_cell(sheet, f"{get_column_letter(index + 1)}{number}"),
                    text_cell(sheet, header_names.get(column, column.header)),
                    text_cell(sheet, reason),
                ]
            )


_PROBLEM_HEADERS: Final = ("行号", "单元格", "列", "原因")


# --- export ---------------------------------------------------------------------------------------

_BANDS: Final = (
    ("0–59", Decimal(60)),
    ("60–69", Decimal(70)),
    ("70–79", Decimal(80)),
    ("80–89", Decimal(90)),
    ("90–100", None),
)
UNSCORED: Final = "未计分"


@dataclass(frozen=True)
class Summary:
    learners: int
    passed: int
    failed: int
    hours: Decimal
    average_score: Decimal | None
    distribution: tuple[tuple[str, int], ...]

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.learners if self.learners else None


def summarise(rows: Iterable[ExportRow]) -> Summary:
    learners = passed = failed = 0
    hours = Decimal(0)
    scores: list[Decimal] = []
    counts = dict.fromkeys([label for label, _ in _BANDS] + [UNSCORED], 0)
    for row in rows:
        learners += 1
        passed += row.passed is True
        failed += row.passed is False
        hours += row.hours
        if row.score is None:
            counts[UNSCORED] += 1
            continue
        scores.append(row.score)
        label = next(label for label, below in _BANDS if below is None or row.score < below)
        counts[label] += 1
    average = (sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.01")) if scores else None
    return Summary(learners, passed, failed, hours, average, tuple(counts.items()))


def export(heading: ClassHeading, rows: Sequence[ExportRow]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SCORES_SHEET)
    columns = list(Column)
    _set_widths(sheet, {column: index for index, column in enumerate(columns)})
    sheet.freeze_panes = "A4"
    append = sheet.append
    title, details = heading_lines(heading)
    append([text_cell(sheet, title, font=_TITLE_FONT)])
    append([text_cell(sheet, details)])
    append(
        [
            text_cell(sheet, c.header, font=_BOLD, fill=_HEADER_FILL, alignment=_CENTRE)
            for c in columns
        ]
    )
    for row in rows:
        append(
            [
                text_cell(sheet, row.name),
                text_cell(sheet, row.id_number, number_format=TEXT_FORMAT),
                None if row.score is None else _number(row.score),
                None if row.passed is None else (PASS_WORD if row.passed else FAIL_WORD),
                _number(row.hours),
                None
                if row.certificate_no is None
                else text_cell(sheet, row.certificate_no, number_format=TEXT_FORMAT),
                None if row.remark is None else text_cell(sheet, row.remark),
            ]
        )
    _summary_sheet(book, heading, summarise(rows))
    _marker_sheet(book, heading, write_only=True)
    return _saved(book)


_COUNTS_HEADER_ROW: Final = 4
_BANDS_HEADER_ROW: Final = 12


def _summary_sheet(book: Workbook, heading: ClassHeading, summary: Summary) -> None:
    sheet = book.create_sheet(SUMMARY_SHEET)
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 12
    append = sheet.append
    title, details = heading_lines(heading)

    def number(value: object, number_format: str) -> object:
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
        cell.number_format = number_format
        return cell

    def header(*names: str) -> list[Cell]:
        return [text_cell(sheet, name, font=_BOLD, fill=_HEADER_FILL) for name in names]

    lines: list[list[object]] = [
        [text_cell(sheet, title, font=_TITLE_FONT)],
        [text_cell(sheet, details)],
        [],
        list(header("项目", "数值")),  # row 4
        [text_cell(sheet, "学员人数"), summary.learners],
        [text_cell(sheet, f"{PASS_WORD}人数"), summary.passed],  # row 6: the pie's first slice
        [text_cell(sheet, f"{FAIL_WORD}人数"), summary.failed],
        [text_cell(sheet, "合格率"), number(summary.pass_rate, "0.0%")],
        [text_cell(sheet, "获得学时合计"), _number(summary.hours)],
        [text_cell(sheet, "平均成绩"), number(summary.average_score, "0.00")],
        [],
        list(header("分数段", "人数")),  # row 12
    ]
    lines += [[text_cell(sheet, label), count] for label, count in summary.distribution]
    for line in lines:
        append(line)

    first_band = _BANDS_HEADER_ROW + 1
    last_band = _BANDS_HEADER_ROW + len(summary.distribution)
    bars = BarChart()
    bars.type = "col"
    bars.title = "成绩分布"
    bars.y_axis.title = "人数"
    bars.x_axis.title = "分数段"
    bars.legend = None
    bars.add_data(
        Reference(sheet, min_col=2, min_row=_BANDS_HEADER_ROW, max_row=last_band),
        titles_from_data=True,
    )
    _label_categories(bars, Reference(sheet, min_col=1, min_row=first_band, max_row=last_band))
    bars.x_axis.delete = False  # openpyxl 3.1 hides both axes unless told otherwise
    bars.y_axis.delete = False
    sheet.add_chart(bars, "D12")

    pie = PieChart()
    pie.title = "合格情况"
    first_count = _COUNTS_HEADER_ROW + 2
    pie.add_data(Reference(sheet, min_col=2, min_row=first_count, max_row=first_count + 1))
    _label_categories(
        pie, Reference(sheet, min_col=1, min_row=first_count, max_row=first_count + 1)
    )
    pie.dataLabels = DataLabelList()
    pie.dataLabels.showPercent = True
    sheet.add_chart(pie, "D1")


def _label_categories(chart: ChartBase, labels: Reference) -> None:
    """Categories declared as text (``strRef``), as Excel writes labels itself; openpyxl's
    ``set_categories`` declares every category range numeric (``numRef``)."""
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=str(labels)))
