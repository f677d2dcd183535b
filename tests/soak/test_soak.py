"""The fault soak, short, inside ``make test``: 15 s at 10% faults of every kind (SQLite).

``make soak`` runs it for ``SOAK_SECONDS`` (default 180); see tests/soak/soak.py for what is
judged. Reliable because a lost answer needs four failed tries of one call in a row.
"""

from __future__ import annotations

from pathlib import Path

from tests.soak.soak import soak


async def test_a_short_soak_at_ten_percent_faults_loses_nothing(tmp_path: Path) -> None:
    report = await soak(tmp_path, 15.0, rate=0.1, seed=3)
    assert report.ok, report.summary()
    assert report.actions > 20 and report.reminders > 5
    assert sum(report.faults.values()) > 0
