"""Importing learners' scores (issue 6): time against bare openpyxl, peak memory, statements.

"Importing a 10,000-row file (check, preview, confirm, store) takes at most 3× as long as bare
openpyxl read-only iteration over the same file, measured side by side in the same run; a
100,000-row file imports with peak memory under 300 MB; storing uses bulk inserts, not one
statement a row."

Ours is the whole pipeline through the real services on a fresh SQLite file for every run:
``prepare_import`` (the class and its current learners), ``check_file`` (read and check every row,
the preview), ``confirm_import`` (encrypt and store, commit). Arranging the class is not measured.
"""

from __future__ import annotations

import asyncio
import gc
import io
import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import event

from domain.scores import ImportPreview
from domain.scoresheet import ClassHeading
from domain.services import scores
from storage.spreadsheets import OpenpyxlScoreWorkbooks
from tests.bench.arrange import TODAY, Arranged, approved_class
from tests.bench.harness import (
    REPO_ROOT,
    Benchmark,
    Result,
    Settings,
    Target,
    median,
    side_by_side,
    timed,
)
from tests.bench.scorefile import filled_template

FILENAME = "成绩.xlsx"
TIME_RATIO = 3.0
PEAK_MB = 300.0
MAX_STATEMENTS = 40
CHILD_TIMEOUT_S = 600


# --- the pipeline ---------------------------------------------------------------------------------


@dataclass
class Imported:
    preview: ImportPreview
    stored: int
    seconds: dict[str, float]


async def import_file(arranged: Arranged, data: bytes) -> Imported:
    """What the bot does with a file once downloaded, step by step as the handler calls it."""
    workbooks = OpenpyxlScoreWorkbooks()
    uow_factory, actor, class_id = arranged.uow_factory, arranged.actor, arranged.class_id
    start = time.perf_counter()
    async with uow_factory() as uow:
        target = await scores.prepare_import(uow, actor, class_id)
    prepared = time.perf_counter()
    preview = await scores.check_file(target, workbooks, TODAY, data, FILENAME)
    checked = time.perf_counter()
    async with uow_factory() as uow:
        stored = await scores.confirm_import(uow, arranged.clock, actor, class_id, preview)
    confirmed = time.perf_counter()
    return Imported(
        preview,
        stored,
        {
            "prepare": prepared - start,
            "check": checked - prepared,
            "confirm": confirmed - checked,
        },
    )


def verify(imported: Imported, rows: int) -> None:
    """A benchmark of a refused file would measure the wrong path: every row must be stored."""
    preview = imported.preview
    if preview.wrong or len(preview.new) != rows or imported.stored != rows:
        raise AssertionError(
            f"expected {rows} new learners and none wrong, got new={len(preview.new)} "
            f"wrong={preview.wrong} stored={imported.stored}; first problems: "
            f"{dict(list(preview.problems.items())[:3])}"
        )


async def stored_count(arranged: Arranged) -> int:
    async with arranged.uow_factory(readonly=True) as uow:
        return (await uow.scores.counts_for_class(arranged.class_id)).learners


def bare_openpyxl(data: bytes) -> int:
    """The reference: openpyxl's read-only mode, every row's values, nothing else."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = 0
    for sheet in book.worksheets:
        for _values in sheet.iter_rows(values_only=True):
            rows += 1
    book.close()
    return rows


# --- the files ------------------------------------------------------------------------------------


def score_file(settings: Settings, rows: int) -> tuple[ClassHeading, bytes]:
    """The class's template filled with ``rows`` learners, made once per run.

    The heading comes from a class arranged like every measured one, so the file's marker names
    the class each fresh database holds.
    """
    key = f"score_file:{rows}"
    if key not in settings.cache:

        async def heading() -> ClassHeading:
            async with approved_class(settings.workdir / "heading.db") as arranged:
                return arranged.heading

        made_for = asyncio.run(heading())
        start = time.perf_counter()
        data = filled_template(made_for, rows)
        print(
            f"  made a {rows:,}-row file ({len(data) / 1e6:.1f} MB) "
            f"in {time.perf_counter() - start:.1f} s",
            file=sys.stderr,
        )
        settings.cache[key] = (made_for, data)
    found: tuple[ClassHeading, bytes] = settings.cache[key]
    return found


def _same_class(arranged: Arranged, made_for: ClassHeading) -> None:
    if arranged.heading != made_for:
        raise AssertionError(f"the file was made for {made_for}, the class is {arranged.heading}")


# --- 1. time --------------------------------------------------------------------------------------


def import_time(settings: Settings) -> Result:
    rows = settings.rows
    made_for, data = score_file(settings, rows)
    steps: list[dict[str, float]] = []

    def ours() -> float:
        async def once() -> float:
            async with approved_class(settings.workdir / "import.db") as arranged:
                _same_class(arranged, made_for)
                gc.collect()
                start = time.perf_counter()
                imported = await import_file(arranged, data)
                seconds = time.perf_counter() - start
            verify(imported, rows)
            steps.append(imported.seconds)
            return seconds

        return asyncio.run(once())

    def reference() -> float:
        return timed(lambda: bare_openpyxl(data))

    references, ourselves = side_by_side(reference, ours, settings.repeats)
    return Result(
        name="score_import_10k",
        what=f"import {rows:,} rows (check+preview+confirm+store) vs openpyxl read-only",
        unit="s",
        ours=median(ourselves),
        reference=median(references),
        target=Target("ratio", TIME_RATIO),
        details={
            "rows": rows,
            "file_bytes": len(data),
            "repeats": settings.repeats,
            "ours_samples": ourselves,
            "reference_samples": references,
            "ours_steps_median": {
                step: median([s[step] for s in steps]) for step in ("prepare", "check", "confirm")
            },
        },
    )


# --- 2. memory ------------------------------------------------------------------------------------


def import_memory(settings: Settings) -> Result:
    """In a child process, so the peak is this import's, not this harness's (which made the
    file and ran the other rows)."""
    rows = settings.memory_rows
    made_for, data = score_file(settings, rows)
    path = settings.workdir / f"scores-{rows}.xlsx"
    path.write_bytes(data)
    settings.cache.pop(f"score_file:{rows}", None)  # the parent needs it no more
    command = [
        sys.executable,
        "-m",
        "tests.bench.memory_child",
        str(path),
        str(settings.workdir / "memory.db"),
        json.dumps({"class_id": made_for.class_id, "rows": rows}),
    ]
    done = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S
    )
    if done.returncode != 0:
        raise RuntimeError(f"the child failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return Result(
        name="score_import_100k_memory",
        what=f"peak RSS importing {rows:,} rows vs RSS before reading (subprocess)",
        unit="MB",
        ours=report["peak_mb"],
        reference=report["baseline_mb"],
        target=Target("ours", PEAK_MB, strict=True, unit="MB"),
        details={"rows": rows, "file_bytes": len(data), **report},
    )


# --- 3. statements --------------------------------------------------------------------------------


def store_statements(settings: Settings) -> Result:
    rows = settings.rows
    made_for, data = score_file(settings, rows)

    async def count() -> tuple[Counter[str], int, int, float]:
        async with approved_class(settings.workdir / "statements.db") as arranged:
            _same_class(arranged, made_for)
            workbooks = OpenpyxlScoreWorkbooks()
            async with arranged.uow_factory() as uow:
                target = await scores.prepare_import(uow, arranged.actor, arranged.class_id)
            preview = await scores.check_file(target, workbooks, TODAY, data, FILENAME)
            verbs: Counter[str] = Counter()
            many = 0

            def seen(
                _conn: object,
                _cursor: object,
                statement: str,
                _parameters: object,
                _context: object,
                executemany: bool,
            ) -> None:
                nonlocal many
                verbs[statement.split(None, 1)[0].upper()] += 1
                many += executemany

            engine = arranged.engine.sync_engine
            event.listen(engine, "before_cursor_execute", seen)
            try:
                start = time.perf_counter()
                async with arranged.uow_factory() as uow:
                    stored = await scores.confirm_import(
                        uow, arranged.clock, arranged.actor, arranged.class_id, preview
                    )
                seconds = time.perf_counter() - start
            finally:
                event.remove(engine, "before_cursor_execute", seen)
            in_table = await stored_count(arranged)
            if stored != rows or in_table != rows:
                raise AssertionError(f"stored {stored}, {in_table} in the table, wanted {rows}")
            return verbs, many, in_table, seconds

    verbs, many, in_table, seconds = asyncio.run(count())
    total = sum(verbs.values())
    return Result(
        name="score_store_statements",
        what=f"SQL statements storing {rows:,} learners vs one a row",
        unit="",
        ours=float(total),
        reference=float(rows),
        target=Target("ours", MAX_STATEMENTS),
        details={
            "rows": rows,
            "by_verb": dict(verbs.most_common()),
            "executemany_calls": many,
            "stored": in_table,
            "confirm_seconds": seconds,
        },
    )


BENCHMARKS = (
    Benchmark("score_import_10k", import_time),
    Benchmark("score_store_statements", store_statements),
    Benchmark("score_import_100k_memory", import_memory, in_quick=False),
)
