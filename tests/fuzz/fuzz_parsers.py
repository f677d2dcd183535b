"""Fuzz targets for the upload parsers, run for a bounded time (issue #9, item 2).

    python -m tests.fuzz.fuzz_parsers            # about 60 s over all targets (make fuzz)
    FUZZ_SECONDS=600 python -m tests.fuzz.fuzz_parsers

Every parser an admin's file meets is fed random and mutated bytes: ``domain.uploads``
(content sniffing of PDF, OLE2 Office files, ZIP-based Office files, PNG and JPEG; the ZIP
container checks; file-name cleaning) and ``storage.spreadsheets`` (the score file's format
sniffing, the xlsx and CSV readers, row by row). The contract checked is the documented one:
a result, or ``Invalid("file", reason)`` with a reason from the catalogue; never any other
exception, and never pathological time or memory on a small input (``TIME_LIMIT`` seconds and
``MEMORY_LIMIT`` bytes of Python allocations for inputs of at most ``MAX_INPUT`` bytes).

Hypothesis rather than atheris: it is already a dev dependency, needs no compiled extension,
and its structured strategies (a real xlsx package with random sheet XML, a ZIP with hostile
member names) reach the parsers' inner layers, which random bytes alone rarely get past the
magic number. The seeds are real files from the test samples, mutated byte-wise.
"""

from __future__ import annotations

import io
import os
import sys
import time
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import scoresheet, uploads
from domain.errors import Invalid
from domain.scoresheet import Column
from domain.uploads import ALL_KINDS, SPREADSHEET_KINDS, FileKind
from storage.spreadsheets import OpenpyxlScoreWorkbooks
from storage.spreadsheets import sniff as score_sniff
from tests import hypothesis_profiles
from tests.storage import spreadsheet_samples
from tests.unit import samples

MAX_INPUT = 64 * 1024
TIME_LIMIT = 5.0
"""Seconds one small input may take; generous for two shared cores, far below a hang."""
MEMORY_LIMIT = 256 * 1024 * 1024
"""Peak Python allocations for one small input (a bomb would need far more)."""
DEFAULT_SECONDS = 60.0

REASONS = frozenset(
    value
    for module in (uploads, scoresheet)
    for name, value in vars(module).items()
    if name.isupper() and isinstance(value, str)
)
"""Every refusal reason the modules document, as constants (so a test can name one exactly)."""

BOOKS = OpenpyxlScoreWorkbooks(max_rows=2_000)


class UnexpectedOutcome(AssertionError):
    """A parser broke its contract: another exception, a foreign reason, or too slow or big."""


def expect_result_or_refusal(call: Callable[[], object], data_size: int) -> object | None:
    """Runs ``call``; passes on a result or a documented refusal, fails on anything else."""
    tracing = tracemalloc.is_tracing()
    if tracing:
        tracemalloc.reset_peak()
    started = time.perf_counter()
    try:
        result = call()
    except Invalid as refusal:
        if refusal.field != "file" or refusal.key not in REASONS:
            raise UnexpectedOutcome(
                f"undocumented refusal {refusal.field}: {refusal.key}"
            ) from None
        result = None
    except Exception as error:
        raise UnexpectedOutcome(f"{type(error).__name__}: {error}") from error
    elapsed = time.perf_counter() - started
    if data_size <= MAX_INPUT and elapsed > TIME_LIMIT:
        raise UnexpectedOutcome(f"{elapsed:.1f} s for {data_size} bytes")
    if tracing and data_size <= MAX_INPUT:
        peak = tracemalloc.get_traced_memory()[1]
        if peak > MEMORY_LIMIT:
            raise UnexpectedOutcome(f"{peak / 2**20:.0f} MiB for {data_size} bytes")
    return result


# --- inputs ---------------------------------------------------------------------------------------

SEEDS: tuple[bytes, ...] = (
    samples.pdf(),
    samples.pdf(encrypted=True),
    samples.png(),
    samples.jpeg(),
    samples.docx(),
    samples.xlsx(),
    samples.ole2({"WordDocument": None, "1Table": None}),
    samples.ole2({"Workbook": None}),
    samples.ole2({"EncryptedPackage": None, "EncryptionInfo": None}),
    samples.exe(hidden_pdf_header=True),
    spreadsheet_samples.workbook_of(
        [
            spreadsheet_samples.HEADER,
            ["学员", spreadsheet_samples.an_id(1), 90, "合格", 24, None, None],
        ]
    ),
    spreadsheet_samples.csv_bytes(
        [
            spreadsheet_samples.HEADER,
            ["学员", spreadsheet_samples.an_id(1), "90", "合格", "24", "", ""],
        ],
        "utf-8",
    ),
    spreadsheet_samples.csv_bytes(
        [
            spreadsheet_samples.HEADER,
            ["学员", spreadsheet_samples.an_id(1), "90", "合格", "24", "", ""],
        ],
        "gb18030",
    ),
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A seed with a few byte-level edits: flips, overwrites, cuts, insertions, splices."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "set", "cut", "insert", "truncate", "splice"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[position] = draw(st.sampled_from([0, 0xFF, 0x7F, 0x80, ord("<"), ord("\n")]))
        elif op == "cut":
            del data[position : position + draw(st.integers(1, 64))]
        elif op == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=64))
        elif op == "truncate":
            del data[position:]
        elif op == "splice":
            other = draw(st.sampled_from(SEEDS))
            start = draw(st.integers(0, len(other)))
            data[position:position] = other[start : start + draw(st.integers(1, 512))]
    return bytes(data)


MEMBER_NAMES = st.one_of(
    st.sampled_from(
        [
            "[Content_Types].xml",
            "_rels/.rels",
            "xl/workbook.xml",
            "word/document.xml",
            "../evil",
            "/abs",
            "C:x",
            "a\\b",
            "A.xml",
            "a.xml",
            "xl/worksheets/sheet1.xml",
        ]
    ),
    st.text(min_size=1, max_size=40),
)


@st.composite
def zips(draw: st.DrawFn) -> bytes:
    """A real ZIP whose members (names, bodies, compression) are random."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for _ in range(draw(st.integers(0, 6))):
            name = draw(MEMBER_NAMES)
            body = draw(st.one_of(st.binary(max_size=512), st.just(b"\x00" * 200_000)))
            method = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
            try:
                with warnings.catch_warnings():  # duplicate names are wanted: hostile packages
                    warnings.simplefilter("ignore")
                    archive.writestr(zipfile.ZipInfo(name), body, compress_type=method)
            except (ValueError, UnicodeEncodeError):
                continue
    return buffer.getvalue()


CELLS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            *spreadsheet_samples.HEADER,
            "s:0",
            "s:99",
            "n:4.2E+17",
            "n:NaN",
            "n:1e400",
            "n:-0",
            "合格",
        ]
    ),
    st.text(max_size=30),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False),
)


@st.composite
def workbooks(draw: st.DrawFn) -> bytes:
    """A well-formed xlsx package around random rows, dimensions and row numbers: it reaches
    openpyxl's cell reader and our header search, which mutated bytes seldom do."""
    header_row = draw(st.integers(1, 12))
    rows: list[tuple[int, list[object]]] = [(header_row, list(spreadsheet_samples.HEADER))]
    for _ in range(draw(st.integers(0, 8))):
        number = draw(st.integers(1, 1_048_576))
        rows.append((number, draw(st.lists(CELLS, max_size=9))))
    if draw(st.booleans()):
        rows.sort(key=lambda row: row[0])
    dimension = draw(
        st.one_of(
            st.none(),
            st.sampled_from(["A1:G3", "A1:XFD1048576", "A1", "", "ZZZZ99999999", "A0:B0"]),
        )
    )
    prelude = draw(st.sampled_from(["", '<?xml version="1.0"?>', "<!-- x -->"]))
    xml = spreadsheet_samples.sheet_xml(rows, dimension=dimension or None, prelude=prelude)
    strings = draw(st.one_of(st.none(), st.lists(st.text(max_size=20), max_size=5)))
    states = draw(st.lists(st.sampled_from(["visible", "hidden", "veryHidden", "x"]), max_size=2))
    sheets = [(draw(st.sampled_from(["Sheet1", "cebot", "成绩", ""])), xml)]
    if draw(st.booleans()):
        sheets.append(("cebot", spreadsheet_samples.sheet_xml([(1, [draw(st.text(max_size=40))])])))
    return spreadsheet_samples.package(sheets, shared_strings=strings, states=states)


@st.composite
def csvs(draw: st.DrawFn) -> bytes:
    delimiter = draw(st.sampled_from([",", "\t", ";", "|"]))
    lines = [delimiter.join(spreadsheet_samples.HEADER)] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(0, 10))):
        lines.append(delimiter.join(draw(st.lists(st.text(max_size=20), max_size=8))))
    text = draw(st.sampled_from(["\r\n", "\n", "\r"])).join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


any_bytes = st.one_of(st.binary(min_size=0, max_size=2048), mutated(), zips(), workbooks(), csvs())
filenames = st.one_of(
    st.none(),
    st.sampled_from(
        ["a.pdf", "b.doc", "c.docx", "d.xls", "e.xlsx", "f.wps", "g.et", "h.png", "i.jpg", "j.csv"]
    ),
    st.text(max_size=120),
)
kind_sets = st.sampled_from(
    [ALL_KINDS, SPREADSHEET_KINDS, frozenset({FileKind.PDF}), frozenset({FileKind.XLSX})]
)


# --- targets --------------------------------------------------------------------------------------


def _check_upload(data: bytes, filename: str | None, allowed: frozenset[FileKind]) -> None:
    checked = expect_result_or_refusal(
        lambda: uploads.check_upload(data, filename, allowed=allowed), len(data)
    )
    if isinstance(checked, uploads.CheckedUpload):
        assert checked.kind in allowed and checked.size == len(data)
        assert checked.safe_name == uploads.sanitise_filename(checked.safe_name, kind=checked.kind)


def _zip_container(data: bytes) -> None:
    expect_result_or_refusal(lambda: uploads.check_zip_container(data), len(data))


def _score_file(data: bytes, filename: str | None) -> None:
    def read() -> int:
        opened = BOOKS.open(data, filename)
        return sum(1 for _ in opened.rows())

    expect_result_or_refusal(read, len(data))


def _annotated(data: bytes, filename: str | None, problem_rows: list[int]) -> None:
    """The marked-up copy, as the bot makes it: only of a file that was read whole, so it must
    succeed. (Called on a file that fails half-way, openpyxl's write-only sheet would leave its
    temporary file behind until the process exits; the bot never does that.)"""

    def read() -> int:
        return sum(1 for _ in BOOKS.open(data, filename).rows())

    if expect_result_or_refusal(read, len(data)) is None:
        return
    problems = {row: {Column.NAME: "姓名不能为空"} for row in problem_rows}
    marked = expect_result_or_refusal(
        lambda: BOOKS.annotated(data, filename, problems, spreadsheet_samples.HEADING), len(data)
    )
    if not isinstance(marked, bytes):
        raise UnexpectedOutcome("a file read whole could not be marked up")


def _score_sniff(data: bytes, filename: str | None) -> None:
    expect_result_or_refusal(lambda: score_sniff.sniff(data, filename), len(data))


def _file_name(name: str, kind: FileKind | None) -> None:
    clean = uploads.sanitise_filename(name, kind=kind)
    assert clean, "a cleaned name is never empty"
    assert len(clean.encode()) <= 255 and len(clean) <= 100
    assert uploads.sanitise_filename(clean, kind=kind) == clean, "cleaning twice changes it"
    assert not any(ch in clean for ch in '/\\<>:"|?*\x00')


@dataclass(frozen=True)
class Target:
    name: str
    function: Callable[..., None]
    strategies: tuple[st.SearchStrategy[Any], ...]

    def test(self, examples: int) -> Callable[[], None]:
        """A fresh hypothesis test of ``examples`` examples (settings apply once per function);
        randomness or not comes from the loaded profile (``tests/hypothesis_profiles.py``)."""
        configured = settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        return configured(given(*self.strategies)(self.function))


TARGETS: tuple[Target, ...] = (
    Target("uploads.check_upload", _check_upload, (any_bytes, filenames, kind_sets)),
    Target("uploads.check_zip_container", _zip_container, (st.one_of(zips(), mutated()),)),
    Target("spreadsheets.sniff", _score_sniff, (any_bytes, filenames)),
    Target(
        "spreadsheets.open+rows",
        _score_file,
        (st.one_of(workbooks(), csvs(), mutated()), filenames),
    ),
    Target(
        "spreadsheets.annotated",
        _annotated,
        (st.one_of(workbooks(), csvs()), filenames, st.lists(st.integers(1, 30), max_size=5)),
    ),
    Target(
        "uploads.sanitise_filename",
        _file_name,
        (st.text(max_size=400), st.one_of(st.none(), st.sampled_from(list(FileKind)))),
    ),
)


def run(seconds: float, *, batch: int = 50, report: Callable[[str], None] = print) -> int:
    """Runs every target for its share of ``seconds``, in batches of ``batch`` examples with
    fresh randomness each, and returns how many examples ran. Raises at the first failure, with
    hypothesis' shrunk counterexample. Under a derandomized profile (``ci``, in ``make test``)
    every batch would repeat the first, so each target runs one batch whatever ``seconds``."""
    share = seconds / len(TARGETS)
    once = settings().derandomize
    total = 0
    for target in TARGETS:
        deadline = time.monotonic() + share
        examples = 0
        while examples == 0 or (not once and time.monotonic() < deadline):
            target.test(batch)()
            examples += batch
        total += examples
        report(f"{target.name}: {examples} examples")
    return total


def main() -> int:
    hypothesis_profiles.load(default=hypothesis_profiles.FUZZ)
    seconds = float(os.environ.get("FUZZ_SECONDS", DEFAULT_SECONDS))
    tracemalloc.start()
    started = time.monotonic()
    total = run(seconds)
    print(f"{total} examples in {time.monotonic() - started:.0f} s, no contract broken")
    return 0


if __name__ == "__main__":
    sys.exit(main())
