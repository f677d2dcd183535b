"""The transcript format of ``cebot console``: what the terminal shows is what a file records.

A transcript is plain UTF-8 text that reads like the terminal session and diffs line by line::

    # clock: 2026-11-29T01:00:00+00:00
    # user: 1001 zh-hans 王芳
    > /register
    < 开始注册继续教育基地。共 10 项信息，随时发送 /cancel 取消。
    < 请选择所在市州（也可直接输入名称）：
      [1] 武汉市  [2] 黄石市  [3] 十堰市
    > 1
    * 按下 [1] 武汉市
    < （已编辑）所在市州：武汉市

``> `` is what the person typed (the only lines a replay reads), ``< `` starts a bot message
(its further lines are indented by two spaces, its inline keyboard follows one row per line), and
``* `` notes what is not a message: a button pressed, a message deleted, a button's pop-up answer.
``#`` lines are the header (``# key: value``) or free comments; a replay ignores comments, so a
transcript may be annotated by hand. Message ids and wall-clock times never appear: a transcript
must come out the same on every run, and one harmless extra message must not shift every line.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

INPUT = "> "
BOT = "< "
MORE = "  "
NOTE = "* "
COMMENT = "#"

EDITED = "（已编辑）"
RETRACTED = "（已被机器人删除）"
USER_MESSAGE_DELETED = "（您的消息已按隐私要求删除）"

TITLE = "# cebot console transcript; check it with: cebot console --replay <this file>"
DEFAULT_CLOCK = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
DEFAULT_TIMEZONE = "Asia/Shanghai"


# --- what a rendered message needs from the emulator's ChatMessage -----------------------------


class ButtonLike(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def url(self) -> str | None: ...


class KeyboardLike(Protocol):
    @property
    def rows(self) -> Sequence[Sequence[ButtonLike]]: ...


class DocumentLike(Protocol):
    @property
    def filename(self) -> str | None: ...

    @property
    def mime_type(self) -> str | None: ...


class MessageLike(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def content(self) -> str: ...

    @property
    def document(self) -> DocumentLike | None: ...

    @property
    def reply_markup(self) -> KeyboardLike | None: ...


def message_lines(message: MessageLike, *, mark: str = "") -> list[str]:
    """One bot message: its text (or file and caption), then its keyboard numbered from 1."""
    body: list[str] = []
    if message.document is not None:
        name = message.document.filename or "file"
        mime = message.document.mime_type or "application/octet-stream"
        body.append(f"[文件] {name}（{mime}）")
    elif message.kind != "text":
        body.append(f"[{_KIND_LABELS.get(message.kind, message.kind)}]")
    body.extend(message.content.split("\n") if message.content else [])
    if not body:
        body = [""]
    lines = [(BOT + mark + body[0]).rstrip()]
    lines.extend((MORE + line).rstrip() for line in body[1:])
    lines.extend(keyboard_lines(message.reply_markup))
    return lines


_KIND_LABELS = {"photo": "图片", "sticker": "贴纸"}


def keyboard_lines(keyboard: KeyboardLike | None) -> list[str]:
    """One line per keyboard row, numbers counted across rows: typing the number presses it."""
    if keyboard is None:
        return []
    lines: list[str] = []
    number = 0
    for row in keyboard.rows:
        cells = []
        for button in row:
            number += 1
            link = f" → {button.url}" if button.url else ""
            cells.append(f"[{number}] {button.text}{link}")
        lines.append(MORE + "  ".join(cells))
    return lines


def note(text: str) -> str:
    return NOTE + text


def excerpt(text: str, width: int = 20) -> str:
    first = text.split("\n", 1)[0]
    return first if len(first) <= width else first[:width] + "…"


# --- the file -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Who types in the console: the Telegram user the emulator invents."""

    user_id: int = 1001
    language_code: str = "zh-hans"
    first_name: str = "王芳"

    def header(self) -> str:
        return f"{self.user_id} {self.language_code} {self.first_name}"

    @classmethod
    def parse(cls, value: str) -> Person:
        parts = value.split(maxsplit=2)
        if not parts or not parts[0].isdigit():
            raise TranscriptError(f"user header must read '<id> <language> <name>', not {value!r}")
        return cls(
            user_id=int(parts[0]),
            language_code=parts[1] if len(parts) > 1 else cls.language_code,
            first_name=parts[2] if len(parts) > 2 else cls.first_name,
        )


class TranscriptError(ValueError):
    """A transcript that cannot be replayed, with the reason."""


@dataclass
class Transcript:
    """The header's settings and the body: the inputs and everything shown in answer."""

    clock: datetime = DEFAULT_CLOCK
    person: Person = field(default_factory=Person)
    timezone: str = DEFAULT_TIMEZONE
    body: list[str] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list, compare=False)
    """The file's lines before the body, as read: a diff shows them so its line numbers are the
    file's own."""

    def inputs(self) -> list[str]:
        """What a replay types, in order."""
        return [line[len(INPUT) :] for line in self.body if line.startswith(INPUT)]

    def header(self) -> list[str]:
        return [
            TITLE,
            f"# clock: {self.clock.isoformat()}",
            f"# timezone: {self.timezone}",
            f"# user: {self.person.header()}",
        ]

    def dumps(self) -> str:
        return "\n".join([*self.header(), *self.body]) + "\n"

    @classmethod
    def loads(cls, text: str) -> Transcript:
        transcript = cls()
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.startswith(COMMENT):
                transcript.body.append(line)
                continue
            if not transcript.body:
                transcript.preamble.append(line)
            key, sep, value = line[1:].strip().partition(":")
            if not sep or transcript.body:
                continue  # a comment
            try:
                transcript._set(key.strip(), value.strip())
            except ValueError as exc:
                raise TranscriptError(f"line {number}: {exc}") from None
        return transcript

    def _set(self, key: str, value: str) -> None:
        if key == "clock":
            at = datetime.fromisoformat(value)
            if at.tzinfo is None:
                raise TranscriptError(f"the clock needs a UTC offset: {value!r}")
            self.clock = at
        elif key == "timezone":
            self.timezone = value
        elif key == "user":
            self.person = Person.parse(value)


def difference(
    expected: Iterable[str], actual: Iterable[str], *, name: str, preamble: Sequence[str] = ()
) -> list[str]:
    """A unified diff of two transcript bodies, each after the same ``preamble``; empty when
    they match."""
    return list(
        difflib.unified_diff(
            [*preamble, *expected],
            [*preamble, *actual],
            fromfile=f"{name} (recorded)",
            tofile=f"{name} (replayed)",
            lineterm="",
        )
    )
