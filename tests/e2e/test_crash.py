"""SIGKILL during a 10,000-row score import: all rows or none, and the restarted bot finishes it.

A real ``cebot run`` process is killed half a second after the admin pressed 确认导入, while it
encrypts and stores the rows in one transaction. Whatever the moment, the table then holds all
10,000 learners or none. The press was not yet acknowledged to Telegram (``bot/intake.py``), so the
restarted process receives it again: had the import committed, the admin is told it is done;
if not, the checked preview (kept in memory, not in the database) is gone and the admin is asked
politely to send the file again, which completes it. (The kill during dispatch is in
test_failover.py.)
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from bot.emulator import Emulator
from storage.crypto import Keyring
from storage.db import make_engine
from storage.models import ScoreRecordRow
from tests.bench.arrange import ADMIN_TELEGRAM_ID, PASSWORD, approved_class
from tests.bench.scorefile import filled_template
from tests.e2e.processes import Process, run_environment
from tests.e2e.test_accounts import ID_NUMBER

ROWS = 10_000


async def stored(database: Path) -> int:
    engine = make_engine(f"sqlite+aiosqlite:///{database}")
    try:
        async with engine.connect() as connection:
            return int(
                (
                    await connection.execute(select(func.count()).select_from(ScoreRecordRow))
                ).scalar_one()
            )
    finally:
        await engine.dispose()


async def first_of(user, candidates: tuple[str, ...], timeout: float = 120.0) -> str:  # type: ignore[no-untyped-def]  # noqa: ASYNC109
    """The text of the first bot message naming a candidate (an edit counts: the preview is
    edited in place)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        for message in user.messages:
            text = message.text or ""
            if message.from_bot and any(c in text for c in candidates):
                return text
        assert asyncio.get_running_loop().time() < deadline, [m.text for m in user.messages]
        await asyncio.sleep(0.1)


async def test_a_killed_import_stores_all_or_nothing_and_the_restart_completes_it(
    tmp_path: Path,
) -> None:
    database = tmp_path / "cebot.db"
    keyring = Keyring.generate()
    async with approved_class(database, keyring) as arranged:
        class_name = arranged.heading.class_name
        data = filled_template(arranged.heading, ROWS)
    async with Emulator() as emu:
        env = run_environment(
            emu,
            database_url=f"sqlite+aiosqlite:///{database}",
            data=tmp_path / "data",
            keyring=keyring,
        )
        boss = emu.user(user_id=ADMIN_TELEGRAM_ID, first_name="王芳", language_code="zh-hans")

        async def say(text: str, expect: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
            await boss.send_text(text)
            await boss.wait_for_bot_message(contains=expect, timeout=timeout)

        async def press(label: str, expect: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
            message = next(
                m
                for m in reversed(boss.messages)
                if m.from_bot
                and m.reply_markup
                and any(label in b.text for b in m.reply_markup.buttons)
            )
            assert message.reply_markup is not None
            button = next(b.text for b in message.reply_markup.buttons if label in b.text)
            await boss.press(message, button)
            await boss.wait_for_bot_message(contains=expect, timeout=timeout)

        first = await Process.start(env, tmp_path)
        second = None
        try:
            await first.said("active")
            await say("/login", "身份证")
            await say(ID_NUMBER, "密码")
            await say(PASSWORD, "登录成功")
            await say("/scores", class_name)
            await press(class_name, "成绩报送")
            await press("导入成绩文件", "请把填好的成绩文件")
            await boss.send_document(data, "成绩.xlsx")
            await boss.wait_for_bot_message(contains=f"新增 {ROWS} 名", timeout=120)
            message = boss.messages[-1]
            assert message.reply_markup is not None, "the preview offers its buttons"
            button = next(b.text for b in message.reply_markup.buttons if "确认导入" in b.text)
            await boss.press(message, button)
            await asyncio.sleep(0.5)
            first.kill()
            await first.process.wait()

            assert await stored(database) in (0, ROWS)  # never a part

            second = await Process.start(env, tmp_path)
            await second.said("active")
            # The press comes again; the preview was in the dead process's memory, so either the
            # import had committed (and the press finds it done) or the admin is asked to send
            # the file again, which completes it.
            answer = await first_of(boss, (f"已导入 {ROWS} 名学员的成绩", "这次导入已经失效"))
            if "失效" in answer:
                assert await stored(database) == 0
                await press("返回成绩表", "成绩报送")
                await press("导入成绩文件", "请把填好的成绩文件")
                await boss.send_document(data, "成绩.xlsx")
                await boss.wait_for_bot_message(contains=f"新增 {ROWS} 名", timeout=120)
                await press("确认导入", f"已导入 {ROWS} 名学员的成绩", timeout=120)
            assert await stored(database) == ROWS
            await say("/scores", class_name)
            await press(class_name, f"学员 {ROWS} 名")
        finally:
            for process in (first, second):
                if process is not None:
                    await process.close()
