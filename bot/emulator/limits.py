"""Telegram's size and flood limits, and the fault plan that makes a share of requests fail.

The flood numbers follow Telegram's published advice (about 30 messages a second overall, about one
a second to one chat) shaped the way the real server behaves: a short burst to one chat passes, a
sustained stream does not. Edits count as sends: Telegram throttles ``editMessage*`` too, and a bot
that edits a message on every keypress must learn that in tests, not in production.
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200
MAX_INLINE_BUTTONS = 100
MAX_DOWNLOAD = 20 * 1024 * 1024
MAX_UPLOAD = 50 * 1024 * 1024
MAX_COMMANDS = 100


def utf16_len(text: str) -> int:
    """Telegram measures text in UTF-16 code units: an emoji outside the BMP counts twice."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Limits:
    """The numbers behind the flood control; change them on ``emu.limits``, even mid-test."""

    enabled: bool = True
    global_per_second: int = 30
    chat_burst: float = 3.0
    chat_per_second: float = 1.0
    refill_on_user_action: bool = True


class FloodControl:
    """A sliding one-second window over all sends, and a token bucket per chat."""

    def __init__(self, limits: Limits, now: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._now = now
        self._recent: deque[float] = deque()
        self._buckets: dict[int, tuple[float, float]] = {}

    def reset(self) -> None:
        self._recent.clear()
        self._buckets.clear()

    def user_acted(self, chat_id: int) -> None:
        if self.limits.refill_on_user_action:
            self._buckets.pop(chat_id, None)

    def check(self, chat_id: int) -> tuple[str, int] | None:
        """Consumes one send, or returns (which limit, retry_after seconds) without consuming."""
        if not self.limits.enabled:
            return None
        now = self._now()
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.limits.global_per_second:
            return "global", max(1, math.ceil(self._recent[0] + 1.0 - now))
        tokens, stamp = self._buckets.get(chat_id, (self.limits.chat_burst, now))
        tokens = min(self.limits.chat_burst, tokens + (now - stamp) * self.limits.chat_per_second)
        if tokens < 1.0:
            self._buckets[chat_id] = (tokens, now)
            return "chat", max(1, math.ceil((1.0 - tokens) / self.limits.chat_per_second))
        self._buckets[chat_id] = (tokens - 1.0, now)
        self._recent.append(now)
        return None


FAULT_KINDS = frozenset({"429", "500", "502", "slow", "drop", "lost_reply"})


@dataclass
class FaultPlan:
    """Makes ``rate`` of the bot's requests fail, each time with one of ``kinds`` chosen at random.

    Kinds: ``429`` (Too Many Requests with ``retry_after``), ``500``, ``502`` (an HTML body, as a
    proxy in front of Telegram sends), ``slow`` (answers after ``slow_delay`` seconds), ``drop``
    (closes the connection before doing anything) and ``lost_reply`` (does the work, then closes
    the connection: the bot cannot know that its message went out). ``methods`` limits the plan to
    those Bot API methods; None means every method, getUpdates included. The same seed and the same
    sequence of requests give the same faults.
    """

    rate: float
    kinds: Iterable[str] = field(default_factory=lambda: {"429", "500"})
    seed: int | None = None
    slow_delay: float = 1.0
    retry_after: int = 1
    methods: Iterable[str] | None = None

    def __post_init__(self) -> None:
        self.kinds = frozenset(self.kinds)
        unknown = set(self.kinds) - FAULT_KINDS
        if unknown or not self.kinds:
            raise ValueError(f"fault kinds must be among {sorted(FAULT_KINDS)}, got {unknown}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate is a fraction between 0 and 1")
        self.methods = None if self.methods is None else {m.lower() for m in self.methods}
        self._rng = random.Random(self.seed)
        self._ordered = sorted(self.kinds)

    def draw(self, method: str) -> str | None:
        if self.methods is not None and method.lower() not in self.methods:
            return None
        if self._rng.random() >= self.rate:
            return None
        return self._rng.choice(self._ordered)
