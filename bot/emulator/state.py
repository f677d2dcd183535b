"""What the emulated Telegram server remembers: chats and their messages, files, pending updates,
callback queries and commands; plain data, no HTTP.

Messages are live objects: an edit changes the same ``ChatMessage`` a test already holds, as the
message on a person's screen changes. Each chat keeps an event log (sent, edited, deleted, ...) with
a sequence number, so "what did the bot do after my last action" is a question with one answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

JSON = dict[str, Any]


class ApiError(Exception):
    """An error answer of the Bot API: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


class Signal:
    """Wakes every waiter when something changed; waiters re-check their own condition."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait(self, seconds: float) -> None:
        """Not ``asyncio.wait_for``: on 3.11 it can swallow a cancellation that meets a wake-up."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.add(waiter)
        timer = loop.call_later(max(seconds, 0.0), _wake, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiters.discard(waiter)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


# --- keyboards --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None
    raw: JSON = field(default_factory=dict, repr=False, hash=False)


@dataclass(frozen=True)
class InlineKeyboard:
    rows: tuple[tuple[Button, ...], ...]

    @property
    def buttons(self) -> list[Button]:
        return [button for row in self.rows for button in row]

    @property
    def texts(self) -> list[str]:
        return [button.text for button in self.buttons]

    def find(self, key: str | int | tuple[int, int]) -> Button:
        """By exact text, by index counted across rows, or by (row, column)."""
        if isinstance(key, tuple):
            row, column = key
            try:
                return self.rows[row][column]
            except IndexError:
                raise LookupError(f"no button at row {row}, column {column}") from None
        if isinstance(key, int):
            buttons = self.buttons
            if not 0 <= key < len(buttons):
                raise LookupError(f"no button number {key}; the keyboard has {len(buttons)}")
            return buttons[key]
        matches = [button for button in self.buttons if button.text == key]
        if len(matches) != 1:
            what = "no button" if not matches else f"{len(matches)} buttons"
            raise LookupError(f"{what} with the text {key!r}; buttons: {self.texts}")
        return matches[0]

    def to_api(self) -> JSON:
        return {"inline_keyboard": [[dict(button.raw) for button in row] for row in self.rows]}


@dataclass(frozen=True)
class ReplyKeyboard:
    rows: tuple[tuple[str, ...], ...]
    one_time: bool = False
    resize: bool = False
    placeholder: str | None = None

    @property
    def texts(self) -> list[str]:
        return [text for row in self.rows for text in row]


# --- files and messages -----------------------------------------------------------------------


@dataclass
class StoredFile:
    """A file the server holds; ``data`` is None when a test only announced its size."""

    file_id: str
    file_unique_id: str
    size: int
    data: bytes | None
    filename: str | None = None
    mime_type: str | None = None
    kind: str = "documents"
    file_path: str | None = None


@dataclass
class Document:
    file_id: str
    file_unique_id: str
    filename: str | None
    mime_type: str | None
    size: int
    data: bytes | None

    @property
    def mime(self) -> str | None:
        return self.mime_type

    @classmethod
    def of(cls, stored: StoredFile) -> Document:
        return cls(
            stored.file_id,
            stored.file_unique_id,
            stored.filename,
            stored.mime_type,
            stored.size,
            stored.data,
        )

    def to_api(self) -> JSON:
        body: JSON = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.filename is not None:
            body["file_name"] = self.filename
        if self.mime_type is not None:
            body["mime_type"] = self.mime_type
        return body


MessageKind = Literal["text", "document", "photo", "sticker"]


@dataclass(eq=False)
class ChatMessage:
    """One message in a private chat, as both sides see it now."""

    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    kind: MessageKind = "text"
    text: str | None = None
    entities: list[JSON] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JSON] = field(default_factory=list)
    document: Document | None = None
    media: JSON = field(default_factory=dict)
    reply_markup: InlineKeyboard | None = None
    reply_keyboard: ReplyKeyboard | None = None
    removes_keyboard: bool = False
    reply_to_message_id: int | None = None
    parse_mode: str | None = None
    deleted: bool = False
    edited_count: int = 0
    edit_date: int | None = None

    @property
    def content(self) -> str:
        """Text or caption, whichever the message has: what a person reads."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def buttons(self) -> list[str]:
        if self.reply_markup is not None:
            return self.reply_markup.texts
        return self.reply_keyboard.texts if self.reply_keyboard is not None else []

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else "user"
        flags = " deleted" if self.deleted else ""
        flags += f" edited×{self.edited_count}" if self.edited_count else ""
        extra = f" document={self.document.filename!r}" if self.document else ""
        extra += f" buttons={self.buttons}" if self.buttons else ""
        return f"<{who} #{self.message_id}{flags} {self.kind} {self.content!r}{extra}>"

    def to_api(self, sender: JSON, chat: JSON) -> JSON:
        body: JSON = {
            "message_id": self.message_id,
            "from": sender,
            "chat": chat,
            "date": self.date,
        }
        if self.edit_date is not None:
            body["edit_date"] = self.edit_date
        if self.text is not None:
            body["text"] = self.text
            if self.entities:
                body["entities"] = self.entities
        if self.caption is not None:
            body["caption"] = self.caption
            if self.caption_entities:
                body["caption_entities"] = self.caption_entities
        if self.document is not None:
            body["document"] = self.document.to_api()
        body.update(self.media)
        if self.reply_markup is not None:
            body["reply_markup"] = self.reply_markup.to_api()
        return body


EventKind = Literal["sent", "edited", "deleted", "action", "callback_answer"]


@dataclass(frozen=True)
class ChatEvent:
    """Something that happened in a chat, with what the message said at that moment."""

    seq: int
    kind: EventKind
    from_bot: bool
    message: ChatMessage | None = None
    content: str = ""
    detail: str = ""
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class CallbackAnswer:
    query_id: str
    message_id: int | None
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None


@dataclass
class Chat:
    """A private chat: the chat id is the user's id; message ids count up across both sides."""

    id: int
    user: JSON
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    events: list[ChatEvent] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    callback_answers: list[CallbackAnswer] = field(default_factory=list)
    reply_keyboard: ReplyKeyboard | None = None
    blocked: bool = False
    changed: Signal = field(default_factory=Signal)
    listeners: list[asyncio.Queue[ChatEvent]] = field(default_factory=list)
    _next_message_id: int = 1

    def api(self) -> JSON:
        chat: JSON = {"id": self.id, "type": "private", "first_name": self.user["first_name"]}
        for key in ("last_name", "username"):
            if key in self.user:
                chat[key] = self.user[key]
        return chat

    def new_message_id(self) -> int:
        message_id = self._next_message_id
        self._next_message_id += 1
        return message_id

    def add(self, message: ChatMessage) -> None:
        self.messages[message.message_id] = message
        self.record("sent", message)

    def record(self, kind: EventKind, message: ChatMessage | None, detail: str = "") -> ChatEvent:
        from_bot = message.from_bot if message is not None else True
        content = message.content if message is not None else ""
        event = ChatEvent(len(self.events) + 1, kind, from_bot, message, content, detail)
        self.events.append(event)
        for listener in self.listeners:
            listener.put_nowait(event)
        self.changed.notify()
        return event

    @property
    def seq(self) -> int:
        return len(self.events)

    def ordered(self) -> Iterator[ChatMessage]:
        return iter(sorted(self.messages.values(), key=lambda m: m.message_id))


# --- updates ----------------------------------------------------------------------------------

DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)


@dataclass
class PendingUpdate:
    update_id: int
    kind: str
    payload: JSON
    chat_id: int

    def to_api(self) -> JSON:
        return {"update_id": self.update_id, self.kind: self.payload}


class UpdateQueue:
    """Updates wait here until the bot confirms them: a higher getUpdates offset, a webhook 2xx."""

    def __init__(self, first_id: int = 100_000_001) -> None:
        self._items: list[PendingUpdate] = []
        self._next_id = first_id
        self.allowed: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.changed = Signal()
        self.last_confirmed_at = time.monotonic()

    def __len__(self) -> int:
        return len(self._items)

    def push(self, kind: str, payload: JSON, chat_id: int) -> PendingUpdate | None:
        """Telegram never creates an update of a kind the bot did not ask for."""
        if kind not in self.allowed:
            return None
        update = PendingUpdate(self._next_id, kind, payload, chat_id)
        self._next_id += 1
        self._items.append(update)
        self.changed.notify()
        return update

    def confirm(self, offset: int) -> None:
        """A positive offset confirms everything below it; a negative one keeps the last -offset."""
        before = len(self._items)
        if offset < 0:
            self._items = self._items[offset:]
        else:
            self._items = [u for u in self._items if u.update_id >= offset]
        if len(self._items) != before:
            self.last_confirmed_at = time.monotonic()
            self.changed.notify()

    def confirm_one(self, update_id: int) -> None:
        self._items = [u for u in self._items if u.update_id != update_id]
        self.last_confirmed_at = time.monotonic()
        self.changed.notify()

    def clear(self) -> None:
        self._items.clear()
        self.last_confirmed_at = time.monotonic()
        self.changed.notify()

    def peek(self, limit: int) -> list[PendingUpdate]:
        return self._items[:limit]

    def pending_for(self, chat_id: int) -> int:
        return sum(1 for u in self._items if u.chat_id == chat_id)


@dataclass
class CallbackQuery:
    id: str
    chat_id: int
    message_id: int
    data: str | None
    created: float
    answered: bool = False


@dataclass(frozen=True)
class BotRequest:
    """One call the bot made, decoded: uploads appear as ``{"filename", "size"}``."""

    method: str
    params: JSON
    status: int = 200
    description: str | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class Webhook:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    deliveries: int = 0
