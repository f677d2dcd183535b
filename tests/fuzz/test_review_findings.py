"""Bugs found on the reviewer's side while it was being made reachable, replayed step by step on
the fuzz scene. Both leave 退回's reason step open after the reviewer was told, or had every
reason to believe, that it was over, so a later message, whatever it said, returned the item:

- after /password or /login run to the end (found by asking which conversation takes a press
  or a message first; fixed by ``bot.handlers.conversation.one_at_a_time``);
- after the item stopped waiting (the base withdrew it) and the reason was refused with "not
  found": once the base submits it again, the next message returned it (fixed in
  ``bot.handlers.review.decisions.typed_reason``: a refusal that is not about the reason ends
  the step).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from bot.emulator import SimUser
from domain.services import classes
from domain.services.sessions import resolve_actor
from tests.e2e.setup import services_of
from tests.fuzz import reviewing
from tests.fuzz.driver import Driver
from tests.fuzz.scene import BOSS, REVIEWER, REVIEWER_ID, REVIEWER_PASSWORD, Scene, build_scene
from tests.fuzz.test_stateful_chat import data_of, keyboards

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


class Reviewer:
    """周审核 in the chat, pressing review buttons by what they do."""

    def __init__(self, driver: Driver) -> None:
        assert driver.emu is not None
        self.driver = driver
        self.user: SimUser = driver.emu.user(
            user_id=REVIEWER, first_name="周审核", language_code="zh-hans"
        )

    async def say(self, text: str) -> None:
        await self.user.send_text(text)
        await self.driver.settle(self.user)

    async def press(self, what: str) -> reviewing.Pressed:
        """The first button of the newest keyboard whose data is a review ``what``."""
        message = keyboards(self.user)[-1]
        pressed = next(
            p for p in map(reviewing.parse, data_of(message)) if p is not None and p.what == what
        )
        data = pressed.reviewed.buttons()[what].encode(pressed.number)
        await self.user.press_data(message.message_id, data)
        await self.driver.settle(self.user)
        return pressed

    async def asked_for_a_reason(self) -> reviewing.Key:
        """/review, the first queue, its first class, 退回 ("请输入退回原因……"): the class."""
        await self.say("/review")
        await self.press("queue")
        await self.press("open")
        return (await self.press("return")).item

    async def item(self, key: reviewing.Key) -> reviewing.Item:
        return (await reviewing.world(self.driver.engine)).items[key]


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
    reviewer = Reviewer(driver)

    async def scenario() -> tuple[reviewing.Item, reviewing.Item]:
        item = await reviewer.asked_for_a_reason()
        for text in detour:  # …but the reviewer does something else first, to the end
            await reviewer.say(text)
        before = await reviewer.item(item)
        await reviewer.say("好的，谢谢")  # meant for nobody in particular
        return before, await reviewer.item(item)

    before, after = driver.run(scenario())
    assert before.status == "submitted"
    assert after == before, f"the item went from {before} to {after}"


def test_a_return_refused_as_not_found_is_not_made_when_the_item_comes_back(
    driver: Driver,
) -> None:
    reviewer = Reviewer(driver)
    assert driver.stack is not None
    svc = services_of(driver.stack)

    async def base(step: Callable[..., Awaitable[object]], class_id: int) -> None:
        async with svc.uow() as uow:
            actor = await resolve_actor(uow, svc.clock, BOSS, svc.session_policy)
            await step(uow, svc.clock, actor, class_id)

    async def scenario(item: reviewing.Key) -> tuple[reviewing.Item, reviewing.Item]:
        await base(classes.withdraw_class, item[1])  # the base takes the class back meanwhile
        await reviewer.say("材料不全")  # refused: "未找到该记录，它可能已被删除。"
        await base(classes.submit_class, item[1])  # …and sends it again, perhaps corrected
        before = await reviewer.item(item)
        await reviewer.say("你好")  # no longer meant as a reason
        return before, await reviewer.item(item)

    item = driver.run(reviewer.asked_for_a_reason())
    before, after = driver.run(scenario(item))
    assert before.status == "submitted"
    assert after == before, f"the item went from {before} to {after}"
