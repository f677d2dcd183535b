"""学员成绩 files end to end, from the template to the export, and the files that are refused.

Template → filled by hand → checked → marked file → fixed → confirmed → exported; messy and
hostile files refused with the reason; another class's template refused.
"""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from typing import Any

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from tests.e2e.chat import Person
from tests.e2e.conftest import Stack, texts
from tests.e2e.scores_setup import approved_class, learner_id, stored_learners
from tests.e2e.test_accounts import admin, register
from tests.unit import samples

CLASS_NAME = "2026年武汉专业科目培训班"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


async def boss_at_sheet(stack: Stack) -> tuple[Person, int]:
    boss = admin(stack)
    await register(boss)
    await boss.press("确认注册")
    class_id = await approved_class(stack)
    await boss.say("/scores")
    await boss.press(CLASS_NAME)
    return boss, class_id


def documents(person: Person) -> list[Any]:
    return [m for m in person.user.messages if m.from_bot and m.document is not None]


def header_row(sheet: Worksheet) -> int:
    for row in sheet.iter_rows(min_row=1, max_row=10):
        if any(cell.value == "姓名" for cell in row):
            number = row[0].row
            assert number is not None, "a cell read from the file knows its row"
            return number
    raise AssertionError("the template has no header")


def fill(template: bytes, learners: list[tuple[Any, ...]]) -> bytes:
    """As an admin would: open the template, type rows under the header, save."""
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    top = header_row(sheet)
    for offset, values in enumerate(learners, start=1):
        for column, value in enumerate(values, start=1):
            sheet.cell(row=top + offset, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def wrong_check_char(id_number: str) -> str:
    return id_number[:-1] + ("0" if id_number[-1] != "0" else "1")


async def template_of(boss: Person, class_name: str = CLASS_NAME) -> bytes:
    await boss.press("下载成绩模板")
    document = documents(boss)[-1]
    assert document.document.filename == f"成绩模板-{class_name}.xlsx"
    data: bytes = document.document.data
    return data


async def send(boss: Person, data: bytes, name: str = "成绩.xlsx") -> str:
    await boss.press("导入成绩文件")
    before = len(boss.user.messages)
    await boss.user.send_document(data, name)
    await boss.settle()
    return texts([m for m in boss.user.messages[before:] if m.from_bot])


async def test_template_round_trip_with_a_marked_file_then_confirm_and_export(
    stack: Stack,
) -> None:
    boss, class_id = await boss_at_sheet(stack)
    template = await template_of(boss)
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    assert CLASS_NAME in str(sheet["A1"].value)
    headers = [c.value for c in sheet[header_row(sheet)]][:7]
    assert headers == ["姓名", "身份证号", "成绩", "是否合格", "获得学时", "证书编号", "备注"]

    good = [
        (f"学员{i}", learner_id(i), 60 + i % 40, None, None, f"ZS-{i}", None) for i in range(1, 998)
    ]
    wrong = [
        ("张错", wrong_check_char(learner_id(998)), 80, None, None, None, None),
        ("李数", 4.20101199001010e17, 80, None, None, None, None),
        ("王不", learner_id(999), 45, "合格", None, None, None),
    ]
    first = fill(template, good + wrong)
    answer = await send(boss, first)
    assert "共 1000 行：新增 997 名，修改 0 名，不变 0 名，有错误 3 行" in answer
    assert "校验位不正确" in answer and "Excel 当成了数字" in answer and "不一致" in answer
    assert "确认导入 997 名学员" in boss.buttons()
    marked = documents(boss)[-1].document.data
    marked_book = openpyxl.load_workbook(io.BytesIO(marked))
    marked_sheet = marked_book.worksheets[0]
    top = header_row(marked_sheet)
    id_cell = marked_sheet.cell(row=top + 998, column=2)
    assert id_cell.comment is not None and "校验位" in id_cell.comment.text
    assert id_cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert marked_sheet.cell(row=top + 1, column=2).comment is None
    assert await stored_learners(stack, class_id) == []  # nothing before confirmation

    # The admin fixes the three rows in the marked file and sends it back.
    fixed_book = openpyxl.load_workbook(io.BytesIO(marked))
    fixed_sheet = fixed_book.worksheets[0]
    fixed_sheet.cell(row=top + 998, column=2, value=learner_id(998))
    fixed_sheet.cell(row=top + 999, column=2, value=learner_id(0))
    fixed_sheet.cell(row=top + 1000, column=4, value="不合格")
    out = io.BytesIO()
    fixed_book.save(out)
    await boss.user.send_document(out.getvalue(), "成绩-改正.xlsx")
    await boss.settle()
    again = boss.last_text()
    assert "新增 1000 名" in again and "有错误 0 行" in again
    done = texts(await boss.press("确认导入 1000 名学员"))
    assert "已导入 1000 名学员的成绩" in done and "学员 1000 名" in done
    assert len(await stored_learners(stack, class_id)) == 1000

    # A second file changes one score: shown as old → new, replaces only that learner.
    changed = fill(template, [("学员1", learner_id(1), 99, None, None, "ZS-1", None)])
    preview = await send(boss, changed)
    assert (
        "修改 1 名" in preview
        and "学员1：61 分（合格），24 学时 → 99 分（合格），24 学时" in preview
    )
    await boss.press("确认导入 1 名学员")
    records = {r.id_number: r for r in await stored_learners(stack, class_id)}
    assert len(records) == 1000 and records[learner_id(1)].score == Decimal(99)

    await boss.press("导出成绩")
    exported = documents(boss)[-1].document.data
    export_book = openpyxl.load_workbook(io.BytesIO(exported))
    rows = list(export_book["成绩"].iter_rows(values_only=True))
    assert any(row[1] == learner_id(1) and row[2] == 99 for row in rows)
    assert "汇总" in export_book.sheetnames
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        assert any(name.startswith("xl/charts/chart") for name in archive.namelist())


async def test_messy_real_files_are_read_or_refused_with_the_reason(stack: Stack) -> None:
    boss, class_id = await boss_at_sheet(stack)

    # A CSV in GBK, columns in another order, a title row, extra columns, blank rows, full-width
    # digits, a lower-case x, spaces inside the number, numbers as text.
    x_id = next(learner_id(i) for i in range(100, 400) if learner_id(i).endswith("X"))
    spaced = x_id[:6] + " " + x_id[6:14] + " " + x_id[14:].lower()
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["2026年成绩登记表"])
    writer.writerow(["序号", "成绩", "身份证号码", "姓名", "备用"])
    writer.writerow(["1", "８８", spaced, "赵六", "x"])
    writer.writerow([])
    writer.writerow(["2", " 70 ", learner_id(7).translate(FULL_WIDTH), "钱七", ""])
    answer = await send(boss, text.getvalue().encode("gbk"), "成绩.csv")
    assert "新增 2 名" in answer and "有错误 0 行" in answer
    await boss.press("确认导入 2 名学员")
    assert {r.id_number for r in await stored_learners(stack, class_id)} == {x_id, learner_id(7)}

    await boss.press("导入成绩文件")
    for data, name, reason in (
        (samples.ole2(samples.WORKBOOK_TREE), "成绩.xls", "另存为"),
        (b"PK\x03\x04 not really a zip", "成绩.xlsx", "损坏"),
        (b"MZ\x90\x00 a program", "成绩.xlsx", "请发送 Excel 工作簿"),
    ):
        before = len(boss.user.messages)
        await boss.user.send_document(data, name)
        await boss.settle()
        said = texts([m for m in boss.user.messages[before:] if m.from_bot])
        assert reason in said and "请改正后重新发送文件" in said, said
        assert "抱歉" not in said
    before = len(boss.user.messages)
    await boss.user.send_document(b"", "大文件.xlsx", size_override=25 * 1024 * 1024)
    await boss.settle()
    assert "20 MB" in texts([m for m in boss.user.messages[before:] if m.from_bot])
    assert len(await stored_learners(stack, class_id)) == 2


async def test_another_class_template_is_refused(stack: Stack) -> None:
    boss, class_id = await boss_at_sheet(stack)
    other = await approved_class(stack, name="2026年武汉公需科目培训班")
    await boss.say("/scores")
    await boss.press("2026年武汉公需科目培训班")
    other_template = await template_of(boss, "2026年武汉公需科目培训班")
    filled = fill(other_template, [("张三", learner_id(1), 80, None, None, None, None)])
    await boss.say("/scores")
    await boss.press(CLASS_NAME)
    answer = await send(boss, filled)
    assert "另一个培训班的成绩模板" in answer and CLASS_NAME in answer
    assert (
        await stored_learners(stack, class_id) == [] and await stored_learners(stack, other) == []
    )
