"""What the reviewer's side of the random chat found, replayed step by step on the fuzz scene.

Each test is a bug the random chat found, kept so that it stays fixed: after 退回 the reviewer
ran /password or /login to the end, and the next message, whatever it said, returned the item as
the reason (fixed by ``bot.handlers.conversation.one_at_a_time``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.emulator import SimUser
from tests.fuzz import reviewing
from tests.fuzz.driver import Driver
from tests.fuzz.scene import REVIEWER, REVIEWER_ID, REVIEWER_PASSWORD, Scene, build_scene
from tests.fuzz.test_stateful_chat import keyboards

NEW_PASSWORD = "另一个新的审核密码啊"


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    return asyncio.run(build_scene(tmp_path_factory.mktemp("scene")))


@pytest.fixture
def driver(scene: Scene, tmp_path: Path) -> Iterator[Driver]:
    running = Driver(scene, tmp_path / "run")
    running.start()
    try:
        yield running
    finally:
        running.close()


@pytest.mark.parametrize(
    "detour",
    [
        ["/password", REVIEWER_PASSWORD, NEW_PASSWORD, NEW_PASSWORD],
        ["/login", REVIEWER_ID, REVIEWER_PASSWORD],
    ],
)
def test_a_return_left_for_another_command_is_not_made_by_a_later_message(
    driver: Driver, detour: list[str]
) -> None:
    assert driver.emu is not None
    user = driver.emu.user(user_id=REVIEWER, first_name="周审核", language_code="zh-hans")

    async def press(user: SimUser, what: str) -> None:
        """The first button of the newest keyboard whose data is a review ``what``."""
        message = keyboards(user)[-1]
        assert message.reply_markup is not None
        data = next(
            b.callback_data
            for b in message.reply_markup.buttons
            if (pressed := reviewing.parse(b.callback_data)) and pressed.what == what
        )
        assert data is not None
        await user.press_data(message.message_id, data)
        await driver.settle(user)

    async def say(text: str) -> None:
        await user.send_text(text)
        await driver.settle(user)

    async def scenario() -> tuple[reviewing.Item, reviewing.Item]:
        await say("/review")
        await press(user, "queue")
        await press(user, "open")
        card = keyboards(user)[-1]
        assert card.reply_markup is not None
        item = next(
            p.item
            for b in card.reply_markup.buttons
            if (p := reviewing.parse(b.callback_data)) and p.what == "return"
        )
        await press(user, "return")  # 退回: "请输入退回原因……发送 /cancel 取消。"
        for text in detour:  # …but the reviewer does something else first, to the end
            await say(text)
        before = (await reviewing.world(driver.engine)).items[item]
        await say("好的，谢谢")  # meant for nobody in particular
        return before, (await reviewing.world(driver.engine)).items[item]

    before, after = driver.run(scenario())
    assert before.status == "submitted"
    assert after == before, f"the item went from {before} to {after}"
