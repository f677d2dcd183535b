"""Updates of one chat in order, different chats at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from telegram import Chat, Message, Update, User

from bot.processor import PerChatUpdateProcessor


def update(update_id: int, chat_id: int) -> Update:
    user = User(id=chat_id, first_name="x", is_bot=False)
    chat = Chat(id=chat_id, type="private")
    message = Message(
        message_id=update_id, date=datetime.now(UTC), chat=chat, from_user=user, text="hi"
    )
    return Update(update_id=update_id, message=message)


async def test_another_chat_is_served_while_one_chat_waits() -> None:
    processor = PerChatUpdateProcessor()
    release = asyncio.Event()
    done: list[str] = []

    async def slow() -> None:
        await release.wait()
        done.append("slow")

    async def quick() -> None:
        done.append("quick")

    slow_task = asyncio.create_task(processor.process_update(update(1, 100), slow()))
    await asyncio.sleep(0)
    await asyncio.wait_for(processor.process_update(update(2, 200), quick()), timeout=2)
    assert done == ["quick"]
    release.set()
    await slow_task
    assert done == ["quick", "slow"]


async def test_updates_of_one_chat_are_handled_in_order() -> None:
    processor = PerChatUpdateProcessor()
    release = asyncio.Event()
    order: list[int] = []

    async def first() -> None:
        await release.wait()
        order.append(1)

    async def second() -> None:
        order.append(2)

    one = asyncio.create_task(processor.process_update(update(1, 100), first()))
    await asyncio.sleep(0)
    two = asyncio.create_task(processor.process_update(update(2, 100), second()))
    await asyncio.sleep(0.05)
    assert order == []  # the second waits for the first, although it could run at once
    release.set()
    await asyncio.gather(one, two)
    assert order == [1, 2]


async def test_after_update_runs_after_each_update_and_locks_are_released() -> None:
    calls: list[str] = []

    async def persist() -> None:
        calls.append("persist")

    processor = PerChatUpdateProcessor(after_update=persist)

    async def handler() -> None:
        calls.append("handle")

    for update_id in range(3):
        await processor.process_update(update(update_id, 100), handler())
    assert calls == ["handle", "persist"] * 3
    assert processor._locks == {}
