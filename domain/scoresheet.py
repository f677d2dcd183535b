"""The score workbook as the domain sees it: columns, raw cells, the port that reads and writes it.

The file formats (xlsx through openpyxl, csv) live in ``storage/spreadsheets``; the domain only sees
rows of raw cells keyed by column, so the rules in ``domain.scores`` stay testable without a file.
Headers are Chinese on every template and export (the platform's language); the reader also
accepts the English names below, in any order, with extra columns ignored.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final, Protocol

from domain.messages import N_


class Column(StrEnum):
    NAME = "name"
    ID_NUMBER = "id_number"
    SCORE = "score"
    PASSED = "passed"
    HOURS = "hours"
    CERTIFICATE_NO = "certificate_no"
    REMARK = "remark"

    @property
    def header(self) -> str:
        """The header written on templates and exports, and the first name the reader knows."""
        return HEADERS[self][0]


HEADERS: Final[dict[Column, tuple[str, ...]]] = {
    Column.NAME: ("姓名", "学员姓名", "name"),
    Column.ID_NUMBER: ("身份证号", "身份证号码", "公民身份号码", "id number", "id_number"),
    Column.SCORE: ("成绩", "分数", "考核成绩", "score"),
    Column.PASSED: ("是否合格", "合格", "考核结果", "passed", "pass/fail"),
    Column.HOURS: ("获得学时", "学时", "hours"),
    Column.CERTIFICATE_NO: ("证书编号", "证书号", "certificate no", "certificate_no"),
    Column.REMARK: ("备注", "remark"),
}
"""Header names per column, compared after NFKC, trimming, and lower-casing."""

REQUIRED_COLUMNS: Final = (Column.NAME, Column.ID_NUMBER)
PASS_WORD: Final = "合格"
FAIL_WORD: Final = "不合格"
MARKER_PREFIX: Final = "cebot:scores:class:"
"""The hidden marker on a template: ``cebot:scores:class:<class id>``."""
MAX_ROWS: Final = 100_000
"""Learners in one file; a file announcing or holding more is refused without reading the rest."""

# Reasons the reader gives (raised as ``Invalid("file", reason, **params)``).
XLS_REFUSED: Final = N_(
    "这是旧版 Excel（.xls）文件，暂不支持。请在 Excel 或 WPS 中打开它，"
    "选择“另存为”→“Excel 工作簿（*.xlsx）”后再发送。"
)
NOT_A_SCORE_FILE: Final = N_(
    "请发送 Excel 工作簿（.xlsx）或 CSV 文件（.csv），最好使用本培训班的成绩模板。"
)
CORRUPT: Final = N_("文件已损坏或不是有效的 Excel 工作簿，无法读取。请重新保存后再发送。")
PASSWORD_PROTECTED: Final = N_("文件设置了打开密码，无法读取。请取消密码后另存一份再发送。")
NO_HEADER: Final = N_(
    "没有找到表头：前 10 行中没有同时包含“姓名”和“身份证号”的一行。"
    "请使用成绩模板，或在数据上方加上这两个列名。"
)
TOO_MANY_ROWS: Final = N_(
    "文件有 {rows} 行，超过了每次最多 {maximum} 行的限制。请分成几个文件发送。"
)
CSV_ENCODING: Final = N_(
    "无法识别 CSV 文件的编码。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后再发送。"
)


@dataclass(frozen=True, slots=True)
class RawCell:
    """What a cell held: its text (numbers written without losing digits), and whether the file
    stored it as a number, which matters for ID-card numbers (Excel drops digits past the 15th)."""

    text: str
    is_number: bool = False
    coordinate: str = ""


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One non-blank data row: its row number in the sheet (1-based) and its cells by column.

    A column missing from the file, or an empty cell, is absent from ``cells``.
    """

    number: int
    cells: Mapping[Column, RawCell]


class ScoreFile(Protocol):
    """An opened score file. ``rows()`` streams; it may be called again for a second pass.

    Read-only members, as in every port: an adapter may give a narrower type.
    """

    @property
    def marker(self) -> str | None:
        """The template's hidden marker, or None for a file made elsewhere (or a CSV)."""
        ...

    @property
    def estimated_rows(self) -> int | None:
        """Rows the file announces (a worksheet's dimension), for progress; None when unknown."""
        ...

    @property
    def columns(self) -> Mapping[Column, str]:
        """Where each recognised column is: its letter (xlsx) or 1-based position (csv)."""
        ...

    def rows(self) -> Iterator[SheetRow]: ...


@dataclass(frozen=True)
class ClassHeading:
    """What the top of a template or an export says about the class."""

    class_id: int
    class_name: str
    base_name: str
    start_date: date
    end_date: date
    hours: Decimal


@dataclass(frozen=True)
class ExportRow:
    name: str
    id_number: str
    score: Decimal | None
    passed: bool | None
    hours: Decimal
    certificate_no: str | None
    remark: str | None


class ScoreWorkbooks(Protocol):
    """Reads and writes score files; implemented in ``storage/spreadsheets``."""

    def open(self, data: bytes, filename: str | None) -> ScoreFile:
        """Raises ``Invalid("file", reason)`` for a file that cannot be read as scores."""
        ...

    def template(self, heading: ClassHeading) -> bytes: ...

    def annotated(
        self,
        data: bytes,
        filename: str | None,
        problems: Mapping[int, Mapping[Column, str]],
        heading: ClassHeading,
    ) -> bytes:
        """The file as an xlsx, every row kept, each wrong cell red with its reason as a comment.

        ``problems`` maps a sheet row number to the explained columns; a reason about the row as a
        whole (a learner twice) is given on the ID-card column.
        """
        ...

    def export(self, heading: ClassHeading, rows: Sequence[ExportRow]) -> bytes: ...
