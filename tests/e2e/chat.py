"""A person in a chat with cebot: say something or press a button, read what changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any


class Person:
    def __init__(self, user: Any, settle: Callable[[Any], Awaitable[None]]) -> None:
        self.user = user
        self._settle = settle
        self.inputs: list[tuple[str, str]] = []
        """What this person typed (``("say", text)``) and pressed (``("data", callback_data)``)."""

    async def settle(self) -> None:
        await self._settle(self.user)

    def _snapshot(self) -> dict[int, int]:
        return {m.message_id: m.edited_count for m in self.user.messages}

    def _changed_since(self, before: dict[int, int]) -> list[Any]:
        return [
            m
            for m in self.user.messages
            if m.from_bot and (m.message_id not in before or m.edited_count != before[m.message_id])
        ]

    async def say(self, text: str) -> list[Any]:
        """Sends text; returns the bot messages sent or edited in answer."""
        before = self._snapshot()
        self.inputs.append(("say", text))
        await self.user.send_text(text)
        await self.settle()
        return self._changed_since(before)

    async def press(self, label: str) -> list[Any]:
        """Presses the newest button whose text contains ``label``."""
        for message in reversed(self.user.messages):
            if not message.from_bot or message.reply_markup is None:
                continue
            for button in message.reply_markup.buttons:
                if label in button.text:
                    before = self._snapshot()
                    self.inputs.append(("data", button.callback_data))
                    await self.user.press(message, button.text)
                    await self.settle()
                    return self._changed_since(before)
        raise AssertionError(f"no button {label!r} on screen")

    async def press_data(self, message_id: int, data: str) -> list[Any]:
        before = self._snapshot()
        await self.user.press_data(message_id, data)
        await self.settle()
        return self._changed_since(before)

    def last_text(self) -> str:
        bot_messages = [m for m in self.user.messages if m.from_bot]
        return bot_messages[-1].text if bot_messages else ""

    def buttons(self) -> list[str]:
        for message in reversed(self.user.messages):
            if message.from_bot and message.reply_markup is not None:
                return [b.text for b in message.reply_markup.buttons]
        return []
