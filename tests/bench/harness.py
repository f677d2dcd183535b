"""Runs benchmarks, prints one table, keeps the results as JSON and compares with the last run.

Every benchmark measures a bare reference and our code side by side in the same run, so the
ratio means something on any machine; the absolute numbers are printed too, since a ratio alone
hides a reference that got slower. Times come from ``time.perf_counter`` over repeated runs and
the median is kept (the first run pays for imports and warm caches; the median shrugs it off).

Exit status: 0 when every target is met, 1 when one is missed or a benchmark failed, so a CI job
can run it; ``make test`` does not. ``--quick`` is a smoke run (1,000 rows, no subprocess): the
targets are still shown but never decide the exit status, since fixed costs dominate small files.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_JSON = Path("var/bench/latest.json")
QUICK_JSON = Path("var/bench/quick.json")


# --- what a benchmark gives back ------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A limit on our number or on the ratio ours / reference; ``strict`` means "<", else "≤".

    ``at_least`` turns the limit into a floor (a throughput): ">" when strict, else "≥".
    """

    on: Literal["ours", "ratio"]
    limit: float
    strict: bool = False
    unit: str = ""
    at_least: bool = False

    def met(self, ours: float, ratio: float | None) -> bool:
        value = ours if self.on == "ours" else ratio
        if value is None:
            return False
        if self.at_least:
            return value > self.limit if self.strict else value >= self.limit
        return value < self.limit if self.strict else value <= self.limit

    @property
    def text(self) -> str:
        loose, strict = ("≥", ">") if self.at_least else ("≤", "<")
        sign = strict if self.strict else loose
        if self.on == "ratio":
            return f"ratio {sign} {self.limit:.1f}"
        return f"{sign} {format_value(self.limit, self.unit)}"


@dataclass
class Result:
    name: str
    what: str
    unit: str
    """"s", "MB", "msg/s" or "" (a count)."""
    ours: float
    reference: float
    target: Target
    details: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    """Conditions besides the target that the row also needs (no 429 answer, the same number of
    statements at two sizes); one that does not hold misses the row like a missed target."""

    @property
    def ratio(self) -> float | None:
        return self.ours / self.reference if self.reference else None

    @property
    def failed_checks(self) -> list[str]:
        return [name for name, held in self.checks.items() if not held]

    @property
    def passed(self) -> bool:
        return self.target.met(self.ours, self.ratio) and not self.failed_checks

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "what": self.what,
            "unit": self.unit,
            "ours": self.ours,
            "reference": self.reference,
            "ratio": self.ratio,
            "target": {**asdict(self.target), "text": self.target.text},
            "passed": self.passed,
            "checks": self.checks,
            "details": self.details,
        }


@dataclass
class Settings:
    quick: bool
    workdir: Path
    """Scratch space for databases and generated files, removed after the run."""
    rows: int = 10_000
    memory_rows: int = 100_000
    repeats: int = 5
    cache: dict[str, Any] = field(default_factory=dict)
    """Shared between benchmarks of one run, e.g. a generated file."""

    @classmethod
    def make(cls, *, quick: bool, workdir: Path) -> Settings:
        if quick:
            return cls(quick=True, workdir=workdir, rows=1_000, memory_rows=1_000, repeats=1)
        return cls(quick=False, workdir=workdir)


@dataclass(frozen=True)
class Benchmark:
    name: str
    run: Callable[[Settings], Result]
    in_quick: bool = True
    """False for what a quick run skips (anything needing a subprocess)."""


# --- measuring ------------------------------------------------------------------------------------


def timed(work: Callable[[], object]) -> float:
    """Seconds ``work`` took; garbage left by the previous measurement is collected first."""
    gc.collect()
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def side_by_side(
    reference: Callable[[], float], ours: Callable[[], float], repeats: int
) -> tuple[list[float], list[float]]:
    """Alternates the two (and which goes first), so a machine that speeds up or slows down
    during the run affects both alike. Each callable returns the seconds it measured itself,
    leaving its own setup out."""
    references: list[float] = []
    ourselves: list[float] = []
    for round_ in range(repeats):
        if round_ % 2 == 0:
            references.append(reference())
            ourselves.append(ours())
        else:
            ourselves.append(ours())
            references.append(reference())
    return references, ourselves


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


# --- showing --------------------------------------------------------------------------------------


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "msg/s":
        return f"{value:.1f} msg/s"
    return f"{value:,.0f}"


def format_ratio(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio:.3g}×"


def table(results: Sequence[Result], errors: Sequence[tuple[str, str]], *, quick: bool) -> str:
    header = ("name", "what", "ours", "reference", "ratio", "target", "result")
    lines: list[tuple[str, ...]] = [header]
    for r in results:
        verdict = "pass" if r.passed else "MISS"
        lines.append(
            (
                r.name,
                r.what,
                format_value(r.ours, r.unit),
                format_value(r.reference, r.unit),
                format_ratio(r.ratio),
                r.target.text,
                f"({verdict})" if quick else verdict,
            )
        )
    for name, message in errors:
        lines.append((name, message, "—", "—", "—", "—", "ERROR"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    right = {2, 3, 4}

    def render(line: tuple[str, ...]) -> str:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(line)
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([render(lines[0]), rule, *map(render, lines[1:])])


def changes(previous: dict[str, Any], results: Sequence[Result], source: Path) -> str | None:
    """Each result against the same benchmark in ``previous``; None when nothing to compare."""
    before = {r["name"]: r for r in previous.get("results", []) if "name" in r}
    shared = [r for r in results if r.name in before]
    if not shared:
        return None
    git = previous.get("git") or {}
    when = previous.get("timestamp", "?")
    lines = [f"Change against {source} ({when}, commit {str(git.get('commit', '?'))[:10]}):"]
    if previous.get("machine") != machine():
        lines.append("  (measured on another machine or Python: compare the ratios, not the times)")
    if bool(previous.get("quick")) != any(r.details.get("quick") for r in results):
        lines.append("  (one of the two runs was --quick: the sizes differ)")
    width = max(len(r.name) for r in shared)
    for r in shared:
        old = before[r.name]
        old_ours = old.get("ours")
        if isinstance(old_ours, int | float) and old_ours:
            delta = f"{(r.ours - old_ours) / old_ours:+.0%}"
        else:
            delta = "new"
        old_ratio = old.get("ratio")
        lines.append(
            f"  {r.name.ljust(width)}  ours {format_value(old_ours, r.unit)} → "
            f"{format_value(r.ours, r.unit)} ({delta});  "
            f"ratio {format_ratio(old_ratio)} → {format_ratio(r.ratio)};  "
            f"{'pass' if old.get('passed') else 'MISS'} → {'pass' if r.passed else 'MISS'}"
        )
    return "\n".join(lines)


# --- where it ran ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": _cpu_model() or platform.processor(),
        "cpus": os.cpu_count(),
        "memory_mb": _memory_mb(),
    }


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _memory_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        pass
    return None


def _git() -> dict[str, Any]:
    def ask(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    status = ask("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": ask("rev-parse", "HEAD"),
        "dirty": bool(status) if status is not None else None,
    }


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("openpyxl", "sqlalchemy", "aiosqlite", "cryptography"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


# --- the command ----------------------------------------------------------------------------------


def parse(argv: Sequence[str] | None, names: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench",
        description="cebot's benchmarks: ours against a bare reference, side by side.",
    )
    parser.add_argument(
        "--only", action="append", choices=names, metavar="NAME", help=f"one of: {', '.join(names)}"
    )
    parser.add_argument(
        "--json",
        type=Path,
        help=f"where to write the results (default {DEFAULT_JSON}, {QUICK_JSON} with --quick); "
        "an earlier file there is compared with first",
    )
    parser.add_argument(
        "--quick", action="store_true", help="1,000 rows, no subprocess: checks the harness works"
    )
    return parser.parse_args(argv)


def main(benchmarks: Sequence[Benchmark], argv: Sequence[str] | None = None) -> int:
    import tempfile

    args = parse(argv, [b.name for b in benchmarks])
    json_path: Path = args.json or (QUICK_JSON if args.quick else DEFAULT_JSON)
    if not json_path.is_absolute():
        json_path = REPO_ROOT / json_path
    chosen = [b for b in benchmarks if not args.only or b.name in args.only]
    skipped = [b.name for b in chosen if args.quick and not b.in_quick]
    chosen = [b for b in chosen if b.name not in skipped]

    json_path.parent.mkdir(parents=True, exist_ok=True)
    results: list[Result] = []
    errors: list[tuple[str, str]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-", dir=json_path.parent) as scratch:
        settings = Settings.make(quick=args.quick, workdir=Path(scratch))
        for bench in chosen:
            print(f"running {bench.name} …", file=sys.stderr, flush=True)
            try:
                result = bench.run(settings)
            except Exception as error:
                traceback.print_exc()
                errors.append((bench.name, f"{type(error).__name__}: {error}"[:120]))
                continue
            result.details.setdefault("quick", settings.quick)
            results.append(result)
    elapsed = time.perf_counter() - started

    print()
    print(table(results, errors, quick=args.quick))
    for r in results:
        for name in r.failed_checks:
            print(f"{r.name}: check failed: {name}")
    for name in skipped:
        print(f"{name}: skipped with --quick (needs a subprocess)")
    previous = _load(json_path)
    if previous is not None:
        compared = changes(previous, results, json_path)
        if compared:
            print()
            print(compared)
    report = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "seconds": round(elapsed, 1),
        "machine": machine(),
        "versions": _versions(),
        "git": _git(),
        "results": [r.as_json() for r in results],
        "errors": [{"name": n, "error": e} for n, e in errors],
    }
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"\n{len(results)} benchmark(s) in {elapsed:.0f} s; results in {json_path}")

    if errors:
        return 1
    if not args.quick and not all(r.passed for r in results):
        return 1
    return 0


def _load(path: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None
