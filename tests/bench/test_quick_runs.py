"""The benchmark harness still runs: `--quick` on the import row and on the reminder rows, and its
JSON as a later run reads.

Only the shape and sanity of the numbers are checked here; the targets belong to ``make bench``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench import reminders, updates
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


def test_quick_reminder_rows_plan_and_send_through_the_emulator(tmp_path: Path) -> None:
    """50 bases and 60 messages: the rows run end to end and their checks hold at any size."""
    written = tmp_path / "bench.json"

    status = main(reminders.BENCHMARKS, ["--quick", "--json", str(written)])

    assert status == 0
    planning, dispatch = json.loads(written.read_text())["results"]
    assert planning["name"] == "reminder_planning_5k" and planning["unit"] == "s"
    assert planning["ours"] > 0 and planning["reference"] > 0
    assert all(planning["checks"].values())  # as many statements for 50 bases as for 5
    counts = planning["details"]["statements_by_bases"]
    assert set(counts) == {"50", "5"} and len(set(counts.values())) == 1
    assert planning["details"]["enqueue_due_added"] == planning["details"]["reminders"] > 0

    assert dispatch["name"] == "reminder_dispatch_3k" and dispatch["unit"] == "msg/s"
    assert dispatch["reference"] == 30.0 and dispatch["target"]["at_least"] is True
    assert dispatch["checks"] == {
        "no 429 answer": True,
        "every message sent and delivered once": True,
    }
    assert dispatch["details"]["delivered_in_emulator"] == dispatch["details"]["messages"] == 60
    assert 0 < dispatch["ours"] <= 30.0  # paced: never faster than Telegram allows


def test_quick_update_rows_answer_through_the_whole_bot(tmp_path: Path) -> None:
    """One admin's updates one after another, then 5 admins at once on SQLite and PostgreSQL:
    every update answered, both sides timed; PostgreSQL is measured or says why not."""
    written = tmp_path / "bench.json"

    status = main(updates.BENCHMARKS, ["--quick", "--json", str(written)])

    assert status == 0
    cost, sqlite, postgresql = json.loads(written.read_text())["results"]
    assert cost["name"] == "update_cost" and cost["target"] == {**cost["target"], "limit": 2.0}
    assert cost["ours"] > 0 and cost["reference"] > 0
    assert set(cost["details"]["ours_median_latency_by_step"]) == {"menu", "module", "page"}

    assert sqlite["name"] == "update_latency_100_sqlite"
    assert sqlite["checks"] == {"every update answered": True}
    assert sqlite["details"]["updates"] == 15 and sqlite["details"]["bot_failed_calls"] == 0
    assert 0 < sqlite["details"]["ours_p50"] <= sqlite["ours"] == sqlite["details"]["ours_p99"]
    assert sqlite["reference"] > 0

    assert postgresql["name"] == "update_latency_100_postgresql"
    if "skipped" in postgresql["details"]:  # never silently: a failed check and the reason
        assert postgresql["checks"] == {"PostgreSQL reachable": False}
        assert "unreachable" in postgresql["details"]["skipped"]
    else:
        assert postgresql["checks"] == {"every update answered": True}
        assert postgresql["details"]["updates"] == 15
