"""Screens that only show something never wait for a writer (see ``bot.runtime.guarded``).

On SQLite one writer at a time holds the write lock: an admin's 100,000-row import holds it for
seconds, and a /menu that needed it would wait that long. Here a writing unit of work holds it
(and this process's writer queue) while another admin opens screens: they must answer before the
writer lets go. A screen that needed a write would wait until the queue's 10 s timeout.
"""

from __future__ import annotations

from sqlalchemy import text

from tests.e2e.conftest import Stack
from tests.e2e.setup import services_of
from tests.e2e.test_admins import registered

ANSWER_WITHIN_S = 5.0


async def test_menu_and_lists_answer_while_a_writer_holds_the_lock(stack: Stack) -> None:
    boss = await registered(stack)
    async with services_of(stack).uow() as writer:
        await writer.session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE on SQLite: the lock
        await boss.user.send_text("/menu")
        menu = await boss.user.wait_for_bot_message(timeout=ANSWER_WITHIN_S)
        assert "功能列表" in (menu.text or "")
        await boss.user.press(menu, "权限管理")
        listed = await boss.user.wait_for_bot_message(timeout=ANSWER_WITHIN_S)
        assert "共有 1 位管理员" in (listed.text or "")
    await boss.settle()
