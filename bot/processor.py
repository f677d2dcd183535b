"""Updates of one chat in order, different chats at once.

PTB's ``concurrent_updates`` is all-or-nothing: either every update waits for the one before, or
two messages of one admin may race through a conversation. A lock per chat gives each admin a
strict order while one admin's slow import never holds up another admin's menu.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.answering import answer_if_open, tracking
from bot.logs import update_context


def chat_key(update: object) -> int | None:
    """The chat an update belongs to; None for updates without one (handled without a lock)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Serialises per chat; ``after_update`` runs after each update (we persist promptly there).

    A button press its handlers left unanswered is answered here (``bot.answering``)."""

    def __init__(
        self,
        max_concurrent_updates: int = 256,
        after_update: Callable[[], Awaitable[Any]] | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiters: dict[int, int] = {}
        self.after_update = after_update

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # Each update runs in a task of its own, so the ids set here reach every log line of
        # this update (and of tasks it starts, which copy the context) and of no other.
        with update_context(update), tracking():
            await self._process_in_order(update, coroutine)

    async def _process_in_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await coroutine
            await answer_if_open(update)
            await self._after()
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiters[key] = self._waiters.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
                await answer_if_open(update)
                await self._after()
        finally:
            self._waiters[key] -= 1
            if self._waiters[key] == 0:
                del self._waiters[key]
                del self._locks[key]

    async def _after(self) -> None:
        if self.after_update is not None:
            await self.after_update()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
