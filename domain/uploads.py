"""The checks every uploaded file goes through, on its bytes alone, before anything is stored.

Admins send training plans, annual plans, summaries, materials and score workbooks from phones,
and what arrives is often not what its name says: a scan saved as .pdf that is a JPEG, a .docx
renamed .doc, a download that stopped half-way, now and then something hostile. So the type is
decided by the content (the name only chooses between formats that share a container), ZIP-based
Office files are decompressed once, in bounded chunks, counting what they really produce (this
Python, 3.11.7, predates the fix for CVE-2024-0450, and a ZIP's declared sizes are the attacker's
to choose), and the name kept for downloads is cleaned while the original is still shown.

Every refusal is an ``Invalid("file", reason)`` whose reason says what is wrong and how to fix it.
Placeholders carry language-neutral text (sizes, product names such as "Word (.doc/.docx)") since
the bot translates the message, not its parameters.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from domain.errors import Invalid
from domain.messages import N_

MAX_UPLOAD_BYTES: Final = 20 * 1024 * 1024
"""The Bot API lets a bot download files up to 20 MB; larger ones cannot even be fetched."""

FIELD: Final = "file"

# --- reasons -------------------------------------------------------------------------------------
# Module constants so callers and tests can name a reason exactly.

EMPTY: Final = N_("文件是空的（0 字节），可能没有保存成功。请在电脑或手机上重新保存后再发送。")
TOO_BIG: Final = N_(
    "文件大小为 {size}，超过了 {limit} 的上限，无法接收。"
    "请压缩文件（例如扫描件降低分辨率，或删除文档中不必要的大图片），或拆分成几个文件分别发送。"
)
UNKNOWN_TYPE: Final = N_(
    "无法识别这个文件的类型，因此不能接收。此处只接受：{accepted}。"
    "请确认发送的是文档本身，而不是快捷方式、压缩包或其他程序的文件。"
)
NOT_AS_NAMED: Final = N_(
    "文件“{name}”的名称表明它是 {claimed} 文件，但它的内容并不是，"
    "可能是其他类型的文件被改了扩展名，出于安全原因不能接收。"
    "请发送原始文档；如需转换格式，请用 Word、Excel 或 WPS 打开后“另存为”。此处接受：{accepted}。"
)
NOT_ALLOWED: Final = N_("这是 {kind} 文件，此处只接受：{allowed}。请另存为其中一种格式后再发送。")
PDF_INCOMPLETE: Final = N_(
    "这个 PDF 文件不完整（缺少文件结尾），可能在保存或传输时被截断。请重新导出或保存 PDF 后再发送。"
)
OLE_CORRUPT: Final = N_(
    "这个 Office 文件已损坏，无法读取其结构。请用 Word、Excel 或 WPS 打开后重新保存，再发送。"
)
PASSWORD_PROTECTED: Final = N_(
    "这个文件设置了密码（已加密），无法检查其内容，审核人员也无法打开。"
    "请在 Word、Excel 或 WPS 中取消打开密码后重新保存，再发送。"
)
ZIP_NOT_OFFICE: Final = N_(
    "这个文件是一个压缩包（ZIP），但不是完整的 Word（.docx）或 Excel（.xlsx）文档。"
    "请直接发送文档本身；如果它确实是 Word 或 Excel 文件，请打开后重新保存再发送。"
)
ZIP_CORRUPT: Final = N_(
    "这个文件已损坏或不完整（可能在保存或传输时被截断），无法读取。请打开原文件重新保存后再发送。"
)
ZIP_UNSAFE_NAME: Final = N_(
    "这个文件内部含有不安全的路径“{member}”，结构不正常，不能接收。"
    "请用 Word、Excel 或 WPS 打开后重新保存，再发送。"
)
ZIP_DUPLICATE_NAME: Final = N_(
    "这个文件内部有重名的部件“{member}”，结构不正常，不能接收。"
    "请用 Word、Excel 或 WPS 打开后重新保存，再发送。"
)
ZIP_TOO_MANY_MEMBERS: Final = N_(
    "这个文件内部的部件超过 {limit} 个，结构不正常，不能接收。请删除不必要的内容或拆分后再发送。"
)
ZIP_TOO_LARGE_UNCOMPRESSED: Final = N_(
    "这个文件解压后超过 {limit}，远大于正常文档，可能是恶意构造的文件，不能接收。"
    "如果这是正常的文档，请删除不必要的内容或拆分成几个文件后再发送。"
)
ZIP_SUSPICIOUS_RATIO: Final = N_(
    "这个文件的压缩比异常（超过 {ratio} 倍），可能是恶意构造的文件，不能接收。"
    "如果这是正常的文档，请用 Word、Excel 或 WPS 打开后重新保存，再发送。"
)


# --- kinds ---------------------------------------------------------------------------------------


class FileKind(StrEnum):
    PDF = "pdf"
    DOC = "doc"
    DOCX = "docx"
    XLS = "xls"
    XLSX = "xlsx"
    WPS = "wps"
    ET = "et"
    PNG = "png"
    JPEG = "jpeg"

    @property
    def label(self) -> str:
        """The kind as users call it (a catalogue msgid)."""
        return _KIND_INFO[self].label

    @property
    def mime_type(self) -> str:
        return _KIND_INFO[self].mime_type

    @property
    def extension(self) -> str:
        """The canonical extension, with its dot, given to a file whose name lacks the right one."""
        return _KIND_INFO[self].extensions[0]

    @property
    def extensions(self) -> tuple[str, ...]:
        """Every extension a correctly named file of this kind may carry."""
        return _KIND_INFO[self].extensions

    @property
    def product(self) -> str:
        """The product name, the same in every language: "Word", "Excel", "WPS"..."""
        return _KIND_INFO[self].product


@dataclass(frozen=True)
class _KindInfo:
    label: str
    mime_type: str
    extensions: tuple[str, ...]
    product: str


# WPS Office registers application/kswps and application/kset for its own formats; the IANA type
# for .wps (application/vnd.ms-works) names Microsoft Works, which these files are not.
_KIND_INFO: Final[dict[FileKind, _KindInfo]] = {
    FileKind.PDF: _KindInfo(N_("PDF 文档"), "application/pdf", (".pdf",), "PDF"),
    FileKind.DOC: _KindInfo(N_("Word 文档"), "application/msword", (".doc",), "Word"),
    FileKind.DOCX: _KindInfo(
        N_("Word 文档"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
        "Word",
    ),
    FileKind.XLS: _KindInfo(N_("Excel 工作簿"), "application/vnd.ms-excel", (".xls",), "Excel"),
    FileKind.XLSX: _KindInfo(
        N_("Excel 工作簿"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (".xlsx",),
        "Excel",
    ),
    FileKind.WPS: _KindInfo(N_("WPS 文字"), "application/kswps", (".wps",), "WPS"),
    FileKind.ET: _KindInfo(N_("WPS 表格"), "application/kset", (".et",), "WPS"),
    FileKind.PNG: _KindInfo(N_("PNG 图片"), "image/png", (".png",), "PNG"),
    FileKind.JPEG: _KindInfo(N_("JPEG 图片"), "image/jpeg", (".jpg", ".jpeg"), "JPEG"),
}

ALL_KINDS: Final = frozenset(FileKind)
SPREADSHEET_KINDS: Final = frozenset({FileKind.XLS, FileKind.XLSX, FileKind.ET})
ZIP_KINDS: Final = frozenset({FileKind.DOCX, FileKind.XLSX})
_BY_EXTENSION: Final = {ext: kind for kind in FileKind for ext in kind.extensions}


def describe_kinds(kinds: Iterable[FileKind]) -> str:
    """Language-neutral list for messages and prompts: "PDF (.pdf), Word (.doc/.docx), ..."."""
    chosen = set(kinds)
    groups: dict[str, list[str]] = {}
    for kind in FileKind:  # declaration order, so the list reads the same everywhere
        if kind in chosen:
            groups.setdefault(kind.product, []).append(kind.extension)
    return ", ".join(f"{product} ({'/'.join(exts)})" for product, exts in groups.items())


def _describe_kind(kind: FileKind) -> str:
    return f"{kind.product} ({kind.extension})"


# --- sizes ---------------------------------------------------------------------------------------


def human_size(n: int) -> str:
    """Bytes as people read them ("20 MB", "25.3 MB"), rounded up so an over-limit size never
    reads as equal to the limit."""
    if n < 1024:
        return f"{n} B"
    for unit, scale in (("KB", 1024), ("MB", 1024**2), ("GB", 1024**3)):
        tenths = -(-n * 10 // scale)  # ceiling, in integers: no float surprises
        if tenths < 10240 or unit == "GB":
            whole, tenth = divmod(tenths, 10)
            return f"{whole} {unit}" if tenth == 0 else f"{whole}.{tenth} {unit}"
    raise AssertionError("unreachable")


def check_announced_size(size: int | None) -> None:
    """Refuse before downloading: Telegram tells the size first, and the Bot API would refuse to
    hand a bot anything larger anyway. An unknown size passes; the bytes are checked again."""
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise Invalid(FIELD, TOO_BIG, size=human_size(size), limit=human_size(MAX_UPLOAD_BYTES))


# --- sniffing ------------------------------------------------------------------------------------

_PDF_MAGIC: Final = b"%PDF-"
_PDF_HEAD: Final = 1024
_PDF_TAIL: Final = 2048
_OLE_MAGIC: Final = bytes.fromhex("D0CF11E0A1B11AE1")
_ZIP_MAGIC: Final = b"PK\x03\x04"
_PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC: Final = b"\xff\xd8\xff"
# Programs are never documents, even when a PDF header hides inside them (polyglots).
_EXECUTABLE_MAGIC: Final = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe")


def sniff(
    data: bytes, filename: str | None = None, *, allowed: frozenset[FileKind] = ALL_KINDS
) -> FileKind:
    """The file's kind, from its content.

    The name only chooses among formats that share a container (an OLE2 Word stream is .doc or
    .wps, an OLE2 workbook .xls or .et). When the content is a known kind under another known
    extension (a .docx saved as .doc, a JPEG scan named .png), the content wins and the safe name
    gets the right extension: refusing would only punish a harmless slip. When the content is
    not a known kind but the name claims one (an .exe renamed .pdf), the reason says so.

    An encrypted PDF is accepted: it is still a PDF, most carry only an owner password that
    restricts printing or editing and open without one, and reviewers can ask for the password.
    Password-protected Office files are refused instead, because they never open without it.
    """
    if not data:
        raise Invalid(FIELD, EMPTY)
    kind = _content_kind(data, _extension(filename))
    if kind is None:
        claimed = _claimed_kind(filename)
        if claimed is not None:
            raise Invalid(
                FIELD,
                NOT_AS_NAMED,
                name=sanitise_filename(filename or ""),
                claimed=claimed.product,
                accepted=describe_kinds(allowed),
            )
        raise Invalid(FIELD, UNKNOWN_TYPE, accepted=describe_kinds(allowed))
    if kind not in allowed:
        raise Invalid(
            FIELD, NOT_ALLOWED, kind=_describe_kind(kind), allowed=describe_kinds(allowed)
        )
    return kind


def _content_kind(data: bytes, extension: str) -> FileKind | None:
    """The kind the bytes show, None when they show none we accept; refuses damaged files."""
    if data.startswith(_EXECUTABLE_MAGIC):
        return None
    if data.startswith(_PNG_MAGIC):
        return FileKind.PNG if data[12:16] == b"IHDR" else None
    if data.startswith(_JPEG_MAGIC):
        return FileKind.JPEG
    if data.startswith(_OLE_MAGIC):
        return _ole_kind(data, extension)
    if data.startswith(_ZIP_MAGIC):
        return _zip_kind(data)
    if _PDF_MAGIC in data[:_PDF_HEAD]:
        if b"%%EOF" not in data[-_PDF_TAIL:]:
            raise Invalid(FIELD, PDF_INCOMPLETE)
        return FileKind.PDF
    return None


def _extension(filename: str | None) -> str:
    if not filename:
        return ""
    last = re.split(r"[/\\]", unicodedata.normalize("NFKC", filename))[-1].strip()
    dot = last.rfind(".")
    return last[dot:].lower() if dot >= 0 else ""


def _claimed_kind(filename: str | None) -> FileKind | None:
    return _BY_EXTENSION.get(_extension(filename))


# --- OLE2 (compound file binary: .doc, .xls, .wps, .et) -----------------------------------------

_FREESECT: Final = 0xFFFFFFFF
_ENDOFCHAIN: Final = 0xFFFFFFFE
_NOSTREAM: Final = 0xFFFFFFFF
_MAXREGSECT: Final = 0xFFFFFFFA
_OLE_HEADER: Final = struct.Struct("<8s16s5H6s9L")  # up to the DIFAT array at 0x4C
_DIR_ENTRY: Final = struct.Struct("<64sHBBLLL")
_DIR_ENTRY_SIZE: Final = 128
_OLE_ROOT: Final = 5


class _Damaged(Exception):
    """A structure that cannot be what it claims; turned into the right refusal by the caller."""


def _ole_kind(data: bytes, extension: str) -> FileKind | None:
    try:
        names = {name.casefold() for name in _ole_root_names(data)}
    except _Damaged:
        raise Invalid(FIELD, OLE_CORRUPT) from None
    if "encryptedpackage" in names:  # a password-protected .docx/.xlsx, wrapped in OLE2
        raise Invalid(FIELD, PASSWORD_PROTECTED)
    word = "worddocument" in names
    book = "workbook" in names or "book" in names  # "Book" is the older BIFF5 workbook
    if word and not (book and extension in (".xls", ".et")):
        return FileKind.WPS if extension == ".wps" else FileKind.DOC
    if book:
        return FileKind.ET if extension == ".et" else FileKind.XLS
    return None  # PowerPoint, Outlook, installers...: OLE2 but not a document we take


def _ole_root_names(data: bytes) -> list[str]:
    """Names of the streams and storages at the top of an OLE2 compound file.

    Only the root's children count: an .xls with an embedded Word document holds a WordDocument
    stream too, one storage down. Follows the FAT, the directory chain and the directory's
    red-black tree with guards against loops and out-of-range sectors, so a hostile file ends in
    ``_Damaged`` rather than a hang.
    """
    if len(data) < 512:
        raise _Damaged("shorter than a header")
    header = _OLE_HEADER.unpack_from(data)
    sector_shift, fat_count, first_dir = header[5], header[9], header[10]
    first_difat, difat_count = header[15], header[16]
    if sector_shift not in (9, 12):
        raise _Damaged("sector size")
    size = 1 << sector_shift
    if fat_count == 0 or fat_count > len(data) // size or difat_count > len(data) // size:
        raise _Damaged("FAT sector count")

    def sector(sid: int) -> bytes:
        offset = (sid + 1) << sector_shift
        if sid > _MAXREGSECT or offset + size > len(data):
            raise _Damaged("sector out of range")
        return data[offset : offset + size]

    per_sector = size // 4
    fat_sectors = [sid for sid in struct.unpack_from("<109L", data, 76) if sid != _FREESECT]
    sid, seen = first_difat, set[int]()
    while sid not in (_ENDOFCHAIN, _FREESECT) and len(fat_sectors) < fat_count:
        if sid in seen:
            raise _Damaged("DIFAT loop")
        seen.add(sid)
        entries = struct.unpack(f"<{per_sector}L", sector(sid))
        fat_sectors.extend(e for e in entries[:-1] if e != _FREESECT)
        sid = entries[-1]
    if len(fat_sectors) < fat_count:
        raise _Damaged("FAT sectors missing")
    fat: list[int] = []
    for fat_sid in fat_sectors[:fat_count]:
        fat.extend(struct.unpack(f"<{per_sector}L", sector(fat_sid)))

    entries_raw: list[tuple[str, int, int, int, int]] = []
    sid, seen = first_dir, set[int]()
    while sid != _ENDOFCHAIN:
        if sid in seen or sid >= len(fat):
            raise _Damaged("directory chain")
        seen.add(sid)
        block = sector(sid)
        for offset in range(0, size, _DIR_ENTRY_SIZE):
            raw_name, name_len, kind, _colour, left, right, child = _DIR_ENTRY.unpack_from(
                block, offset
            )
            name = raw_name[: max(min(name_len, 64) - 2, 0)].decode("utf-16-le", "replace")
            entries_raw.append((name, kind, left, right, child))
        sid = fat[sid]
    if not entries_raw or entries_raw[0][1] != _OLE_ROOT:
        raise _Damaged("no root entry")

    names: list[str] = []
    stack, visited = [entries_raw[0][4]], set[int]()
    while stack:
        index = stack.pop()
        if index == _NOSTREAM:
            continue
        if index in visited or index >= len(entries_raw):
            raise _Damaged("directory tree")
        visited.add(index)
        name, _kind, left, right, _child = entries_raw[index]
        names.append(name)
        stack += [left, right]
    return names


# --- ZIP (Office Open XML: .docx, .xlsx) ---------------------------------------------------------

INFLATE_CHUNK_BYTES: Final = 64 * 1024
"""Largest piece decompressed at once: a check stops at most this far past a limit."""
RATIO_FLOOR_BYTES: Final = 1024 * 1024
"""Members that decompress to less than this may have any ratio (a blank sheet is mostly zeros)."""

_LOCAL_HEADER: Final = struct.Struct("<4s5H3L2H")
_CENTRAL_SIGNATURE: Final = b"PK\x01\x02"
_STORED, _DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED
_ZIP_ERRORS: Final = (
    zipfile.BadZipFile,
    zlib.error,
    ValueError,
    struct.error,
    EOFError,
    OSError,
    NotImplementedError,  # "zip file version 6.4": a feature no Office writer uses
)
_MAIN_PARTS: Final = {"word/document.xml": FileKind.DOCX, "xl/workbook.xml": FileKind.XLSX}


@dataclass
class ZipProgress:
    """How far a container check got; pass one in to see where it stopped (tests, logs)."""

    members: int = 0
    bytes_produced: int = 0


def _open_zip(data: bytes, max_members: int) -> zipfile.ZipFile:
    # Counting central-directory signatures first spares parsing hundreds of thousands of entries
    # of a hostile file: it can only over-count, and a false match is a one-in-a-billion event.
    if data.count(_CENTRAL_SIGNATURE) > max_members:
        raise Invalid(FIELD, ZIP_TOO_MANY_MEMBERS, limit=max_members)
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS:
        raise Invalid(FIELD, ZIP_CORRUPT) from None


def _zip_kind(data: bytes) -> FileKind:
    """Office Open XML needs a content-types part and its main part; anything else is a ZIP."""
    with _open_zip(data, 10_000) as archive:
        names = {name.casefold() for name in archive.namelist()}
    if "[content_types].xml" in names:
        for part, kind in _MAIN_PARTS.items():
            if part in names:
                return kind
    raise Invalid(FIELD, ZIP_NOT_OFFICE)


def check_zip_container(
    data: bytes,
    *,
    max_total_uncompressed: int = 200 * 1024 * 1024,
    max_ratio: int = 100,
    max_members: int = 10_000,
    progress: ZipProgress | None = None,
) -> None:
    """Refuse a ZIP that is damaged, hostile or a decompression bomb, before anyone parses it.

    Members are located through the central directory, each local header is checked against it
    and against its neighbours (overlapping members are how a small file quotes one body many
    times: the CVE-2024-0450 bomb), and every member is decompressed here with zlib in chunks of
    ``INFLATE_CHUNK_BYTES``, counting the bytes actually produced. The declared sizes are never
    used as limits: the check stops as soon as the running total passes
    ``max_total_uncompressed`` or a member past ``RATIO_FLOOR_BYTES`` passes ``max_ratio`` times
    its compressed size, and nothing decompressed is kept. A member whose real size or CRC
    differs from what it declares is refused as damaged, since every later reader would see
    something else.
    """
    progress = progress if progress is not None else ZipProgress()
    with _open_zip(data, max_members) as archive:
        infos = archive.infolist()
        central_start = archive.start_dir
    if len(infos) > max_members:
        raise Invalid(FIELD, ZIP_TOO_MANY_MEMBERS, limit=max_members)
    _check_member_names(infos)
    if any(info.flag_bits & 0x41 for info in infos):  # bit 0: encrypted; bit 6: strong encryption
        raise Invalid(FIELD, PASSWORD_PROTECTED)
    bodies = _locate_bodies(data, infos, central_start)
    for info, (start, end) in zip(infos, bodies, strict=True):
        _inflate_and_count(
            memoryview(data)[start:end], info, progress, max_total_uncompressed, max_ratio
        )
        progress.members += 1


def _check_member_names(infos: list[zipfile.ZipInfo]) -> None:
    seen: set[str] = set()
    for info in infos:
        name = info.orig_filename
        parts = name.split("/")
        if (
            "\\" in name
            or "\x00" in name
            or name.startswith("/")
            or re.match(r"[A-Za-z]:", name)
            or ".." in parts
        ):
            raise Invalid(FIELD, ZIP_UNSAFE_NAME, member=_shorten(name))
        folded = name.casefold()  # Office and Windows do not tell "A.xml" from "a.xml"
        if folded in seen:
            raise Invalid(FIELD, ZIP_DUPLICATE_NAME, member=_shorten(name))
        seen.add(folded)


def _locate_bodies(
    data: bytes, infos: list[zipfile.ZipInfo], central_start: int
) -> list[tuple[int, int]]:
    """Each member's compressed bytes, after checking its local header agrees with the central
    directory and that no two bodies overlap (zipfile in 3.11 checks neither fully)."""
    by_offset = sorted(range(len(infos)), key=lambda i: infos[i].header_offset)
    bodies: list[tuple[int, int]] = [(0, 0)] * len(infos)
    previous_end = 0
    for index in by_offset:
        info = infos[index]
        offset = info.header_offset
        if offset < previous_end or offset + _LOCAL_HEADER.size > central_start:
            raise Invalid(FIELD, ZIP_CORRUPT)
        fields = _LOCAL_HEADER.unpack_from(data, offset)
        signature, flags, name_len, extra_len = fields[0], fields[2], fields[9], fields[10]
        name_start = offset + _LOCAL_HEADER.size
        raw_name = data[name_start : name_start + name_len]
        local_name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        start = name_start + name_len + extra_len
        end = start + info.compress_size
        if signature != _ZIP_MAGIC or local_name != info.orig_filename or end > central_start:
            raise Invalid(FIELD, ZIP_CORRUPT)
        bodies[index] = (start, end)
        previous_end = end
    return bodies


def _inflate_and_count(
    body: memoryview,
    info: zipfile.ZipInfo,
    progress: ZipProgress,
    max_total: int,
    max_ratio: int,
) -> None:
    if info.compress_type not in (_STORED, _DEFLATED):  # the only two that OOXML allows
        raise Invalid(FIELD, ZIP_CORRUPT)
    compressed = max(len(body), 1)
    produced = 0
    crc = 0
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == _DEFLATED else None
    position = 0
    pending: bytes = b""
    try:
        while True:
            if inflater is None:
                chunk = bytes(body[position : position + INFLATE_CHUNK_BYTES])
                position += len(chunk)
                if not chunk:
                    break
            else:
                if not pending and position < len(body):
                    pending = bytes(body[position : position + INFLATE_CHUNK_BYTES])
                    position += len(pending)
                chunk = inflater.decompress(pending, INFLATE_CHUNK_BYTES)
                pending = inflater.unconsumed_tail
                if inflater.eof:
                    pass
                elif not chunk and not pending and position >= len(body):
                    raise Invalid(FIELD, ZIP_CORRUPT)  # the stream stops before its end
            produced += len(chunk)
            progress.bytes_produced += len(chunk)
            crc = zlib.crc32(chunk, crc)
            if progress.bytes_produced > max_total:
                raise Invalid(FIELD, ZIP_TOO_LARGE_UNCOMPRESSED, limit=human_size(max_total))
            if produced > RATIO_FLOOR_BYTES and produced > max_ratio * compressed:
                raise Invalid(FIELD, ZIP_SUSPICIOUS_RATIO, ratio=max_ratio)
            if inflater is not None and inflater.eof:
                break
    except zlib.error:
        raise Invalid(FIELD, ZIP_CORRUPT) from None
    if produced != info.file_size or crc != info.CRC:
        raise Invalid(FIELD, ZIP_CORRUPT)


def _shorten(text: str, limit: int = 60) -> str:
    printable = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return printable if len(printable) <= limit else printable[: limit - 1] + "…"


# --- names ---------------------------------------------------------------------------------------

_FORBIDDEN_CHARS: Final = frozenset('<>:"|?*')
_RESERVED_NAMES: Final = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(10)} | {f"LPT{i}" for i in range(10)}
)
_EXTENSION: Final = re.compile(r"(.*)\.([A-Za-z0-9]{1,8})", re.DOTALL)
_MAX_NAME_BYTES: Final = 255  # what ext4, NTFS (in UTF-16 units) and most others allow
FALLBACK_STEM: Final = "文件"  # part of a file name, so never translated


def sanitise_filename(name: str, *, kind: FileKind | None = None, max_length: int = 100) -> str:
    """A name safe to store and to offer for download; the original is kept for display.

    Keeps Chinese and the meaning of the name, drops what could traverse folders, confuse a
    terminal or Windows (path parts, control and invisible characters such as the right-to-left
    override that makes "exe.pdf" out of "fdp.exe", reserved device names, <>:"|?*), and cuts an
    over-long name keeping its extension, within ``max_length`` characters and 255 UTF-8 bytes.
    With ``kind``, the extension is the kind's: a wrong one of ours is replaced, anything else
    ("v1.2") is kept and the right one appended. Idempotent, and never empty.
    """
    if max_length < 16:
        raise ValueError("max_length must leave room for a name and its extension")
    text = unicodedata.normalize("NFKC", name)
    text = re.split(r"[/\\]", text)[-1]
    text = " ".join(text.split())
    text = "".join(
        ch for ch in text if unicodedata.category(ch)[0] != "C" and ch not in _FORBIDDEN_CHARS
    )
    # Trailing dots and spaces go before the extension is found, so "a .pdf." and "a.pdf" agree.
    text = unicodedata.normalize("NFKC", " ".join(text.split())).rstrip(" .")

    match = _EXTENSION.fullmatch(text)
    stem, suffix = (match.group(1), "." + match.group(2)) if match else (text, "")
    if kind is not None:
        if suffix.lower() in kind.extensions:
            suffix = suffix.lower()
        elif suffix.lower() in _BY_EXTENSION:
            suffix = kind.extension
        else:
            stem, suffix = stem + suffix, kind.extension

    stem = _safe_stem(stem)
    char_budget = max_length - len(suffix)
    byte_budget = _MAX_NAME_BYTES - len(suffix.encode())
    if len(stem) > char_budget or len(stem.encode()) > byte_budget:
        stem = stem[:char_budget]
        while len(stem.encode()) > byte_budget:
            stem = stem[:-1]
        if not suffix:  # the cut may have made an extension out of "v1.2 总结…": decide again
            return sanitise_filename(_safe_stem(stem), max_length=max_length)
        stem = _safe_stem(stem)
    return stem + suffix


def _safe_stem(stem: str) -> str:
    stem = stem.strip(" .")
    if not stem:
        return FALLBACK_STEM
    if stem.split(".")[0].rstrip(" ").upper() in _RESERVED_NAMES:
        return "_" + stem
    return stem


# --- everything at once --------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedUpload:
    """A file that passed every check; ``original_name`` is verbatim, for display only."""

    kind: FileKind
    size: int
    sha256: str
    original_name: str
    safe_name: str


def check_upload(
    data: bytes, filename: str | None, *, allowed: frozenset[FileKind] = ALL_KINDS
) -> CheckedUpload:
    """Size, type by content, container safety for ZIP-based kinds, and a safe name."""
    check_announced_size(len(data))
    kind = sniff(data, filename, allowed=allowed)
    if kind in ZIP_KINDS:
        check_zip_container(data)
    safe_name = sanitise_filename(filename or "", kind=kind)
    return CheckedUpload(
        kind=kind,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        original_name=filename or safe_name,
        safe_name=safe_name,
    )
