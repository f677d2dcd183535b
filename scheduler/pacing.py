"""Sending at Telegram's pace: at most 30 messages a second overall, about one a second per chat.

python-telegram-bot's ``AIORateLimiter`` paces the overall and group limits but not one private
chat, so a burst of reminders to one admin would meet 429s; this pacer spaces both. It hands out
turns: ``await pacer.turn(chat_id)`` returns when a message to that chat may go. The clock and the
sleep are injected so tests run in virtual time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class Pacer:
    per_second: float = 29.0
    """A hair under Telegram's 30/s, so a clock's jitter never tips a second over."""
    per_chat_interval: float = 1.05
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _next_global: float = field(default=0.0, init=False)
    _next_by_chat: dict[int, float] = field(default_factory=dict, init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def turn(self, chat_id: int) -> None:
        """Waits for the earliest moment both limits allow, and books it."""
        async with self._lock:
            now = self.clock()
            at = max(now, self._next_global, self._next_by_chat.get(chat_id, 0.0))
            self._next_global = at + 1.0 / self.per_second
            self._next_by_chat[chat_id] = at + self.per_chat_interval
            self._forget_idle_chats(now)
        if at > now:
            await self.sleep(at - now)

    def hold(self, chat_id: int, seconds: float) -> None:
        """Telegram said ``retry_after``: nothing more to that chat (or anyone) for a while."""
        until = self.clock() + seconds
        self._next_by_chat[chat_id] = max(self._next_by_chat.get(chat_id, 0.0), until)

    def hold_all(self, seconds: float) -> None:
        self._next_global = max(self._next_global, self.clock() + seconds)

    def _forget_idle_chats(self, now: float) -> None:
        if len(self._next_by_chat) > 10_000:
            self._next_by_chat = {c: t for c, t in self._next_by_chat.items() if t > now}
