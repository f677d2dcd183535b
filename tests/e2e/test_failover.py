"""Two and three ``cebot run`` processes on one database: one active, the others standing by.

The active one is killed with SIGKILL in the middle of a registration and, later, in the middle of
sending reminders; a standby takes over within 15 seconds, resumes the conversation from the
database and sends what was left, nothing lost and nothing doubled beyond the one message that
may have been in flight (at-least-once, ``scheduler/dispatch.py``).
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.emulator import Emulator, SimUser
from domain.model import OutboxMessage, OutboxState
from storage.crypto import FieldCipher, Keyring
from storage.db import make_engine
from storage.uow import UnitOfWorkFactory
from tests.e2e.processes import Process, run_environment
from tests.e2e.test_accounts import CREDIT_CODE, ID_NUMBER, PASSWORD
from tests.e2e.test_cli_run import free_port

TAKE_OVER_SECONDS = 15.0


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator:
        yield emulator


async def test_a_standby_takes_over_mid_conversation_and_mid_dispatch(
    emu: Emulator, database_url: str, tmp_path: Path, keyring: Keyring
) -> None:
    engine = make_engine(database_url)  # migrated, as an operator would have
    units = UnitOfWorkFactory(engine, FieldCipher(keyring))
    env = run_environment(
        emu,
        database_url=database_url,
        data=tmp_path / "data",
        keyring=keyring,
        CEBOT_OUTBOX_LEASE_SECONDS="4",
        CEBOT_QUIET_HOURS="00:00-00:00",
    )
    running: list[Process] = []

    async def start(*args: str) -> Process:
        process = await Process.start(env, tmp_path, *args)
        running.append(process)
        return process

    boss = emu.user(user_id=1001, first_name="王芳", language_code="zh-hans")

    async def say(text: str, expect: str, timeout: float = 30.0) -> float:  # noqa: ASYNC109
        started = time.monotonic()
        await boss.send_text(text)
        await boss.wait_for_bot_message(contains=expect, timeout=timeout)
        return time.monotonic() - started

    try:
        ports = free_port(), free_port()
        first = await start("--health-port", str(ports[0]))
        await first.said("active")
        second = await start("--health-port", str(ports[1]))
        await second.said("standing by")
        assert await health(ports[0]) == (200, "active")
        assert await health(ports[1]) == (503, "standby")

        await say("/register", "机构名称")
        await say("武汉职业培训学院", "统一社会信用代码")
        first.kill()  # mid-conversation
        took = await say(CREDIT_CODE, "请选择所在市州", timeout=TAKE_OVER_SECONDS + 5)
        assert took < TAKE_OVER_SECONDS
        await second.said("active")
        assert await health(ports[1]) == (200, "active")
        await boss.press(boss.messages[-1], "武汉市")
        await boss.wait_for_bot_message(contains="详细地址", timeout=10)
        for value, next_prompt in (
            ("武汉市洪山区珞喻路 1 号", "联系人姓名"),
            ("李明", "联系电话"),
            ("027-87654321", "管理员（您本人）的姓名"),
            ("王芳", "管理员身份证号码"),
            (ID_NUMBER, "管理员手机号码"),
            ("13812345678", "密码"),
            (PASSWORD, "请再次输入密码"),
            (PASSWORD, "请核对注册信息"),
        ):
            await say(value, next_prompt)
        await boss.press(boss.messages[-1], "✅ 确认注册")
        await boss.wait_for_bot_message(contains="注册成功", timeout=10)

        third = await start()
        await third.said("standing by")
        async with units() as uow:
            session = await uow.sessions.get_open_for_telegram_user(1001)
            assert session is not None
            user_id = session.user_id
            now = datetime.now(UTC)
            await uow.outbox.add_many(
                [
                    OutboxMessage(
                        user_id=user_id,
                        subject="annual_plan:2026:1",
                        occasion=f"n:{n}",
                        kind="reminder:annual_plan",
                        text_key="截止提醒：第 {n} 条",
                        params={"n": str(n)},
                        not_before=now,
                        created_at=now,
                    )
                    for n in range(5)
                ]
            )
            await uow.commit()
        await boss.wait_for_bot_message(contains="截止提醒：第 0 条", timeout=20)
        second.kill()  # mid-dispatch: one message a second to this chat, four to go
        await third.said("active", timeout=TAKE_OVER_SECONDS)
        deadline = time.monotonic() + 40
        while True:
            texts = [
                m.text or "" for m in boss.messages if m.from_bot and "截止提醒" in (m.text or "")
            ]
            if all(any(f"第 {n} 条" in t for t in texts) for n in range(5)):
                break
            assert time.monotonic() < deadline, texts
            await asyncio.sleep(0.2)
        # A message goes out before its row is marked sent: once every row is, nothing (doubled
        # or not) is left to come.
        while (await _outbox(units))[OutboxState.SENT] < 5:
            assert time.monotonic() < deadline, await _outbox(units)
            await asyncio.sleep(0.2)
        texts = [m.text or "" for m in boss.messages if m.from_bot and "截止提醒" in (m.text or "")]
        assert 5 <= len(texts) <= 6, texts  # at most the one in flight twice
        assert "功能列表" in await _menu(boss)
    finally:
        for process in running:
            await process.close()
        await engine.dispose()


async def _outbox(units: UnitOfWorkFactory) -> dict[OutboxState, int]:
    async with units(readonly=True) as uow:
        return await uow.outbox.counts()


async def health(port: int) -> tuple[int, str]:
    def ask() -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
                return answer.status, json.loads(answer.read())["status"]
        except urllib.error.HTTPError as refused:
            return refused.code, json.loads(refused.read())["status"]

    return await asyncio.to_thread(ask)


def reminders(boss: SimUser) -> list[str]:
    return [m.text for m in boss.messages if m.from_bot and m.text and "截止提醒" in m.text]


async def _menu(boss: SimUser) -> str:
    await boss.send_text("/menu")
    message = await boss.wait_for_bot_message(contains="功能列表", timeout=15)
    return message.text or ""
