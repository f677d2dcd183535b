"""One import in a process of its own, so its peak memory is the import's alone.

``python -m tests.bench.memory_child FILE DATABASE '{"class_id": 1, "rows": 100000}'`` arranges
the approved class on a fresh DATABASE, notes the process's memory, reads FILE and imports it
through the services, then prints one JSON line: the resident set before reading the file
(everything imported, the database arranged) and the peak of the whole process. The peak is
``VmHWM`` where Linux has it and ``ru_maxrss`` elsewhere (see ``measure`` for why).
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from tests.bench.arrange import approved_class
from tests.bench.scores import import_file, verify


def maxrss_mb() -> float:
    """``ru_maxrss``: kilobytes on Linux, bytes on macOS."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def status_mb(field: str) -> float | None:
    """A line of /proc/self/status (Linux), in MB: VmRSS now, VmHWM the peak of this image."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


async def measure(file: Path, database: Path, class_id: int, rows: int) -> dict[str, Any]:
    async with approved_class(database) as arranged:
        if arranged.class_id != class_id:
            raise AssertionError(f"the file is for class {class_id}, arranged {arranged.class_id}")
        gc.collect()
        before = {"rss": status_mb("VmRSS"), "hwm": status_mb("VmHWM"), "maxrss": maxrss_mb()}
        start = time.perf_counter()
        data = file.read_bytes()  # noqa: ASYNC240 (what the bot does once downloaded; measured)
        imported = await import_file(arranged, data)
        seconds = time.perf_counter() - start
        verify(imported, rows)
        after = {"hwm": status_mb("VmHWM"), "maxrss": maxrss_mb()}
    # Linux carries the parent's resident set at fork into a child's ru_maxrss (the peak of the
    # forked image survives exec), so a large parent would be counted; VmHWM is this image's own.
    peak = after["hwm"] if after["hwm"] is not None else after["maxrss"]
    baseline = before["rss"] if before["rss"] is not None else before["maxrss"]
    assert peak is not None and baseline is not None
    return {
        "baseline_mb": round(baseline, 1),
        "peak_mb": round(peak, 1),
        "added_mb": round(peak - baseline, 1),
        "peak_before_reading_mb": _rounded(before["hwm"]),
        "ru_maxrss_mb": round(after["maxrss"] or 0, 1),
        "seconds": round(seconds, 2),
        "steps": {step: round(s, 2) for step, s in imported.seconds.items()},
        "stored": imported.stored,
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def main(argv: list[str]) -> None:
    file, database, settings = argv
    wanted = json.loads(settings)
    report = asyncio.run(measure(Path(file), Path(database), wanted["class_id"], wanted["rows"]))
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
