"""Screens that only show something never wait for a writer (see ``bot.runtime.guarded``).

On SQLite one writer at a time holds the write lock: an admin's 100,000-row import holds it for
seconds, and a /menu that needed it would wait that long. Here a writing unit of work holds it
(and this process's writer queue) while another admin opens screens: they must answer before the
writer lets go. A screen that needed a write would wait until the queue's 10 s timeout.
"""

from __future__ import annotations

from sqlalchemy import text

from tests.e2e.conftest import Stack
from tests.e2e.setup import sql_units
from tests.e2e.test_admins import registered
from tests.e2e.test_review import CLASS_ONE, registered_boss, reviewer, submitted_class

ANSWER_WITHIN_S = 5.0


async def test_menu_and_lists_answer_while_a_writer_holds_the_lock(stack: Stack) -> None:
    boss = await registered(stack)
    async with sql_units(stack)() as writer:
        await writer.session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE on SQLite: the lock
        await boss.user.send_text("/menu")
        menu = await boss.user.wait_for_bot_message(timeout=ANSWER_WITHIN_S)
        assert "功能列表" in (menu.text or "")
        await boss.user.press(menu, "权限管理")
        listed = await boss.user.wait_for_bot_message(timeout=ANSWER_WITHIN_S)
        assert "共有 1 位管理员" in (listed.text or "")
    await boss.settle()


async def test_the_reviewers_screens_answer_while_a_writer_holds_the_lock(stack: Stack) -> None:
    """The overview, a queue, a card and the return's prompt (``bot.handlers.review.guard``)."""
    await registered_boss(stack)
    await submitted_class(stack, CLASS_ONE)
    checker = await reviewer(stack)
    async with sql_units(stack)() as writer:
        await writer.session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE on SQLite: the lock
        await checker.user.send_text("/review")
        overview = await checker.user.wait_for_bot_message(timeout=ANSWER_WITHIN_S)
        assert "共 1 项" in (overview.text or "")
        for button, shown in (("培训班（1）", "共 1 个"), (f"1. {CLASS_ONE}", "培训班详情")):
            await checker.user.press(overview, button)
            overview = await checker.user.wait_for_bot_message(timeout=ANSWER_WITHIN_S)
            assert shown in (overview.text or "")
        await checker.user.press(overview, "退回")
        asked = await checker.user.wait_for_bot_message(timeout=ANSWER_WITHIN_S)
        assert "退回原因" in (asked.text or "")
    await checker.settle()
