"""The benchmark harness still runs: `--quick` on the import row, its JSON as a later run reads.

Only the shape and sanity of the numbers are checked here; the targets belong to ``make bench``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench.harness import main
from tests.bench.scores import BENCHMARKS


def test_quick_import_row_writes_comparable_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = tmp_path / "bench.json"
    earlier = {"timestamp": "earlier", "results": [{"name": "score_import_10k", "ours": 1.0}]}
    written.write_text(json.dumps(earlier))

    status = main(BENCHMARKS, ["--quick", "--only", "score_import_10k", "--json", str(written)])

    assert status == 0  # a quick run fails only when a benchmark breaks, never on a target
    report = json.loads(written.read_text())
    assert {"timestamp", "quick", "machine", "versions", "git", "results"} <= report.keys()
    assert report["quick"] is True and report["machine"]["python"]
    [result] = report["results"]
    assert result["name"] == "score_import_10k"
    assert {"what", "unit", "ours", "reference", "ratio", "target", "passed"} <= result.keys()
    assert result["unit"] == "s" and result["ours"] > 0 and result["reference"] > 0
    assert result["ratio"] > 0 and result["target"]["on"] == "ratio"
    details = result["details"]
    assert details["rows"] == 1_000 and details["file_bytes"] > 0
    assert all(seconds > 0 for seconds in details["ours_steps_median"].values())

    shown = capsys.readouterr().out
    assert "score_import_10k" in shown
    assert "Change against" in shown and "ours 1.000 s →" in shown  # the earlier run, compared
