"""A class's score file as an admin fills it: the bot's template, opened in a spreadsheet program,
one learner a row, saved.

openpyxl stands in for Excel or WPS: the template's styles, validations and hidden marker are kept,
ID-card and certificate numbers are typed as text, scores and hours as numbers. Every row is right,
so an import measures the path every row takes when nothing is wrong.
"""

from __future__ import annotations

import io
import random
from datetime import date, timedelta
from decimal import Decimal

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from domain import validators
from domain.scores import PASS_MARK
from domain.scoresheet import FAIL_WORD, PASS_WORD, ClassHeading, Column
from storage.spreadsheets import OpenpyxlScoreWorkbooks

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力鹏宇浩晨欣怡佳雪梅琳"
FIRST_BIRTH = date(1960, 1, 1)


def learner_id(serial: int) -> str:
    """A valid ID-card number, different for each serial: 1,000 learners per birth date."""
    born = FIRST_BIRTH + timedelta(days=serial // 1000)
    first17 = f"420106{born:%Y%m%d}{serial % 1000:03d}"
    return first17 + validators.id_number_check_char(first17)


Cell = str | int | float | None


def learner_row(serial: int, chance: random.Random, hours: Decimal) -> list[Cell]:
    """Name, ID, score, pass/fail, hours, certificate, remark: in the template's column order."""
    name = chance.choice(SURNAMES) + "".join(chance.choices(GIVEN, k=chance.choice((1, 2))))
    score: float | int = chance.randint(45, 100)
    if chance.random() < 0.1:
        score = score - 0.5
    passed = Decimal(str(score)) >= PASS_MARK
    earned: Cell = (
        (int(hours) if hours == hours.to_integral_value() else float(hours)) if passed else 0
    )
    certificate = f"HBJJ-2026-{serial:06d}" if passed else None
    remark = "补考" if chance.random() < 0.02 else None
    return [
        name,
        learner_id(serial),
        score,
        PASS_WORD if passed else FAIL_WORD,
        earned,
        certificate,
        remark,
    ]


def filled_template(
    heading: ClassHeading,
    rows: int,
    workbooks: OpenpyxlScoreWorkbooks | None = None,
    seed: int = 2026,
) -> bytes:
    """The class's template with ``rows`` learners under its header, saved as Excel saves it."""
    template = (workbooks or OpenpyxlScoreWorkbooks()).template(heading)
    book = load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    assert isinstance(sheet, Worksheet)
    header_row = _header_row(sheet)
    columns = list(Column)
    id_column = columns.index(Column.ID_NUMBER) + 1
    certificate_column = columns.index(Column.CERTIFICATE_NO) + 1
    chance = random.Random(seed)
    for serial in range(rows):
        number = header_row + 1 + serial
        for index, value in enumerate(learner_row(serial, chance, heading.hours), 1):
            if value is None:
                continue
            cell = sheet.cell(row=number, column=index)
            cell.value = value
            if index in (id_column, certificate_column):
                cell.number_format = "@"  # typed as text, as the template's column asks
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _header_row(sheet: Worksheet) -> int:
    wanted = Column.NAME.header
    for number, values in enumerate(sheet.iter_rows(max_row=10, values_only=True), 1):
        if wanted in values:
            return number
    raise AssertionError("the template has no header row in its first 10 rows")
