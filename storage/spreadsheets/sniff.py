"""What a score file is, decided from its bytes: an xlsx, a CSV in some encoding, or a refusal.

Admins send whatever their phone or computer saved: an old .xls, a workbook with an opening
password, a CSV that Excel wrote in GBK, a PDF by mistake. The name is not trusted; each of
those gets its own reason so the admin knows what to do. A ZIP goes through the shared upload
checks (sizes counted while inflating, hostile structures refused) before any XML parser sees it.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from enum import Enum
from typing import Final

from domain import uploads
from domain.errors import Invalid
from domain.scoresheet import (
    CORRUPT,
    CSV_ENCODING,
    NOT_A_SCORE_FILE,
    PASSWORD_PROTECTED,
    XLS_REFUSED,
)
from domain.uploads import FileKind, _Damaged, _ole_root_names

FIELD: Final = "file"
XLSX_ONLY: Final = frozenset({FileKind.XLSX})

_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = bytes.fromhex("D0CF11E0A1B11AE1")
_UTF8_BOM: Final = codecs.BOM_UTF8
_UTF16_BOMS: Final = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_PDF_MAGIC: Final = b"%PDF-"
"""A PDF can open with a page of plain text; every other binary shows control bytes early."""
_TEXT_PROBE: Final = 8192
_MARKUP: Final = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*<(?:[?!]|html|table|head|body|meta)", re.IGNORECASE
)
# Controls a text file never holds (tab, LF, FF, CR and the DOS end-of-file mark are allowed).
_CONTROL_BYTES: Final = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 26)) + b"\x7f"
_DECODE_CHUNK: Final = 1024 * 1024
_CSV_ENCODINGS: Final = ("utf-8", "gb18030")
"""GB18030 is a superset of GBK and GB2312, which Chinese Excel uses for "CSV (逗号分隔)"."""


class Format(Enum):
    XLSX = "xlsx"
    CSV = "csv"


@dataclass(frozen=True)
class Sniffed:
    format: Format
    encoding: str | None = None
    """For a CSV: the codec that decodes every byte of it (``utf-8-sig`` when it has a BOM)."""


def sniff(data: bytes, filename: str | None) -> Sniffed:
    """The file's format, or ``Invalid("file", reason)``. An xlsx leaves here checked as a ZIP."""
    if not data:
        raise Invalid(FIELD, uploads.EMPTY)
    uploads.check_announced_size(len(data))
    if data.startswith(_ZIP_MAGIC):
        uploads.check_upload(data, filename, allowed=XLSX_ONLY)
        return Sniffed(Format.XLSX)
    if data.startswith(_OLE_MAGIC):
        raise _ole_refusal(data)
    if data.startswith(_UTF16_BOMS):
        raise Invalid(FIELD, CSV_ENCODING)  # Excel's "Unicode text": the reason says how to save
    head = data[:_TEXT_PROBE]
    if data.startswith(_PDF_MAGIC) or not _looks_like_text(head):
        raise Invalid(FIELD, NOT_A_SCORE_FILE)
    if _MARKUP.match(head):
        # Web systems export HTML tables, and Excel 2003 saved XML, under the name ".xls":
        # re-saving in Excel is the fix for both, so they get the .xls reason.
        xls = (filename or "").strip().lower().endswith((".xls", ".et"))
        raise Invalid(FIELD, XLS_REFUSED if xls else NOT_A_SCORE_FILE)
    return Sniffed(Format.CSV, _csv_encoding(data))


def _ole_refusal(data: bytes) -> Invalid:
    """An OLE2 compound file is an old .xls, or an xlsx wrapped in encryption, or neither."""
    try:
        names = {name.casefold() for name in _ole_root_names(data)}
    except _Damaged:
        return Invalid(FIELD, CORRUPT)
    if "encryptioninfo" in names or "encryptedpackage" in names:
        return Invalid(FIELD, PASSWORD_PROTECTED)
    if "workbook" in names or "book" in names:  # "Book" is the BIFF5 workbook of Excel 95
        return Invalid(FIELD, XLS_REFUSED)
    return Invalid(FIELD, NOT_A_SCORE_FILE)  # a .doc, a .ppt: an Office file, not a workbook


def _looks_like_text(head: bytes) -> bool:
    return len(head.translate(None, _CONTROL_BYTES)) == len(head)


def _csv_encoding(data: bytes) -> str:
    if data.startswith(_UTF8_BOM):
        if _decodes(data, "utf-8-sig"):
            return "utf-8-sig"
        raise Invalid(FIELD, CSV_ENCODING)
    for encoding in _CSV_ENCODINGS:
        if _decodes(data, encoding):
            return encoding
    raise Invalid(FIELD, CSV_ENCODING)


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether every byte decodes, checked in pieces so no copy of the whole text is made."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    view = memoryview(data)
    try:
        for start in range(0, len(data), _DECODE_CHUNK):
            decoder.decode(view[start : start + _DECODE_CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
