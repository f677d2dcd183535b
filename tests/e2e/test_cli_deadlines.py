"""``cebot deadline set|list`` and ``cebot reminders --dry-run`` as real processes."""

from __future__ import annotations

import os
from pathlib import Path

from storage.crypto import Keyring
from storage.db import is_sqlite, make_engine
from storage.migrate import upgrade_engine
from tests.e2e.test_cli_reviewer import cebot


async def test_deadlines_set_list_and_a_dry_run(
    database_url: str, tmp_path: Path, keyring: Keyring
) -> None:
    engine = make_engine(database_url)
    if not is_sqlite(engine):
        await upgrade_engine(engine)
    await engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEBOT_")}
    env.update(
        CEBOT_DATABASE_URL=database_url,
        CEBOT_DATA_DIR=str(tmp_path / "data"),
        CEBOT_SECRET_KEYS=keyring.to_json(),
    )
    set_plan = ["deadline", "set", "--year", "2026", "--kind", "annual_plan"]
    code, out, err = await cebot(env, *set_plan, "--due", "2026-12-31T17:00")
    assert code == 0, err
    assert "2026 annual_plan: 2026-12-31 17:00" in out
    code, out, err = await cebot(
        env, "deadline", "set", "--year", "2026", "--kind", "class_scores", "--days-after-end", "15"
    )
    assert code == 0, err
    code, out, err = await cebot(env, *set_plan)
    assert code == 1 and "--due" in err

    code, out, err = await cebot(env, "deadline", "list", "--year", "2026")
    assert code == 0, err
    assert "2026 annual_plan: 2026-12-31 17:00" in out
    assert "2026 class_scores: 15 days after each class ends" in out

    code, out, err = await cebot(env, "reminders", "--dry-run")
    assert code == 0, err
    assert "reminders due" in out  # no base is registered: nobody to remind
