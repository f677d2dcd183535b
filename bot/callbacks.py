"""Callback data: a short prefix per action plus integer ids, always under Telegram's 64 bytes.

Data coming back is never trusted: ``parse`` refuses anything that is not exactly the expected
shape, and every handler re-checks the ids against the session's base through the domain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64
_ID = re.compile(r"^(0|[1-9][0-9]{0,17})$")
_WORD = re.compile(r"^[a-z0-9_]{1,24}$")


class BadCallbackData(ValueError):
    """Forged, stale or malformed callback data."""


@dataclass(frozen=True)
class CallbackAction:
    """``CallbackAction("adm:del", ids=1)`` encodes ``adm:del:42`` and parses it back to ``(42,)``.

    ``words`` are trailing tokens from a fixed vocabulary (a field name, a language code).
    """

    prefix: str
    ids: int = 0
    words: int = 0

    def encode(self, *values: int | str) -> str:
        if len(values) != self.ids + self.words:
            raise ValueError(f"{self.prefix} takes {self.ids + self.words} values")
        data = ":".join([self.prefix, *map(str, values)])
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data too long: {data!r}")
        return data

    @property
    def pattern(self) -> str:
        """A regex for CallbackQueryHandler: the prefix and the right number of parts."""
        parts = [re.escape(self.prefix)] + [r"[^:]+"] * (self.ids + self.words)
        return "^" + ":".join(parts) + "$"

    def parse(self, data: str | None) -> tuple[int | str, ...]:
        if data is None or len(data.encode()) > MAX_CALLBACK_BYTES:
            raise BadCallbackData(data)
        head = self.prefix.split(":")
        tokens = data.split(":")
        if tokens[: len(head)] != head or len(tokens) != len(head) + self.ids + self.words:
            raise BadCallbackData(data)
        values: list[int | str] = []
        for index, token in enumerate(tokens[len(head) :]):
            expected = _ID if index < self.ids else _WORD
            if not expected.match(token):
                raise BadCallbackData(data)
            values.append(int(token) if index < self.ids else token)
        return tuple(values)

    def parse_id(self, data: str | None) -> int:
        (value,) = self.parse(data)
        if not isinstance(value, int):
            raise BadCallbackData(data)
        return value

    def parse_word(self, data: str | None) -> str:
        (value,) = self.parse(data)
        if not isinstance(value, str):
            raise BadCallbackData(data)
        return value
