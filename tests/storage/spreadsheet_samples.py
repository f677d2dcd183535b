"""Score workbooks built in memory for the spreadsheet adapter's tests: no binary file committed.

Two kinds: files made with openpyxl as an admin's Excel would leave them (``workbook_of``), and
packages whose XML is written here byte by byte (``package``), for what openpyxl would never
write: shared strings as Excel uses them, numbers in Excel's own notation, a dimension that lies
or is missing, a million rows, an entity bomb.
"""

from __future__ import annotations

import functools
import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from domain import validators
from domain.scoresheet import ClassHeading
from tests.unit.samples import CONTENT_TYPES, zip_of

HEADING = ClassHeading(
    class_id=42,
    class_name="2026 年专业技术人员继续教育培训班",
    base_name="武汉某继续教育基地",
    start_date=date(2026, 3, 2),
    end_date=date(2026, 3, 6),
    hours=Decimal(24),
)
HEADER = ("姓名", "身份证号", "成绩", "是否合格", "获得学时", "证书编号", "备注")


def an_id(serial: int) -> str:
    first17 = f"42010119900101{serial % 1000:03d}"
    return first17 + validators.id_number_check_char(first17)


# --- as an admin's spreadsheet program leaves them -----------------------------------------------


def workbook_of(
    rows: Iterable[Sequence[object]],
    *,
    title: str = "Sheet1",
    before: Sequence[tuple[str, str]] = (),
    as_text: Sequence[str] = (),
) -> bytes:
    """A workbook made in openpyxl's normal mode; ``before`` adds sheets ahead of the data sheet
    as (title, state) pairs, e.g. a hidden one; cells named in ``as_text`` are string cells
    whatever they begin with (Excel's '=... typed with a leading apostrophe)."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for name, state in before:
        extra = book.create_sheet(name)
        extra["A1"] = "not the data"
        extra.sheet_state = state
    sheet = book.create_sheet(title)
    for row in rows:
        sheet.append(list(row))
    for reference in as_text:
        sheet[reference].data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: Iterable[Sequence[str]], encoding: str, *, newline: str = "\r\n") -> bytes:
    lines = []
    for row in rows:
        fields = ['"' + f.replace('"', '""') + '"' if set(f) & set(',"\r\n') else f for f in row]
        lines.append(",".join(fields))
    return (newline.join(lines) + newline).encode(encoding)


# --- packages written by hand --------------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_BOOK_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_STRINGS_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def package(
    sheets: Sequence[tuple[str, bytes]],
    *,
    shared_strings: Sequence[str] | bytes | None = None,
    states: Sequence[str] = (),
    extra: Iterable[tuple[str, bytes]] = (),
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """An xlsx of the given (name, sheet XML) pairs, with a shared-strings part when given (as
    the strings, or as the part's XML)."""
    overrides = [f'<Override PartName="/xl/workbook.xml" ContentType="{_BOOK_CT}"/>']
    book_rels = []
    entries = []
    for number, (name, _xml) in enumerate(sheets, 1):
        overrides.append(
            f'<Override PartName="/xl/worksheets/sheet{number}.xml" ContentType="{_SHEET_CT}"/>'
        )
        book_rels.append(
            f'<Relationship Id="rId{number}" Type="{_REL}/worksheet" '
            f'Target="worksheets/sheet{number}.xml"/>'
        )
        state = states[number - 1] if number <= len(states) else "visible"
        entries.append(
            f'<sheet name="{escape(name)}" sheetId="{number}" state="{state}" r:id="rId{number}"/>'
        )
    members: list[tuple[str, bytes]] = []
    if shared_strings is not None:
        overrides.append(
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_STRINGS_CT}"/>'
        )
        book_rels.append(
            f'<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/sharedStrings" '
            'Target="sharedStrings.xml"/>'
        )
        if isinstance(shared_strings, bytes):
            members.append(("xl/sharedStrings.xml", shared_strings))
        else:
            items = "".join(f"<si><t>{escape(s)}</t></si>" for s in shared_strings)
            count = len(shared_strings)
            members.append(
                (
                    "xl/sharedStrings.xml",
                    f'<sst xmlns="{_MAIN}" count="{count}" uniqueCount="{count}">'
                    f"{items}</sst>".encode(),
                )
            )
    content_types = CONTENT_TYPES.replace(b"</Types>", "".join(overrides).encode() + b"</Types>")
    root_rels = (
        f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{"".join(entries)}</sheets></workbook>'
    )
    members = [
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", root_rels.encode()),
        ("xl/workbook.xml", workbook.encode()),
        (
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_PKG_REL}">{"".join(book_rels)}</Relationships>'.encode(),
        ),
        *((f"xl/worksheets/sheet{n}.xml", xml) for n, (_name, xml) in enumerate(sheets, 1)),
        *members,
        *extra,
    ]
    return zip_of(members, compression=compression)


def cell_xml(reference: str, value: object) -> str:
    """A cell as Excel writes it: ``"s:3"`` is shared string 3, ``"n:4.2E+17"`` a number written
    exactly so, other strings inline, numbers as ``<v>``."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith("s:"):
        return f'<c r="{reference}" t="s"><v>{value[2:]}</v></c>'
    if isinstance(value, str) and value.startswith("n:"):
        return f'<c r="{reference}"><v>{value[2:]}</v></c>'
    if isinstance(value, str):
        return f'<c r="{reference}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
    return f'<c r="{reference}"><v>{value}</v></c>'


def sheet_xml(
    rows: Iterable[tuple[int, Sequence[object]]], *, dimension: str | None = None, prelude: str = ""
) -> bytes:
    """A worksheet of (row number, values) pairs; ``dimension`` is written as given (or left out),
    ``prelude`` goes before the root element (a DTD, say)."""
    body = []
    for number, values in rows:
        cells = "".join(
            cell_xml(f"{get_column_letter(i)}{number}", value) for i, value in enumerate(values, 1)
        )
        body.append(f'<row r="{number}">{cells}</row>')
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'{prelude}<worksheet xmlns="{_MAIN}">{dim}<sheetData>{"".join(body)}</sheetData>'
        "</worksheet>"
    ).encode()


@functools.cache
def million_rows(*, dimension: bool) -> bytes:
    """A header and a million learners' rows, with or without a dimension announcing them."""
    count = 1_000_000
    head = (
        f'<worksheet xmlns="{_MAIN}">'
        + (f'<dimension ref="A1:B{count + 1}"/>' if dimension else "")
        + '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>身份证号</t></is></c></row>'
    ).encode()
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="s"><v>0</v></c><c r="B%d"><v>%d</v></c></row>' % (n, n, n, n)
        for n in range(2, count + 2)
    )
    return package([("Sheet1", head + rows + b"</sheetData></worksheet>")], shared_strings=["学员"])


def billion_laughs(*, in_strings: bool = False) -> bytes:
    """Entity expansion: a few hundred bytes that a naive parser turns into gigabytes."""
    entities = '<!ENTITY a0 "laugh">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    )
    dtd_for = '<?xml version="1.0"?><!DOCTYPE {root} [' + entities + "]>"
    if in_strings:
        sheet = sheet_xml([(1, ["s:0", "身份证号"])], dimension="A1:B1")
        strings = (
            dtd_for.format(root="sst") + f'<sst xmlns="{_MAIN}"><si><t>&a9;</t></si></sst>'
        ).encode()
        return package([("Sheet1", sheet)], shared_strings=strings)
    sheet = sheet_xml(
        [(1, ["姓名", "身份证号"]), (2, ["&a9;"])],
        dimension="A1:B2",
        prelude=dtd_for.format(root="worksheet"),
    ).replace(b"&amp;a9;", b"&a9;")
    return package([("Sheet1", sheet)])
