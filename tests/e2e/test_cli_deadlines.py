"""``cebot deadline set|list`` and ``cebot reminders --dry-run|--send-now`` as real processes."""

from __future__ import annotations

import os
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.emulator import Emulator
from domain.clock import FixedClock
from domain.model import Deadline, DeadlineKind
from domain.ports import PasswordHasher
from storage.crypto import Keyring
from storage.db import is_sqlite, make_engine
from storage.migrate import upgrade_engine
from storage.uow import UnitOfWorkFactory
from tests.e2e.test_cli_reviewer import cebot
from tests.services.helpers import register


async def test_deadlines_set_list_and_a_dry_run(
    empty_database_url: str, tmp_path: Path, keyring: Keyring
) -> None:
    engine = make_engine(empty_database_url)
    if not is_sqlite(engine):  # PostgreSQL is migrated by the operator; SQLite by cebot itself
        await upgrade_engine(engine)
    await engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEBOT_")}
    env.update(
        CEBOT_DATABASE_URL=empty_database_url,
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


async def test_send_now_plans_and_sends_once_through_the_bot_api(
    database_url: str,
    tmp_path: Path,
    keyring: Keyring,
    uow_factory: UnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: FixedClock,
) -> None:
    """``cebot reminders --send-now`` as a process on the real clock, against the emulator:
    the admin of a base that owes its plan gets one reminder, and a second run sends nothing."""
    await register(uow_factory, hasher, clock, telegram_user_id=1001)
    zone = ZoneInfo("Asia/Shanghai")
    in_a_week = datetime.now(zone).date() + timedelta(days=7)
    due = datetime.combine(in_a_week, time(17, 0), tzinfo=zone)
    async with uow_factory() as uow:
        await uow.deadlines.set(Deadline(year=due.year, kind=DeadlineKind.ANNUAL_PLAN, due_at=due))
    async with Emulator() as emu:
        boss = emu.user(user_id=1001, first_name="王芳")  # the chat where she logged in
        env = {k: v for k, v in os.environ.items() if not k.startswith("CEBOT_")}
        env.update(
            CEBOT_DATABASE_URL=database_url,
            CEBOT_DATA_DIR=str(tmp_path / "data"),
            CEBOT_SECRET_KEYS=keyring.to_json(),
            CEBOT_TELEGRAM_TOKEN=emu.token,
            CEBOT_BOT_API_URL=emu.root_url,
            # Whenever the suite runs: no quiet hours, and today's occasion already passed.
            CEBOT_QUIET_HOURS="00:00-00:00",
            CEBOT_REMINDER_TIME="00:00",
        )
        code, out, err = await cebot(env, "reminders", "--send-now")
        assert code == 0, err
        assert "1 new reminders planned" in out and "1 sent, 0 failed" in out
        (sent,) = [m for m in boss.messages if m.from_bot]
        assert sent.text is not None and sent.reply_markup is not None
        assert sent.text.startswith("截止提醒：武汉职业培训学院的年度培训计划")
        assert "还有 7 天" in sent.text
        assert [b.text for b in sent.reply_markup.buttons] == ["立即处理"]

        code, out, err = await cebot(env, "reminders", "--send-now")
        assert code == 0, err
        assert "0 new reminders planned" in out and "0 sent, 0 failed" in out
        assert len([m for m in boss.messages if m.from_bot]) == 1
