"""Small sample files built in memory for the upload checks: no binary file is committed.

Each builder makes the smallest file its format's readers accept (a PDF with a catalogue and a
trailer, an OLE2 compound file with a real FAT and directory tree, an OOXML package with its
content types and relationships) and the hostile variants the checks must refuse. The patchers
edit the bytes the way an attacker would, leaving everything else valid, so a test shows which
single defect the check notices.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Mapping

MB = 1024 * 1024

# --- PDF, images, programs -----------------------------------------------------------------------


def pdf(*, encrypted: bool = False, prefix: bytes = b"", trailing: bytes = b"\n") -> bytes:
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[]/Count 0>>",
    ]
    if encrypted:
        objects.append(b"<</Filter/Standard/V 1/R 2/O(x)/U(y)/P -4>>")
    out = bytearray(prefix + b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    encrypt = b"/Encrypt 3 0 R/ID[<00><00>]" if encrypted else b""
    out += b"trailer\n<</Size %d/Root 1 0 R%s>>\n" % (len(objects) + 1, encrypt)
    out += b"startxref\n%d\n%%%%EOF" % xref + trailing
    return bytes(out)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">L", len(body)) + kind + body + struct.pack(">L", zlib.crc32(kind + body))


def png() -> bytes:
    """A 1×1 white pixel."""
    header = struct.pack(">LLBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    """SOI, a JFIF APP0 segment and EOI: the signature every scanner app writes."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def exe(*, hidden_pdf_header: bool = False) -> bytes:
    """A Windows PE skeleton: "MZ", e_lfanew at 0x3C pointing at "PE\\0\\0"."""
    dos = bytearray(b"MZ" + b"\x90" * 62)
    struct.pack_into("<L", dos, 0x3C, 0x80)
    stub = b"This program cannot be run in DOS mode.\r\r\n$".ljust(0x80 - len(dos), b"\x00")
    body = b"PE\x00\x00" + struct.pack("<HH", 0x14C, 1) + b"\x00" * 200
    if hidden_pdf_header:
        body += b"%PDF-1.4\n" + b"\x00" * 100 + b"%%EOF\n"
    return bytes(dos) + stub + body


def random_bytes(size: int = 4096, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


# --- OLE2 compound files (.doc, .xls, .wps, .et) --------------------------------------------------

OleTree = Mapping[str, "OleTree | None"]
"""Names at one level: ``None`` for a stream, a nested mapping for a storage."""

_NOSTREAM = 0xFFFFFFFF
_FREESECT = 0xFFFFFFFF
_ENDOFCHAIN = 0xFFFFFFFE
_FATSECT = 0xFFFFFFFD
OLE_FAT_OFFSET = 512
"""Where the only FAT sector of ``ole2`` files starts (sector 0, right after the header)."""


def ole2(tree: OleTree) -> bytes:
    """A version-3 compound file (512-byte sectors): header, one FAT sector, the directory.

    Streams are empty (their data does not matter to a check that reads names), but the FAT,
    the directory chain and each level's red-black tree are real, balanced as writers make them.
    """
    entries: list[list[object]] = [["Root Entry", 5, _NOSTREAM, _NOSTREAM, _NOSTREAM]]

    def add_level(level: OleTree) -> int:
        indices = []
        for name, sub in level.items():
            indices.append(len(entries))
            entries.append([name, 1 if sub is not None else 2, _NOSTREAM, _NOSTREAM, _NOSTREAM])
        for index, sub in zip(indices, level.values(), strict=True):
            if sub is not None:
                entries[index][4] = add_level(sub)

        def balance(low: int, high: int) -> int:
            if low > high:
                return _NOSTREAM
            middle = (low + high) // 2
            entries[indices[middle]][2] = balance(low, middle - 1)
            entries[indices[middle]][3] = balance(middle + 1, high)
            return indices[middle]

        return balance(0, len(indices) - 1)

    entries[0][4] = add_level(tree)
    while len(entries) % 4:
        entries.append(["", 0, _NOSTREAM, _NOSTREAM, _NOSTREAM])
    directory = b"".join(_ole_entry(*entry) for entry in entries)  # type: ignore[arg-type]
    dir_sectors = len(directory) // 512

    fat = [_FATSECT] + [sid + 1 for sid in range(1, dir_sectors)] + [_ENDOFCHAIN]
    fat += [_FREESECT] * (128 - len(fat))
    header = struct.pack(
        "<8s16s5H6s9L",
        bytes.fromhex("D0CF11E0A1B11AE1"),
        b"\x00" * 16,
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"\x00" * 6,
        0,  # directory sectors (always 0 in version 3)
        1,  # FAT sectors
        1,  # first directory sector
        0,
        4096,  # mini stream cut-off
        _ENDOFCHAIN,  # first mini FAT sector
        0,
        _ENDOFCHAIN,  # first DIFAT sector
        0,
    )
    header += struct.pack("<109L", 0, *([_FREESECT] * 108))
    return header + struct.pack("<128L", *fat) + directory


def _ole_entry(name: str, kind: int, left: int, right: int, child: int) -> bytes:
    encoded = name.encode("utf-16-le")
    name_len = len(encoded) + 2 if name else 0
    return struct.pack(
        "<64sHBBLLL16sLQQLQ",
        encoded,
        name_len,
        kind,
        1,  # black
        left,
        right,
        child,
        b"\x00" * 16,
        0,
        0,
        0,
        _ENDOFCHAIN if kind == 2 or kind == 5 else 0,
        0,
    )


def ole2_with_directory_loop(tree: OleTree) -> bytes:
    """The directory chain points back at itself: a reader without a guard never ends."""
    data = bytearray(ole2(tree))
    last_dir_sector = (len(data) - OLE_FAT_OFFSET - 512) // 512
    struct.pack_into("<L", data, OLE_FAT_OFFSET + 4 * last_dir_sector, 1)
    return bytes(data)


WORD_TREE: OleTree = {"WordDocument": None, "1Table": None, "\x05SummaryInformation": None}
WORKBOOK_TREE: OleTree = {"Workbook": None, "\x05SummaryInformation": None}
BIFF5_TREE: OleTree = {"Book": None}
XLS_WITH_EMBEDDED_WORD: OleTree = {
    "Workbook": None,
    "MBD0001A2B3": {"WordDocument": None, "1Table": None},
}
POWERPOINT_TREE: OleTree = {"PowerPoint Document": None, "Current User": None}
ENCRYPTED_OOXML_TREE: OleTree = {"EncryptionInfo": None, "EncryptedPackage": None}

# --- ZIP containers (.docx, .xlsx) ----------------------------------------------------------------

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>'
)
ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="%s"/></Relationships>'
)
DOCUMENT_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>2026 年度培训计划</w:t></w:r></w:p></w:body></w:document>"
).encode()
WORKBOOK_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheets><sheet name="Sheet1" sheetId="1"/></sheets></workbook>'
)


def zip_of(
    members: Iterable[tuple[str, bytes]], *, compression: int = zipfile.ZIP_DEFLATED
) -> bytes:
    """Any ZIP, duplicates and hostile names included (zipfile only warns about those)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buffer, "w", compression) as archive:
            for name, body in members:
                archive.writestr(zipfile.ZipInfo(name, (2026, 3, 1, 0, 0, 0)), body, compression)
    return buffer.getvalue()


def docx_members(*, main: bool = True) -> list[tuple[str, bytes]]:
    members = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS % b"word/document.xml"),
    ]
    return [*members, ("word/document.xml", DOCUMENT_XML)] if main else members


def docx(*, main: bool = True, extra: Iterable[tuple[str, bytes]] = ()) -> bytes:
    return zip_of([*docx_members(main=main), *extra])


def xlsx() -> bytes:
    return zip_of(
        [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS % b"xl/workbook.xml"),
            ("xl/workbook.xml", WORKBOOK_XML),
        ]
    )


BOMB_MEMBER = "word/media/image1.bin"


@functools.cache
def zip_bomb(size: int = 5 * MB) -> bytes:
    """A docx whose first member is ``size`` zeros: a few KB on the wire, megabytes unpacked."""
    return zip_of([(BOMB_MEMBER, bytes(size)), *docx_members()])


def _central_entries(data: bytes) -> dict[str, int]:
    """Offsets of each member's central-directory record, by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        position = archive.start_dir
        count = len(archive.infolist())
    found = {}
    for _ in range(count):
        assert data[position : position + 4] == b"PK\x01\x02"
        name_len, extra_len, comment_len = struct.unpack_from("<3H", data, position + 28)
        name = data[position + 46 : position + 46 + name_len].decode()
        found[name] = position
        position += 46 + name_len + extra_len + comment_len
    return found


def patch_member(
    data: bytes,
    member: str,
    *,
    file_size: int | None = None,
    flag_bits: int | None = None,
    version_needed: int | None = None,
) -> bytes:
    """Rewrite what a member declares, in its local header and its central record alike."""
    out = bytearray(data)
    central = _central_entries(data)[member]
    (local,) = struct.unpack_from("<L", data, central + 42)
    if file_size is not None:
        struct.pack_into("<L", out, local + 22, file_size)
        struct.pack_into("<L", out, central + 24, file_size)
    if flag_bits is not None:
        struct.pack_into("<H", out, local + 6, flag_bits)
        struct.pack_into("<H", out, central + 8, flag_bits)
    if version_needed is not None:
        struct.pack_into("<H", out, local + 4, version_needed)
        struct.pack_into("<H", out, central + 6, version_needed)
    return bytes(out)


def quote_member(data: bytes, member: str, alias: str) -> bytes:
    """Add a central record named ``alias`` that points at ``member``'s body: the overlapping
    entries with which a quoted-overlap bomb (CVE-2024-0450) multiplies one body."""
    assert len(alias.encode()) == len(member.encode())
    entries = _central_entries(data)
    start = entries[member]
    name_len, extra_len, comment_len = struct.unpack_from("<3H", data, start + 28)
    record = bytearray(data[start : start + 46 + name_len + extra_len + comment_len])
    record[46 : 46 + name_len] = alias.encode()
    end_record = data.rindex(b"PK\x05\x06")
    out = bytearray(data[:end_record] + record + data[end_record:])
    eocd = end_record + len(record)
    disk_entries, total_entries, dir_size = struct.unpack_from("<HHL", out, eocd + 8)
    struct.pack_into(
        "<HHL", out, eocd + 8, disk_entries + 1, total_entries + 1, dir_size + len(record)
    )
    return bytes(out)


def member_inside_member() -> bytes:
    """A docx whose stored member "word/media/a.bin" holds a complete local record of another
    member, listed in the central directory at that inner offset: every name, size and CRC is
    right, only the bodies overlap (how a quoted-overlap bomb, CVE-2024-0450, is made)."""
    inner = zip_of([("word/media/b.bin", b"inner body")], compression=zipfile.ZIP_STORED)
    inner_central = _central_entries(inner)["word/media/b.bin"]
    inner_record = inner[:inner_central]  # its local header and body
    outer = zip_of(
        [("word/media/a.bin", inner_record), *docx_members()], compression=zipfile.ZIP_STORED
    )
    outer_central = _central_entries(outer)["word/media/a.bin"]
    (local,) = struct.unpack_from("<L", outer, outer_central + 42)
    name_len, extra_len = struct.unpack_from("<HH", outer, local + 26)
    body = local + 30 + name_len + extra_len
    name_len, extra_len, comment_len = struct.unpack_from("<3H", inner, inner_central + 28)
    record = bytearray(
        inner[inner_central : inner_central + 46 + name_len + extra_len + comment_len]
    )
    struct.pack_into("<L", record, 42, body)
    end_record = outer.rindex(b"PK\x05\x06")
    out = bytearray(outer[:end_record] + record + outer[end_record:])
    eocd = end_record + len(record)
    disk_entries, total_entries, dir_size = struct.unpack_from("<HHL", out, eocd + 8)
    struct.pack_into(
        "<HHL", out, eocd + 8, disk_entries + 1, total_entries + 1, dir_size + len(record)
    )
    return bytes(out)


def corrupt_body(data: bytes, member: str) -> bytes:
    """Flip one byte inside a member's stored body: the CRC no longer matches."""
    central = _central_entries(data)[member]
    (local,) = struct.unpack_from("<L", data, central + 42)
    name_len, extra_len = struct.unpack_from("<HH", data, local + 26)
    body = local + 30 + name_len + extra_len
    out = bytearray(data)
    out[body] ^= 0xFF
    return bytes(out)
