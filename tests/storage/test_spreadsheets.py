"""Score files as admins really send them: read into raw cells with the sheet's own row numbers,
refused with the reason that helps when they cannot be read, and written back (template, marked-up
file, export) so that Excel keeps every digit and evaluates nothing a person typed."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from domain import uploads
from domain.errors import Invalid
from domain.scoresheet import (
    CORRUPT,
    CSV_ENCODING,
    FAIL_WORD,
    MARKER_PREFIX,
    MAX_ROWS,
    NO_HEADER,
    NOT_A_SCORE_FILE,
    PASS_WORD,
    PASSWORD_PROTECTED,
    TOO_MANY_ROWS,
    XLS_REFUSED,
    Column,
    ExportRow,
    RawCell,
    ScoreWorkbooks,
    SheetRow,
)
from storage.spreadsheets import OpenpyxlScoreWorkbooks
from storage.spreadsheets.reading import HEADER_SEARCH_ROWS
from tests.storage import spreadsheet_samples
from tests.storage.spreadsheet_samples import HEADER, HEADING, an_id, package, sheet_xml
from tests.unit import samples as unit_samples

BOOKS = OpenpyxlScoreWorkbooks()
MARKER = f"{MARKER_PREFIX}{HEADING.class_id}"
ID_A, ID_B, ID_C = an_id(11), an_id(12), an_id(13)


def refusal(check: Callable[..., Any], *args: Any) -> Invalid:
    with pytest.raises(Invalid) as caught:
        result = check(*args)
        if hasattr(result, "rows"):
            list(result.rows())
    assert caught.value.field == "file"
    return caught.value


def read(data: bytes, filename: str | None = "成绩.xlsx") -> list[SheetRow]:
    return list(BOOKS.open(data, filename).rows())


def texts(row: SheetRow) -> dict[Column, str]:
    return {column: cell.text for column, cell in row.cells.items()}


def loaded(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data))


def test_the_adapter_is_a_score_workbooks() -> None:
    workbooks: ScoreWorkbooks = OpenpyxlScoreWorkbooks()
    assert workbooks.open(spreadsheet_samples.workbook_of([HEADER]), "a.xlsx").marker is None


# --- the template ---------------------------------------------------------------------------------


def test_an_untouched_template_has_its_header_marker_and_no_learner() -> None:
    opened = BOOKS.open(BOOKS.template(HEADING), "模板.xlsx")
    assert opened.marker == MARKER
    assert opened.columns == dict(zip(Column, "ABCDEFG", strict=True))
    assert list(opened.rows()) == []


def test_the_template_keeps_ids_as_text_offers_the_result_list_and_hides_its_marker() -> None:
    book = loaded(BOOKS.template(HEADING))
    assert book.sheetnames == ["成绩", "cebot"]
    sheet, marker = book["成绩"], book["cebot"]
    assert marker.sheet_state == "veryHidden" and marker["A1"].value == MARKER
    assert book.active.title == "成绩"
    assert HEADING.class_name in sheet["A1"].value
    assert HEADING.base_name in sheet["A2"].value and "2026-03-02" in sheet["A2"].value
    assert "24" in sheet["A3"].value and "18 位" in sheet["A3"].value
    assert [c.value for c in sheet[4]] == [column.header for column in Column]
    assert sheet.freeze_panes == "A5"
    for column in ("B", "F"):  # ID card, certificate
        assert sheet[f"{column}5"].number_format == "@"
        assert sheet[f"{column}2004"].number_format == "@"
        assert sheet.column_dimensions[column].number_format == "@"
    assert sheet["C5"].number_format == "General"
    lists = [dv for dv in sheet.data_validations.dataValidation if dv.type == "list"]
    assert [dv.formula1 for dv in lists] == [f'"{PASS_WORD},{FAIL_WORD}"']
    assert str(lists[0].sqref) == "D5:D1048576"
    assert sheet.column_dimensions["B"].width >= 20


def fill_template(rows: dict[int, dict[str, object]]) -> bytes:
    """What an admin does: open the template, type into cells, save."""
    book = loaded(BOOKS.template(HEADING))
    sheet = book["成绩"]
    for number, cells in rows.items():
        for column, value in cells.items():
            sheet[f"{column}{number}"] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_filled_template_reads_back_row_by_row() -> None:
    data = fill_template(
        {
            5: {"A": "张三", "B": ID_A, "C": 85, "D": PASS_WORD, "E": 24, "F": "ZS-001"},
            6: {"A": "李四", "B": ID_B, "D": FAIL_WORD, "E": 0, "G": "缺考"},
            9: {"A": "王五", "B": ID_C, "C": 59.5, "H": "ignored: not a column"},
        }
    )
    opened = BOOKS.open(data, "成绩.xlsx")
    assert opened.marker == MARKER
    rows = list(opened.rows())
    assert [row.number for row in rows] == [5, 6, 9]
    assert texts(rows[0]) == {
        Column.NAME: "张三",
        Column.ID_NUMBER: ID_A,
        Column.SCORE: "85",
        Column.PASSED: PASS_WORD,
        Column.HOURS: "24",
        Column.CERTIFICATE_NO: "ZS-001",
    }
    assert rows[0].cells[Column.ID_NUMBER] == RawCell(ID_A, False, "B5")
    assert rows[0].cells[Column.SCORE] == RawCell("85", True, "C5")
    assert texts(rows[1]) == {
        Column.NAME: "李四",
        Column.ID_NUMBER: ID_B,
        Column.PASSED: FAIL_WORD,
        Column.HOURS: "0",
        Column.REMARK: "缺考",
    }
    assert rows[2].cells[Column.SCORE] == RawCell("59.5", True, "C9")
    assert list(opened.rows()) == rows  # a second pass reads the same


# --- cells as Excel stores them -------------------------------------------------------------------


def test_numbers_keep_the_digits_excel_kept_and_say_they_were_numbers() -> None:
    sheet = sheet_xml(
        [
            (1, HEADER),
            (2, ["甲", "n:4.20106199001011E+17", "n:85.0", None, "n:24"]),
            (3, ["乙", "n:420101199001010011", "n:72.25", None, "n:1.5"]),
            (4, ["丙", "420101199001010028", "85"]),  # typed as text: stays text
        ],
        dimension="A1:E4",
    )
    rows = read(package([("Sheet1", sheet)]))
    assert rows[0].cells[Column.ID_NUMBER] == RawCell("4.20106199001011e+17", True, "B2")
    assert rows[0].cells[Column.SCORE] == RawCell("85", True, "C2")
    assert rows[1].cells[Column.ID_NUMBER] == RawCell("420101199001010011", True, "B3")
    assert texts(rows[1])[Column.SCORE] == "72.25"
    assert texts(rows[1])[Column.HOURS] == "1.5"
    assert rows[2].cells[Column.ID_NUMBER] == RawCell("420101199001010028", False, "B4")
    assert rows[2].cells[Column.SCORE] == RawCell("85", False, "C4")


def test_an_id_saved_by_openpyxl_as_a_float_shows_as_excel_shows_it() -> None:
    rows = read(
        spreadsheet_samples.workbook_of(
            [HEADER, ["甲", 4.20106199001011e17], ["乙", 420101199001010011]]
        )
    )
    assert rows[0].cells[Column.ID_NUMBER] == RawCell("4.20106199001011e+17", True, "B2")
    # openpyxl, like Excel, writes at most 16 significant digits: the number is already broken.
    assert rows[1].cells[Column.ID_NUMBER] == RawCell("4.2010119900101e+17", True, "B3")


def test_text_is_kept_as_typed_except_surrounding_spaces() -> None:
    full_width = "４２０１０１１９９００１０１００１１"
    rows = read(
        spreadsheet_samples.workbook_of(
            [
                HEADER,
                ["  张 三\u3000", full_width, "８５", "合格 "],
                ["李四", "42010119900101001x", "", "  "],
            ]
        )
    )
    assert texts(rows[0]) == {
        Column.NAME: "张 三",
        Column.ID_NUMBER: full_width,
        Column.SCORE: "８５",
        Column.PASSED: "合格",
    }
    assert texts(rows[1]) == {Column.NAME: "李四", Column.ID_NUMBER: "42010119900101001x"}


def test_a_formula_counts_by_the_value_excel_computed() -> None:
    sheet = sheet_xml([(1, HEADER), (2, ["张三", ID_A])], dimension="A1:C2").replace(
        b"</c></row></sheetData>",
        b'</c><c r="C2"><f>AVERAGE(80,90)</f><v>85</v></c></row></sheetData>',
    )
    (row,) = read(package([("Sheet1", sheet)]))
    assert row.cells[Column.SCORE] == RawCell("85", True, "C2")


def test_dates_and_booleans_become_readable_text() -> None:
    rows = read(
        spreadsheet_samples.workbook_of(
            [
                HEADER,
                ["甲", ID_A, None, True, None, None, date(2026, 3, 2)],
                ["乙", ID_B, None, False, None, None, datetime(2026, 3, 2, 14, 30)],
            ]
        )
    )
    assert rows[0].cells[Column.PASSED] == RawCell("TRUE", False, "D2")
    assert texts(rows[0])[Column.REMARK] == "2026-03-02"
    assert texts(rows[1])[Column.PASSED] == "FALSE"
    assert texts(rows[1])[Column.REMARK] == "2026-03-02 14:30:00"


# --- finding the data -----------------------------------------------------------------------------


def test_title_rows_any_column_order_extra_columns_and_header_variants() -> None:
    data = spreadsheet_samples.workbook_of(
        [
            ["2026 年培训班成绩"],
            [],
            ["序号", "ＩＤ  Number", "所在单位", "* 姓名 ", "分数", "考核结果", "学时"],
            [1, ID_A, "某医院", "张三", 90, "合格", 24],
        ]
    )
    opened = BOOKS.open(data, "x.xlsx")
    assert opened.columns == {
        Column.ID_NUMBER: "B",
        Column.NAME: "D",
        Column.SCORE: "E",
        Column.PASSED: "F",
        Column.HOURS: "G",
    }
    (row,) = opened.rows()
    assert row.number == 4
    assert texts(row) == {
        Column.ID_NUMBER: ID_A,
        Column.NAME: "张三",
        Column.SCORE: "90",
        Column.PASSED: "合格",
        Column.HOURS: "24",
    }
    assert row.cells[Column.NAME].coordinate == "D4"


def test_blank_rows_and_rows_with_only_unknown_columns_are_skipped() -> None:
    rows = read(
        spreadsheet_samples.workbook_of(
            [
                [*HEADER, "单位"],
                ["张三", ID_A],
                [None, None, None],
                ["", "  ", None, None, None, None, None, "某医院"],
                [],
                ["李四", ID_B],
            ]
        )
    )
    assert [row.number for row in rows] == [2, 6]


def test_the_header_must_be_in_the_first_ten_rows_and_name_both_required_columns() -> None:
    titles: list[list[object]] = [[f"说明 {n}"] for n in range(HEADER_SEARCH_ROWS - 1)]
    found = BOOKS.open(spreadsheet_samples.workbook_of([*titles, HEADER, ["张三", ID_A]]), "x.xlsx")
    assert [row.number for row in found.rows()] == [HEADER_SEARCH_ROWS + 1]

    too_low = spreadsheet_samples.workbook_of([*titles, [], HEADER, ["张三", ID_A]])
    assert refusal(BOOKS.open, too_low, "x.xlsx").key == NO_HEADER
    no_id = spreadsheet_samples.workbook_of([["姓名", "成绩"], ["张三", 90]])
    assert refusal(BOOKS.open, no_id, "x.xlsx").key == NO_HEADER


def test_the_first_visible_sheet_holds_the_data_and_only_a_cebot_marker_counts() -> None:
    data = spreadsheet_samples.workbook_of([HEADER, ["张三", ID_A]], before=[("说明", "hidden")])
    opened = BOOKS.open(data, "x.xlsx")
    assert [texts(row)[Column.NAME] for row in opened.rows()] == ["张三"]
    assert opened.marker is None
    other = spreadsheet_samples.workbook_of(
        [HEADER], before=[("cebot", "veryHidden")]
    )  # A1 is not a marker
    assert BOOKS.open(other, "x.xlsx").marker is None


def test_a_dimension_that_lies_small_hides_no_column_and_no_row() -> None:
    sheet = sheet_xml(
        [
            (1, ["标题"]),
            (2, HEADER),
            (3, ["张三", ID_A, 90, "合格", 24, "Z-1", "好"]),
            (7, ["李四"]),
        ],
        dimension="A1:A1",
    )
    opened = BOOKS.open(package([("Sheet1", sheet)]), "x.xlsx")
    assert set(opened.columns) == set(Column)
    rows = list(opened.rows())
    assert [row.number for row in rows] == [3, 7]
    assert len(rows[0].cells) == len(Column)


def test_estimated_rows_come_from_the_dimension_when_there_is_one() -> None:
    assert (
        BOOKS.open(
            spreadsheet_samples.workbook_of([["标题"], HEADER, ["张三", ID_A]]), "x"
        ).estimated_rows
        == 1
    )
    undeclared = package([("S", sheet_xml([(1, HEADER), (2, ["张三", ID_A])]))])
    assert BOOKS.open(undeclared, "x").estimated_rows is None


# --- CSV ------------------------------------------------------------------------------------------


def test_a_utf8_csv_with_bom_quotes_and_crlf() -> None:
    data = spreadsheet_samples.csv_bytes(
        [
            ["2026 年成绩"],
            [],
            list(HEADER),
            ["张三", ID_A, "85", "合格", "24", "", "说明,含逗号"],
            [],
            ["李四", "4.20106E+17", "", "不合格", "0", "", '两行\r\n"备注"'],
        ],
        "utf-8-sig",
    )
    assert data.startswith(b"\xef\xbb\xbf")
    opened = BOOKS.open(data, "成绩.csv")
    assert opened.marker is None and opened.estimated_rows is None
    assert opened.columns[Column.NAME] == "1" and opened.columns[Column.REMARK] == "7"
    rows = list(opened.rows())
    assert [row.number for row in rows] == [4, 6]
    assert rows[0].cells[Column.REMARK] == RawCell("说明,含逗号", False, "G4")
    assert rows[0].cells[Column.SCORE] == RawCell("85", False, "C4")
    assert Column.CERTIFICATE_NO not in rows[0].cells
    assert texts(rows[1])[Column.ID_NUMBER] == "4.20106E+17"
    assert texts(rows[1])[Column.REMARK] == '两行\r\n"备注"'
    assert list(opened.rows()) == rows


def test_a_gbk_csv_as_chinese_excel_saves_it() -> None:
    data = spreadsheet_samples.csv_bytes([list(HEADER), ["欧阳娜娜", ID_A, "90", "合格"]], "gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    (row,) = read(data, "成绩.csv")
    assert texts(row)[Column.NAME] == "欧阳娜娜"


def test_a_tab_separated_file_is_read_too() -> None:
    data = ("\t".join(HEADER) + "\n张三\t" + ID_A + "\t88\n").encode()
    (row,) = read(data, "成绩.txt")
    assert texts(row) == {Column.NAME: "张三", Column.ID_NUMBER: ID_A, Column.SCORE: "88"}


@pytest.mark.parametrize(
    "data",
    [
        ",".join(HEADER).encode() + b"\n\xe5\xbc\xa0\x80\x80,1\n",  # neither UTF-8 nor GB18030
        b"\xff\xfe" + ",".join(HEADER).encode("utf-16-le"),  # Excel's "Unicode text"
    ],
)
def test_a_csv_in_another_encoding_is_refused_with_how_to_save_it(data: bytes) -> None:
    assert refusal(BOOKS.open, data, "成绩.csv").key == CSV_ENCODING


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda: unit_samples.ole2(unit_samples.WORKBOOK_TREE), XLS_REFUSED),
        (lambda: unit_samples.ole2(unit_samples.BIFF5_TREE), XLS_REFUSED),
        (lambda: unit_samples.ole2(unit_samples.ENCRYPTED_OOXML_TREE), PASSWORD_PROTECTED),
        (lambda: unit_samples.ole2({"EncryptionInfo": None}), PASSWORD_PROTECTED),
        (lambda: unit_samples.ole2(unit_samples.WORD_TREE), NOT_A_SCORE_FILE),
        (lambda: unit_samples.ole2_with_directory_loop(unit_samples.WORKBOOK_TREE), CORRUPT),
        (unit_samples.pdf, NOT_A_SCORE_FILE),
        (unit_samples.png, NOT_A_SCORE_FILE),
        (unit_samples.jpeg, NOT_A_SCORE_FILE),
        (unit_samples.exe, NOT_A_SCORE_FILE),
        (unit_samples.random_bytes, NOT_A_SCORE_FILE),
        (lambda: b"", uploads.EMPTY),
    ],
)
def test_files_that_are_not_readable_score_files(build: Callable[[], bytes], reason: str) -> None:
    assert refusal(BOOKS.open, build(), "成绩.xlsx").key == reason


def test_an_xls_named_xlsx_is_still_an_xls() -> None:
    assert (
        refusal(BOOKS.open, unit_samples.ole2(unit_samples.WORKBOOK_TREE), "成绩.xlsx").key
        == XLS_REFUSED
    )
    assert (
        refusal(BOOKS.open, unit_samples.ole2(unit_samples.WORKBOOK_TREE), None).key == XLS_REFUSED
    )


def test_a_web_page_saved_as_xls_is_told_to_be_saved_as_xlsx() -> None:
    page = "<html><body><table><tr><td>姓名</td><td>身份证号</td></tr></table></body></html>"
    assert refusal(BOOKS.open, page.encode(), "导出.xls").key == XLS_REFUSED
    spreadsheet_2003 = b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com">'
    assert refusal(BOOKS.open, spreadsheet_2003, "成绩.xls").key == XLS_REFUSED
    assert refusal(BOOKS.open, page.encode(), "page.html").key == NOT_A_SCORE_FILE


def test_damaged_and_foreign_zips() -> None:
    good = spreadsheet_samples.workbook_of([HEADER, ["张三", ID_A]])
    assert refusal(BOOKS.open, good[: len(good) // 2], "x.xlsx").key == uploads.ZIP_CORRUPT
    assert refusal(BOOKS.open, unit_samples.docx(), "x.xlsx").key == uploads.NOT_ALLOWED
    assert refusal(BOOKS.open, unit_samples.zip_of([("a.txt", b"x")]), "x.xlsx").key == (
        uploads.ZIP_NOT_OFFICE
    )
    broken_xml = package([("Sheet1", b"<worksheet><sheetData><row>")])
    assert refusal(BOOKS.open, broken_xml, "x.xlsx").key == CORRUPT
    flagged = unit_samples.patch_member(good, "xl/workbook.xml", flag_bits=1)
    assert refusal(BOOKS.open, flagged, "x.xlsx").key == uploads.PASSWORD_PROTECTED


def test_zip_bombs_are_refused_by_what_they_inflate_to() -> None:
    sheet = ("Sheet1", sheet_xml([(1, HEADER)], dimension="A1:G1"))
    bomb = package([sheet], extra=[("xl/media/image1.bin", bytes(5 * unit_samples.MB))])
    assert refusal(BOOKS.open, bomb, "x.xlsx").key == uploads.ZIP_SUSPICIOUS_RATIO
    stored = package([sheet], compression=zipfile.ZIP_STORED)
    quoted = unit_samples.quote_member(
        stored, "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"
    )
    assert refusal(BOOKS.open, quoted, "x.xlsx").key == uploads.ZIP_CORRUPT


@pytest.mark.parametrize("in_strings", [False, True])
def test_an_xml_entity_bomb_is_refused_unexpanded(in_strings: bool) -> None:
    refused = refusal(
        BOOKS.open, spreadsheet_samples.billion_laughs(in_strings=in_strings), "x.xlsx"
    )
    assert refused.key == CORRUPT
    causes = []
    cause: BaseException | None = refused
    while cause is not None:
        causes.append(type(cause).__name__)
        cause = cause.__cause__ or cause.__context__
    assert "EntitiesForbidden" in causes  # defusedxml refused the declaration itself


def test_the_zip_limits_let_a_hundred_thousand_row_sheet_through() -> None:
    rows = b"".join(
        b'<row r="%d" spans="1:7"><c r="A%d" t="s"><v>0</v></c><c r="B%d" s="1" t="s"><v>%d</v>'
        b'</c><c r="C%d"><v>%d</v></c><c r="D%d" t="s"><v>1</v></c><c r="E%d"><v>24</v></c>'
        b'<c r="F%d" t="inlineStr"><is><t>ZS-%06d</t></is></c></row>'
        % (n, n, n, n + 2, n, 60 + n % 41, n, n, n, n)
        for n in range(2, MAX_ROWS + 2)
    )
    head = sheet_xml([(1, HEADER)], dimension=f"A1:G{MAX_ROWS + 1}").replace(b"</sheetData>", b"")
    data = package(
        [("Sheet1", head.replace(b"</worksheet>", b"") + rows + b"</sheetData></worksheet>")],
        shared_strings=["张三", "合格", *(an_id(n) for n in range(MAX_ROWS + 2))],
    )
    assert len(data) < uploads.MAX_UPLOAD_BYTES
    assert BOOKS.open(data, "x.xlsx").estimated_rows == MAX_ROWS


# --- how many rows --------------------------------------------------------------------------------


def test_a_million_announced_rows_are_refused_before_any_row_is_read() -> None:
    refused = refusal(BOOKS.open, spreadsheet_samples.million_rows(dimension=True), "x.xlsx")
    assert refused.key == TOO_MANY_ROWS
    assert refused.params == {"rows": 1_000_000, "maximum": MAX_ROWS}


def test_a_million_unannounced_rows_are_counted_without_parsing_and_refused_early() -> None:
    refused = refusal(BOOKS.open, spreadsheet_samples.million_rows(dimension=False), "x.xlsx")
    assert refused.key == TOO_MANY_ROWS
    assert refused.params["maximum"] == MAX_ROWS
    assert MAX_ROWS < refused.params["rows"] < 1_000_000  # the count stopped past the limit


def numbered_sheet(count: int, *, dimension: str | None) -> bytes:
    learners = [(n, ["学员", "n:" + str(n)]) for n in range(2, count + 2)]
    return package([("S", sheet_xml([(1, HEADER), *learners], dimension=dimension))])


def test_rows_past_the_limit_stop_the_stream_when_the_dimension_lies() -> None:
    books = OpenpyxlScoreWorkbooks(max_rows=50)
    opened = books.open(numbered_sheet(60, dimension="A1:B3"), "x.xlsx")
    assert opened.estimated_rows == 2  # what the file claims
    seen: list[int] = []
    with pytest.raises(Invalid) as caught:
        for row in opened.rows():
            seen.append(row.number)
    assert caught.value.key == TOO_MANY_ROWS
    assert caught.value.params == {"rows": 51, "maximum": 50}
    assert seen == list(range(2, 52))


def test_the_limit_counts_rows_below_the_header() -> None:
    books = OpenpyxlScoreWorkbooks(max_rows=50)
    assert len(list(books.open(numbered_sheet(50, dimension="A1:B51"), "x").rows())) == 50
    announced = refusal(books.open, numbered_sheet(51, dimension="A1:B52"), "x")
    assert announced.params == {"rows": 51, "maximum": 50}
    unannounced = refusal(books.open, numbered_sheet(80, dimension=None), "x")
    assert unannounced.key == TOO_MANY_ROWS
    csv = ("姓名,身份证号\n" + "学员,1\n" * 51).encode()
    assert refusal(books.open, csv, "x.csv").params == {"rows": 51, "maximum": 50}


# --- the marked-up file ---------------------------------------------------------------------------


def messy_upload() -> bytes:
    return spreadsheet_samples.workbook_of(
        [
            ["2026 年培训班成绩"],
            ["序号", "姓名", "身份证号", "成绩", "所在单位"],
            [1, "张三", 4.20106199001011e17, 85, "某医院"],
            [],
            [3, "李四", ID_B, None, '=HYPERLINK("http://x")'],
            [4, "王五", ID_C, 200],
        ],
        title="我的成绩表",
        as_text=["E5"],
    )


def test_marked_up_cells_are_red_with_their_reason_at_the_same_coordinates() -> None:
    data = messy_upload()
    problems = {
        3: {Column.ID_NUMBER: "被当成了数字"},
        5: {Column.SCORE: "请填写成绩", Column.PASSED: "缺是否合格", Column.NAME: "姓名有误"},
        6: {Column.SCORE: "成绩应在 0–100 之间"},
        9: {Column.ID_NUMBER: "重复的学员"},
    }
    out = BOOKS.annotated(data, "成绩.xlsx", problems, HEADING)
    book = loaded(out)
    assert book.sheetnames == ["我的成绩表", "错误说明", "cebot"]
    assert book["cebot"].sheet_state == "veryHidden" and book["cebot"]["A1"].value == MARKER
    sheet, original = book["我的成绩表"], loaded(data)["我的成绩表"]

    for row in original.iter_rows():  # every value where it was
        for cell in row:
            if cell.value is not None and cell.coordinate != "C3":
                assert sheet[cell.coordinate].value == cell.value, cell.coordinate
    assert sheet["C3"].value == "4.20106199001011e+17"  # the ID column is text now
    assert sheet["C3"].data_type == "s" and sheet["C3"].number_format == "@"
    assert sheet["C5"].value == ID_B and sheet["C5"].number_format == "@"
    assert sheet["E5"].data_type == "s"  # a string that looks like a formula stays a string
    assert sheet.column_dimensions["C"].number_format == "@"  # corrections keep every digit
    (score_range,) = sheet.data_validations.dataValidation
    assert (score_range.type, str(score_range.sqref)) == ("decimal", "D3:D1048576")
    assert sheet.freeze_panes == "A3"

    def marked(coordinate: str) -> str | None:
        cell = sheet[coordinate]
        if cell.fill.fill_type != "solid":
            return None
        assert cell.fill.fgColor.rgb.endswith("FFC7CE")
        assert cell.comment is not None and cell.comment.author == "cebot"
        return str(cell.comment.text)

    assert marked("C3") == "被当成了数字"
    assert marked("D5") == "请填写成绩"  # an empty cell, marked all the same
    assert marked("B5") == "姓名有误"
    assert marked("A5") == "是否合格：缺是否合格"  # no such column: on the row's first cell
    assert marked("D6") == "成绩应在 0–100 之间"
    assert marked("C9") == "重复的学员"  # a row past the end is still shown
    assert marked("B3") is None and marked("D3") is None and marked("E5") is None

    summary = list(book["错误说明"].values)
    assert summary[1] == ("行号", "单元格", "列", "原因")
    assert summary[2:] == [
        (3, "C3", "身份证号", "被当成了数字"),
        (5, "B5", "姓名", "姓名有误"),
        (5, "D5", "成绩", "请填写成绩"),
        (5, "A5", "是否合格", "缺是否合格"),
        (6, "D6", "成绩", "成绩应在 0–100 之间"),
        (9, "C9", "身份证号", "重复的学员"),
    ]

    again = BOOKS.open(out, "成绩.xlsx")  # sent back as it is: same rows, recognised
    assert again.marker == MARKER
    assert [row.number for row in again.rows()] == [3, 5, 6]


def test_a_csv_is_marked_up_as_an_xlsx_with_the_same_cells() -> None:
    data = spreadsheet_samples.csv_bytes(
        [list(HEADER), ["张三", "4.20106E+17", "90", "", "", "", "=1+1"], ["李四", ID_B]],
        "gbk",
    )
    out = BOOKS.annotated(data, "成绩.csv", {2: {Column.ID_NUMBER: "被当成了数字"}}, HEADING)
    sheet = loaded(out)["成绩"]
    assert [c.value for c in sheet[1]] == list(HEADER)
    assert sheet["B2"].value == "4.20106E+17" and sheet["B2"].comment.text == "被当成了数字"
    assert sheet["C2"].value == "90"
    assert (sheet["G2"].value, sheet["G2"].data_type) == ("=1+1", "s")
    assert sheet["A3"].value == "李四" and sheet["B3"].fill.fill_type is None


def test_past_the_comment_budget_cells_are_only_filled() -> None:
    books = OpenpyxlScoreWorkbooks(max_comments=1)
    data = spreadsheet_samples.workbook_of([HEADER, ["张三", "x"], ["李四", "y"]])
    problems = {2: {Column.ID_NUMBER: "错"}, 3: {Column.ID_NUMBER: "错"}}
    sheet = loaded(books.annotated(data, "x.xlsx", problems, HEADING))["Sheet1"]
    assert sheet["B2"].comment is not None and sheet["B3"].comment is None
    assert sheet["B3"].fill.fill_type == "solid"


# --- the export -----------------------------------------------------------------------------------

LEARNERS = [
    ExportRow("张三", ID_A, Decimal("95"), True, Decimal(24), "ZS-001", None),
    ExportRow("李四", ID_B, Decimal("59.5"), False, Decimal(0), None, "补考"),
    ExportRow("王五", ID_C, Decimal("60"), True, Decimal("24.0"), None, None),
    ExportRow("赵六", an_id(14), None, True, Decimal(12), None, None),
    ExportRow(
        '=HYPERLINK("http://x")', an_id(15), Decimal(80), True, Decimal(24), "@SUM(A1)", "+1"
    ),
    ExportRow("\t=1", an_id(16), Decimal("89.9"), None, Decimal(0), None, "-2"),
]


def test_the_export_lists_every_learner_with_ids_as_text() -> None:
    data = BOOKS.export(HEADING, LEARNERS)
    book = loaded(data)
    assert book.sheetnames == ["成绩", "汇总", "cebot"]
    sheet = book["成绩"]
    assert [c.value for c in sheet[3]] == [column.header for column in Column]
    assert [c.value for c in sheet[4]] == ["张三", ID_A, 95, "合格", 24, "ZS-001", None]
    assert [c.value for c in sheet[5]] == ["李四", ID_B, 59.5, "不合格", 0, None, "补考"]
    assert sheet["D7"].value == "合格" and sheet["C7"].value is None
    assert sheet["D9"].value is None
    for row in range(4, 10):
        assert sheet[f"B{row}"].data_type == "s" and sheet[f"B{row}"].number_format == "@"
    assert len(sheet["B4"].value) == 18

    opened = BOOKS.open(data, "导出.xlsx")  # and it can be corrected and sent back
    assert opened.marker == MARKER
    assert [row.number for row in opened.rows()] == list(range(4, 10))


def test_formula_looking_text_stays_text_everywhere() -> None:
    dangerous = HEADING.__class__(**{**HEADING.__dict__, "class_name": "=cmd|' /C calc'!A0"})
    export = loaded(BOOKS.export(dangerous, LEARNERS))["成绩"]
    for coordinate, value in [
        ("A8", '=HYPERLINK("http://x")'),
        ("F8", "@SUM(A1)"),
        ("G8", "+1"),
        ("A9", "\t=1"),
        ("G9", "-2"),
    ]:
        assert (export[coordinate].value, export[coordinate].data_type) == (value, "s")
    assert export["A1"].data_type == "s"

    template = loaded(BOOKS.template(dangerous))["成绩"]
    assert template["A1"].data_type == "s" and "=cmd" in template["A1"].value
    raw = zipfile.ZipFile(io.BytesIO(BOOKS.export(dangerous, LEARNERS)))
    for name in raw.namelist():
        if name.startswith("xl/worksheets/sheet"):
            assert b"<f>" not in raw.read(name)  # not a single formula in any sheet


def test_the_summary_counts_and_charts() -> None:
    data = BOOKS.export(HEADING, LEARNERS)
    summary = loaded(data)["汇总"]
    values = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row[0]}
    assert values["学员人数"] == 6
    assert values["合格人数"] == 4 and values["不合格人数"] == 1
    assert values["合格率"] == pytest.approx(4 / 6)
    assert summary["B8"].number_format == "0.0%"
    assert values["获得学时合计"] == 84
    assert values["平均成绩"] == pytest.approx(76.88)  # (95 + 59.5 + 60 + 80 + 89.9) / 5
    assert [(label, values[label]) for label in ("0–59", "60–69", "70–79", "80–89", "90–100")] == [
        ("0–59", 1),
        ("60–69", 1),
        ("70–79", 0),
        ("80–89", 2),
        ("90–100", 1),
    ]
    assert values["未计分"] == 1
    archive = zipfile.ZipFile(io.BytesIO(data))
    charts = [archive.read(n) for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 2
    assert any(b"barChart" in chart for chart in charts)
    assert any(b"pieChart" in chart for chart in charts)
    assert any(b"'\xe6\xb1\x87\xe6\x80\xbb'!$B$13:$B$18" in chart for chart in charts)  # 汇总


def test_an_empty_class_exports_without_dividing_by_zero() -> None:
    summary = loaded(BOOKS.export(HEADING, []))["汇总"]
    values = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row[0]}
    assert values["学员人数"] == 0
    assert values["合格率"] is None and values["平均成绩"] is None


def test_control_characters_no_xml_can_hold_are_dropped_not_fatal() -> None:
    learner = ExportRow("张\x01三", ID_A, None, True, Decimal(24), None, "备\x0b注")
    sheet = loaded(BOOKS.export(HEADING, [learner]))["成绩"]
    assert sheet["A4"].value == "张三" and sheet["G4"].value == "备注"
