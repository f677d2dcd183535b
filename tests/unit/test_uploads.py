"""Every upload is judged by its bytes: the right kinds pass, damaged and hostile files are refused
with the reason that tells the admin what to do, and ZIP checks stop early on a bomb."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import uploads
from domain.errors import Invalid
from domain.uploads import FileKind
from tests.unit import samples

examples = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REASONS = {
    value for name, value in vars(uploads).items() if name.isupper() and isinstance(value, str)
}


def refusal(check: Callable[..., Any], *args: Any, **kwargs: Any) -> Invalid:
    with pytest.raises(Invalid) as caught:
        check(*args, **kwargs)
    assert caught.value.field == "file"
    return caught.value


# --- accepted by content -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "filename", "kind"),
    [
        (samples.pdf, "年度培训计划.pdf", FileKind.PDF),
        (lambda: samples.ole2(samples.WORD_TREE), "计划.doc", FileKind.DOC),
        (samples.docx, "计划.docx", FileKind.DOCX),
        (lambda: samples.ole2(samples.WORKBOOK_TREE), "成绩.xls", FileKind.XLS),
        (samples.xlsx, "成绩.xlsx", FileKind.XLSX),
        (lambda: samples.ole2(samples.WORD_TREE), "总结.wps", FileKind.WPS),
        (lambda: samples.ole2(samples.WORKBOOK_TREE), "成绩.et", FileKind.ET),
        (samples.png, "扫描件.png", FileKind.PNG),
        (samples.jpeg, "扫描件.jpg", FileKind.JPEG),
    ],
)
def test_each_accepted_kind_is_recognised_by_its_content(
    build: Callable[[], bytes], filename: str, kind: FileKind
) -> None:
    data = build()
    checked = uploads.check_upload(data, filename)
    assert checked.kind is kind
    assert checked.size == len(data)
    assert checked.safe_name == filename
    assert checked.original_name == filename
    assert len(checked.sha256) == 64


@pytest.mark.parametrize(
    ("build", "kind"),
    [
        (samples.pdf, FileKind.PDF),
        (samples.docx, FileKind.DOCX),
        (samples.xlsx, FileKind.XLSX),
        (lambda: samples.ole2(samples.WORD_TREE), FileKind.DOC),
        (lambda: samples.ole2(samples.WORKBOOK_TREE), FileKind.XLS),
        (samples.png, FileKind.PNG),
        (samples.jpeg, FileKind.JPEG),
    ],
)
def test_the_kind_needs_no_name(build: Callable[[], bytes], kind: FileKind) -> None:
    assert uploads.sniff(build(), None) is kind
    assert uploads.sniff(build(), "没有扩展名") is kind


def test_content_wins_over_a_wrong_extension_and_the_safe_name_gets_the_right_one() -> None:
    checked = uploads.check_upload(samples.docx(), "计划.doc")
    assert checked.kind is FileKind.DOCX
    assert checked.original_name == "计划.doc"
    assert checked.safe_name == "计划.docx"
    assert uploads.check_upload(samples.jpeg(), "scan.png").safe_name == "scan.jpg"


def test_ole2_workbook_and_word_streams_choose_between_office_and_wps_by_extension() -> None:
    word, book = samples.ole2(samples.WORD_TREE), samples.ole2(samples.WORKBOOK_TREE)
    assert uploads.sniff(word, "a.doc") is FileKind.DOC
    assert uploads.sniff(word, "a.wps") is FileKind.WPS
    assert uploads.sniff(word, "a.WPS") is FileKind.WPS
    assert uploads.sniff(word, "a.et") is FileKind.DOC  # a Word stream is never a spreadsheet
    assert uploads.sniff(book, "a.xls") is FileKind.XLS
    assert uploads.sniff(book, "a.et") is FileKind.ET
    assert uploads.sniff(book, "a.wps") is FileKind.XLS
    assert uploads.sniff(samples.ole2(samples.BIFF5_TREE), "old.xls") is FileKind.XLS


def test_only_top_level_ole2_streams_count_so_an_embedded_word_document_stays_inside() -> None:
    data = samples.ole2(samples.XLS_WITH_EMBEDDED_WORD)
    assert uploads.sniff(data, "成绩.xls") is FileKind.XLS
    assert uploads.sniff(data, "成绩.doc") is FileKind.XLS  # the Word stream is one storage down


def test_ole2_reader_follows_a_directory_of_several_sectors() -> None:
    tree: samples.OleTree = {f"Stream{i}": None for i in range(10)} | {"WordDocument": None}
    data = samples.ole2(tree)
    assert len(data) == 512 * 5  # header, FAT, three directory sectors
    assert uploads.sniff(data, "a.doc") is FileKind.DOC


def test_an_encrypted_pdf_is_still_a_pdf() -> None:
    data = samples.pdf(encrypted=True)
    assert b"/Encrypt" in data
    assert uploads.check_upload(data, "加密.pdf").kind is FileKind.PDF


def test_a_pdf_header_may_follow_a_little_junk_but_not_a_lot() -> None:
    assert uploads.sniff(samples.pdf(prefix=b"\xef\xbb\xbf" + b" " * 500)) is FileKind.PDF
    refused = refusal(uploads.sniff, samples.pdf(prefix=b" " * 2000), "x.pdf")
    assert refused.key == uploads.NOT_AS_NAMED


def test_a_large_image_without_compression_is_no_bomb() -> None:
    image = samples.random_bytes(2 * samples.MB)
    data = samples.docx(extra=[("word/media/image1.png", image)])
    checked = uploads.check_upload(data, "图文.docx")
    assert checked.kind is FileKind.DOCX


def test_a_small_highly_compressible_member_is_fine() -> None:
    data = samples.docx(extra=[("word/blank.xml", bytes(900 * 1024))])
    progress = uploads.ZipProgress()
    uploads.check_zip_container(data, progress=progress)
    assert progress.members == 4
    assert progress.bytes_produced >= 900 * 1024


# --- refused, with the reason --------------------------------------------------------------------


def test_an_exe_renamed_pdf_is_refused_as_not_what_its_name_claims() -> None:
    data = samples.exe()
    assert data.startswith(b"MZ") and b"PE\x00\x00" in data
    refused = refusal(uploads.check_upload, data, "年度计划.pdf")
    assert refused.key == uploads.NOT_AS_NAMED
    assert refused.params["name"] == "年度计划.pdf"
    assert refused.params["claimed"] == "PDF"
    assert "Word (.doc/.docx)" in refused.params["accepted"]


def test_a_program_hiding_a_pdf_header_is_still_a_program() -> None:
    refused = refusal(uploads.check_upload, samples.exe(hidden_pdf_header=True), "x.pdf")
    assert refused.key == uploads.NOT_AS_NAMED


def test_random_bytes_are_refused_naming_the_accepted_types() -> None:
    refused = refusal(uploads.check_upload, samples.random_bytes(), None)
    assert refused.key == uploads.UNKNOWN_TYPE
    assert refused.params["accepted"] == (
        "PDF (.pdf), Word (.doc/.docx), Excel (.xls/.xlsx), WPS (.wps/.et), PNG (.png), JPEG (.jpg)"
    )


def test_an_empty_file_is_refused() -> None:
    assert refusal(uploads.check_upload, b"", "空.pdf").key == uploads.EMPTY


def test_an_announced_size_over_20_mb_is_refused_before_download() -> None:
    uploads.check_announced_size(None)
    uploads.check_announced_size(uploads.MAX_UPLOAD_BYTES)
    refused = refusal(uploads.check_announced_size, uploads.MAX_UPLOAD_BYTES + 1)
    assert refused.key == uploads.TOO_BIG
    assert refused.params == {"size": "20.1 MB", "limit": "20 MB"}
    refused = refusal(uploads.check_announced_size, int(25.3 * samples.MB))
    assert refused.params["size"] == "25.3 MB"


def test_downloaded_bytes_over_20_mb_are_refused_too() -> None:
    data = samples.pdf(prefix=b"", trailing=b"\n" + b" " * uploads.MAX_UPLOAD_BYTES)
    assert refusal(uploads.check_upload, data, "大.pdf").key == uploads.TOO_BIG


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1 KB"),
        (1536, "1.5 KB"),
        (20 * samples.MB, "20 MB"),
        (samples.MB - 1, "1 MB"),
        (3 * 1024 * samples.MB, "3 GB"),
    ],
)
def test_human_size(n: int, text: str) -> None:
    assert uploads.human_size(n) == text


def test_a_kind_outside_the_allowed_ones_is_refused_naming_them() -> None:
    refused = refusal(
        uploads.check_upload, samples.png(), "成绩.png", allowed=uploads.SPREADSHEET_KINDS
    )
    assert refused.key == uploads.NOT_ALLOWED
    assert refused.params == {"kind": "PNG (.png)", "allowed": "Excel (.xls/.xlsx), WPS (.et)"}
    assert (
        uploads.check_upload(samples.xlsx(), "成绩.xlsx", allowed=uploads.SPREADSHEET_KINDS).kind
        is FileKind.XLSX
    )


def test_a_truncated_pdf_is_refused_as_incomplete() -> None:
    data = samples.pdf()
    assert (
        refusal(uploads.check_upload, data[: len(data) // 2], "a.pdf").key == uploads.PDF_INCOMPLETE
    )


def test_a_docx_without_its_main_part_is_refused_as_not_office() -> None:
    assert (
        refusal(uploads.check_upload, samples.docx(main=False), "计划.docx").key
        == uploads.ZIP_NOT_OFFICE
    )
    plain_zip = samples.zip_of(
        [("word/document.xml", samples.DOCUMENT_XML)]
    )  # no [Content_Types].xml
    assert refusal(uploads.check_upload, plain_zip, "计划.docx").key == uploads.ZIP_NOT_OFFICE


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.99])
def test_a_truncated_docx_is_refused_as_corrupt(cut: float) -> None:
    data = samples.docx()
    assert (
        refusal(uploads.check_upload, data[: int(len(data) * cut)], "a.docx").key
        == uploads.ZIP_CORRUPT
    )


def test_a_member_whose_crc_does_not_match_is_refused_as_corrupt() -> None:
    data = samples.zip_of(samples.docx_members(), compression=zipfile.ZIP_STORED)
    broken = samples.corrupt_body(data, "word/document.xml")
    assert refusal(uploads.check_upload, broken, "a.docx").key == uploads.ZIP_CORRUPT


@pytest.mark.parametrize(
    "member", ["../evil.xml", "word/../../evil.xml", "/etc/passwd", "C:/evil.xml", "word\\x.xml"]
)
def test_members_that_could_escape_a_folder_are_refused(member: str) -> None:
    data = samples.docx(extra=[(member, b"x")])
    refused = refusal(uploads.check_upload, data, "a.docx")
    assert refused.key == uploads.ZIP_UNSAFE_NAME
    assert refused.params["member"] == member


def test_duplicate_members_are_refused() -> None:
    data = samples.docx(extra=[("word/document.xml", b"<other/>")])
    assert refusal(uploads.check_zip_container, data).key == uploads.ZIP_DUPLICATE_NAME
    data = samples.docx(extra=[("Word/Document.xml", b"<other/>")])
    assert refusal(uploads.check_zip_container, data).key == uploads.ZIP_DUPLICATE_NAME


def test_too_many_members_are_refused() -> None:
    data = samples.docx(extra=[(f"word/media/{i}.bin", b"") for i in range(5)])
    assert refusal(uploads.check_zip_container, data, max_members=7).params == {"limit": 7}
    uploads.check_zip_container(data, max_members=8)
    crowded = samples.docx(extra=[(f"{i}", b"") for i in range(10_001)])
    assert refusal(uploads.check_upload, crowded, "a.docx").key == uploads.ZIP_TOO_MANY_MEMBERS


def test_an_encrypted_member_is_refused_as_password_protected() -> None:
    data = samples.patch_member(samples.docx(), "word/document.xml", flag_bits=0x1)
    assert refusal(uploads.check_upload, data, "加密.docx").key == uploads.PASSWORD_PROTECTED


def test_a_password_protected_office_file_is_refused_as_such() -> None:
    data = samples.ole2(samples.ENCRYPTED_OOXML_TREE)
    assert refusal(uploads.check_upload, data, "加密.docx").key == uploads.PASSWORD_PROTECTED


def test_a_zip_needing_an_unknown_unzip_version_is_refused_as_corrupt() -> None:
    data = samples.patch_member(samples.docx(), "word/document.xml", version_needed=64)
    assert refusal(uploads.check_upload, data, "a.docx").key == uploads.ZIP_CORRUPT


def test_overlapping_members_are_refused_as_corrupt() -> None:
    data = samples.quote_member(samples.docx(), "word/document.xml", "word/documenx.xml")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # the sample is what zipfile reads
        assert len(archive.namelist()) == 4
    assert refusal(uploads.check_zip_container, data).key == uploads.ZIP_CORRUPT


def test_a_member_hidden_inside_another_is_refused_though_zipfile_reads_both() -> None:
    data = samples.member_inside_member()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("word/media/b.bin") == b"inner body"
        assert archive.testzip() is None
    assert refusal(uploads.check_zip_container, data).key == uploads.ZIP_CORRUPT


def test_ole2_that_is_not_a_document_is_refused() -> None:
    data = samples.ole2(samples.POWERPOINT_TREE)
    assert refusal(uploads.check_upload, data, None).key == uploads.UNKNOWN_TYPE
    assert refusal(uploads.check_upload, data, "演示.doc").key == uploads.NOT_AS_NAMED


def test_damaged_ole2_files_are_refused_without_hanging() -> None:
    good = samples.ole2(samples.WORD_TREE)
    assert refusal(uploads.check_upload, good[:600], "a.doc").key == uploads.OLE_CORRUPT
    assert refusal(uploads.check_upload, good[:100], "a.doc").key == uploads.OLE_CORRUPT
    looping = samples.ole2_with_directory_loop(samples.WORD_TREE)
    assert refusal(uploads.check_upload, looping, "a.doc").key == uploads.OLE_CORRUPT


# --- ZIP bombs -----------------------------------------------------------------------------------


def _declared_size(data: bytes, member: str) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.getinfo(member).file_size


def test_a_zip_bomb_with_honest_sizes_is_refused_early() -> None:
    data = samples.zip_bomb()
    assert len(data) < 64 * 1024 and _declared_size(data, samples.BOMB_MEMBER) == 5 * samples.MB
    progress = uploads.ZipProgress()
    refused = refusal(uploads.check_zip_container, data, progress=progress)
    assert refused.key == uploads.ZIP_SUSPICIOUS_RATIO
    assert refused.params == {"ratio": 100}
    assert progress.members == 0
    assert (
        uploads.RATIO_FLOOR_BYTES
        < progress.bytes_produced
        <= uploads.RATIO_FLOOR_BYTES + uploads.INFLATE_CHUNK_BYTES
    )
    assert refusal(uploads.check_upload, data, "炸弹.docx").key == uploads.ZIP_SUSPICIOUS_RATIO


def test_a_zip_bomb_that_lies_about_its_size_is_refused_by_what_it_really_produces() -> None:
    data = samples.patch_member(samples.zip_bomb(), samples.BOMB_MEMBER, file_size=1000)
    assert _declared_size(data, samples.BOMB_MEMBER) == 1000
    progress = uploads.ZipProgress()
    assert (
        refusal(uploads.check_zip_container, data, progress=progress).key
        == uploads.ZIP_SUSPICIOUS_RATIO
    )
    assert (
        uploads.RATIO_FLOOR_BYTES
        < progress.bytes_produced
        <= uploads.RATIO_FLOOR_BYTES + uploads.INFLATE_CHUNK_BYTES
    )


def test_a_member_that_lies_about_its_size_below_the_limits_is_refused_as_corrupt() -> None:
    data = samples.docx(extra=[("word/blank.xml", bytes(300 * 1024))])
    uploads.check_zip_container(data)
    lying = samples.patch_member(data, "word/blank.xml", file_size=10)
    assert refusal(uploads.check_zip_container, lying).key == uploads.ZIP_CORRUPT


def test_the_total_uncompressed_size_is_capped_counting_real_bytes() -> None:
    members = [(f"word/media/{i}.bin", samples.random_bytes(300 * 1024, seed=i)) for i in range(3)]
    data = samples.docx(extra=members)
    cap = 256 * 1024
    progress = uploads.ZipProgress()
    refused = refusal(
        uploads.check_zip_container, data, max_total_uncompressed=cap, progress=progress
    )
    assert refused.key == uploads.ZIP_TOO_LARGE_UNCOMPRESSED
    assert refused.params == {"limit": "256 KB"}
    assert cap < progress.bytes_produced <= cap + uploads.INFLATE_CHUNK_BYTES
    assert progress.members <= 3  # stopped inside the first large member


# --- robustness ----------------------------------------------------------------------------------

SEEDS = {
    "pdf": samples.pdf(),
    "docx": samples.docx(),
    "xlsx": samples.xlsx(),
    "doc": samples.ole2(samples.WORD_TREE),
    "png": samples.png(),
}


@examples
@given(
    seed=st.sampled_from(sorted(SEEDS)),
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6),
    cut=st.none() | st.integers(0, 10**6),
)
def test_damaged_files_are_refused_politely_never_with_a_crash(
    seed: str, edits: list[tuple[int, int]], cut: int | None
) -> None:
    data = bytearray(SEEDS[seed])
    for position, value in edits:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    try:
        checked = uploads.check_upload(bytes(data), f"x.{seed}")
    except Invalid as refused:
        assert refused.key in REASONS
    else:
        assert checked.kind in uploads.ALL_KINDS


@examples
@given(
    st.binary(max_size=2048),
    st.sampled_from([b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"]),
)
def test_arbitrary_bytes_never_crash_the_checks(tail: bytes, head: bytes) -> None:
    try:
        uploads.check_upload(head + tail, None)
    except Invalid as refused:
        assert refused.key in REASONS


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "safe"),
    [
        ("../../etc/passwd", None, "passwd"),
        ("C:\\x\\y.doc", None, "y.doc"),
        ("C:\\x\\y.doc", FileKind.DOC, "y.doc"),
        ("报告\x00\x07\u202e.pdf", FileKind.PDF, "报告.pdf"),
        ("年度\t工作\n总结.docx", FileKind.DOCX, "年度 工作 总结.docx"),
        ("  ..隐藏.pdf", FileKind.PDF, "隐藏.pdf"),
        ("CON.pdf", FileKind.PDF, "_CON.pdf"),
        ("lpt1", FileKind.PDF, "_lpt1.pdf"),
        ('a<b>c:d"e|f?g*h.xls', FileKind.XLS, "abcdefgh.xls"),
        ("计划", FileKind.DOCX, "计划.docx"),
        ("计划.PDF", FileKind.PDF, "计划.pdf"),
        ("计划.pdf", FileKind.DOCX, "计划.docx"),
        ("计划 v1.2", FileKind.DOCX, "计划 v1.2.docx"),
        ("virus.exe", FileKind.PDF, "virus.exe.pdf"),
        ("", FileKind.PDF, "文件.pdf"),
        ("", None, "文件"),
        ("...", FileKind.XLSX, "文件.xlsx"),
        (".pdf", FileKind.PDF, "文件.pdf"),
        ("a/b/", None, "文件"),
        ("ＡＢＣ１２３．ｐｄｆ", FileKind.PDF, "ABC123.pdf"),
        ("报告 .pdf.", None, "报告.pdf"),
    ],
)
def test_sanitise_filename_examples(name: str, kind: FileKind | None, safe: str) -> None:
    assert uploads.sanitise_filename(name, kind=kind) == safe


def test_a_300_character_chinese_name_is_cut_keeping_its_extension() -> None:
    name = "湖北省继续教育基地年度培训计划" * 20 + ".docx"
    assert len(name) == 305
    safe = uploads.sanitise_filename(name, kind=FileKind.DOCX)
    assert safe.endswith(".docx")
    assert len(safe) <= 100 and len(safe.encode()) <= 255  # 255 bytes bind first here
    assert safe.startswith("湖北省继续教育基地")
    longer = uploads.sanitise_filename(name, kind=FileKind.DOCX, max_length=60)
    assert len(longer) == 60 and longer.endswith(".docx")


def test_check_upload_keeps_the_original_name_for_display() -> None:
    checked = uploads.check_upload(samples.pdf(), "../../我的\x07计划.pdf")
    assert checked.original_name == "../../我的\x07计划.pdf"
    assert checked.safe_name == "我的计划.pdf"
    assert uploads.check_upload(samples.pdf(), None).safe_name == "文件.pdf"


NAME_PIECES = st.one_of(
    st.characters(),
    st.sampled_from(list('/\\.:*?"<>| \t\n\r\x00\x1f\u202e\u200b\u3000．／＼中文报告')),
    st.sampled_from(["CON", "com1", "lpt", "pdf", ".docx", "e\u0301", "\u0338", " .", "x" * 40]),
)
names = st.lists(NAME_PIECES, max_size=120).map("".join)


@examples
@given(
    name=names,
    kind=st.none() | st.sampled_from(list(FileKind)),
    max_length=st.integers(16, 200),
)
def test_sanitised_names_are_safe_bounded_and_stable(
    name: str, kind: FileKind | None, max_length: int
) -> None:
    safe = uploads.sanitise_filename(name, kind=kind, max_length=max_length)
    assert safe
    assert "/" not in safe and "\\" not in safe
    assert not any(unicodedata.category(ch).startswith("C") for ch in safe)
    assert not set('<>:"|?*') & set(safe)
    assert not safe.startswith((".", " ")) and not safe.endswith((".", " "))
    assert len(safe) <= max_length and len(safe.encode()) <= 255
    assert safe.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}
    if kind is not None:
        assert safe.endswith(kind.extensions)
    assert uploads.sanitise_filename(safe, kind=kind, max_length=max_length) == safe


# --- kinds ---------------------------------------------------------------------------------------


def test_kinds_carry_labels_mime_types_and_extensions() -> None:
    assert FileKind.PDF.label == "PDF 文档"
    assert FileKind.DOCX.label == FileKind.DOC.label == "Word 文档"
    assert FileKind.ET.label == "WPS 表格"
    assert FileKind.JPEG.mime_type == "image/jpeg"
    assert FileKind.XLSX.mime_type.endswith("spreadsheetml.sheet")
    assert FileKind.JPEG.extension == ".jpg" and ".jpeg" in FileKind.JPEG.extensions
    assert {kind.value for kind in FileKind} == {
        "pdf", "doc", "docx", "xls", "xlsx", "wps", "et", "png", "jpeg",
    }  # fmt: skip
