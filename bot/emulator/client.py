"""A simulated person in a private chat with the bot: what they can do, and what they can see.

Every action becomes the update Telegram would send (with the entities Telegram adds) and is put
on the server's update queue; every read looks at the chat as the person's screen shows it now.
Waiting is by events, not by sleeping: ``wait_for_bot_message`` returns as soon as the bot has
sent or edited a message after the person's last action, and fails with the chat transcript and
the bot's failed calls when it does not.
"""

from __future__ import annotations

import asyncio
import mimetypes
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, TypedDict, Unpack

from bot.emulator import entities as fmt
from bot.emulator.state import (
    JSON,
    CallbackAnswer,
    Chat,
    ChatEvent,
    ChatMessage,
    Document,
    InlineKeyboard,
    MessageKind,
    ReplyKeyboard,
)

if TYPE_CHECKING:
    from bot.emulator.methods import BotApi


class _Content(TypedDict, total=False):
    """What a person's new message holds, beyond who sent it where and when."""

    kind: MessageKind
    text: str
    entities: list[JSON]
    caption: str | None
    caption_entities: list[JSON]
    document: Document
    media: JSON


# A 1x1 JPEG: enough for a photo message; nobody decodes it.
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c"
    "1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0"
    "000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bff"
    "da0008010100003f00d2cf20ffd9"
)


class BotSilent(AssertionError):
    """The bot did not answer as expected in time; the message shows the chat and its errors."""


class SimUser:
    """One person. ``chat_id == user_id``, as for every private chat."""

    def __init__(
        self,
        api: BotApi,
        *,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> None:
        self.api = api
        self.user_id = user_id
        profile: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            profile["last_name"] = last_name
        if username:
            profile["username"] = username
        if language_code:
            profile["language_code"] = language_code
        self.profile = profile
        self.chat: Chat = api.open_chat(profile)
        self._mark = self.chat.seq
        self._mark_at = time.monotonic()

    # --- reading -------------------------------------------------------------------------------

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def messages(self) -> list[ChatMessage]:
        """The whole chat in order, both sides, deleted ones still there (``deleted=True``)."""
        return list(self.chat.ordered())

    def bot_messages(self, *, include_deleted: bool = False) -> list[ChatMessage]:
        return [m for m in self.messages if m.from_bot and (include_deleted or not m.deleted)]

    def last_bot_message(self) -> ChatMessage:
        shown = self.bot_messages()
        if not shown:
            raise BotSilent(f"the bot has not sent anything\n{self.transcript()}")
        return shown[-1]

    def message(self, message_id: int) -> ChatMessage:
        try:
            return self.chat.messages[message_id]
        except KeyError:
            raise LookupError(f"no message #{message_id} in this chat") from None

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        return self.chat.callback_answers

    @property
    def chat_actions(self) -> list[str]:
        return self.chat.actions

    @property
    def reply_keyboard(self) -> ReplyKeyboard | None:
        """The reply keyboard the person's client shows now, if any."""
        return self.chat.reply_keyboard

    def transcript(self, last: int = 20) -> str:
        lines = []
        for message in self.messages[-last:]:
            who = "bot " if message.from_bot else "user"
            flags = " [deleted]" if message.deleted else ""
            flags += f" [edited×{message.edited_count}]" if message.edited_count else ""
            body = message.content
            if message.document is not None:
                body = f"[document {message.document.filename}] {body}".rstrip()
            elif message.kind in ("photo", "sticker"):
                body = f"[{message.kind}] {body}".rstrip()
            lines.append(f"  #{message.message_id} {who}{flags}: {body}")
            if message.buttons:
                lines.append(f"        buttons: {message.buttons}")
        return "\n".join(lines) or "  (empty chat)"

    async def events(self) -> AsyncIterator[ChatEvent]:
        """Everything that happens in this chat from now on, as it happens (for a console)."""
        queue: asyncio.Queue[ChatEvent] = asyncio.Queue()
        self.chat.listeners.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self.chat.listeners.remove(queue)

    # --- acting --------------------------------------------------------------------------------

    def _new_message(self, **content: Unpack[_Content]) -> ChatMessage:
        return ChatMessage(
            message_id=self.chat.new_message_id(),
            chat_id=self.chat.id,
            from_bot=False,
            date=int(self.api.clock()),
            **content,
        )

    def _set_mark(self) -> None:
        """The person's last action: what the bot does after it is the answer to wait for."""
        self._mark = self.chat.seq
        self._mark_at = time.monotonic()

    def _act(self, message: ChatMessage) -> ChatMessage:
        self._set_mark()
        self.api.user_message(self.chat, message)
        return message

    async def send_text(self, text: str) -> ChatMessage:
        """As typed: Telegram marks commands ("/start arg": offset 0, length 6), links, mentions."""
        if not text.strip():
            raise ValueError("a client cannot send an empty message")
        keyboard = self.chat.reply_keyboard
        if keyboard is not None and keyboard.one_time and text in keyboard.texts:
            self.chat.reply_keyboard = None
        return self._act(self._new_message(text=text, entities=fmt.detect(text)))

    async def send_document(
        self,
        data: bytes,
        filename: str,
        mime_type: str | None = None,
        caption: str | None = None,
        *,
        size_override: int | None = None,
    ) -> ChatMessage:
        """``size_override`` announces a size without holding the bytes (a 25 MB file for free)."""
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        size = size_override if size_override is not None else len(data)
        stored = self.api.new_file(data, size, filename, mime, "documents")
        message = self._new_message(
            kind="document",
            document=Document.of(stored),
            caption=caption,
            caption_entities=fmt.detect(caption) if caption else [],
        )
        return self._act(message)

    async def send_photo(
        self,
        data: bytes = TINY_JPEG,
        caption: str | None = None,
        *,
        width: int = 1,
        height: int = 1,
    ) -> ChatMessage:
        stored = self.api.new_file(data, len(data), None, "image/jpeg", "photos")
        size: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": width,
            "height": height,
            "file_size": stored.size,
        }
        return self._act(self._new_message(kind="photo", caption=caption, media={"photo": [size]}))

    async def send_sticker(self, emoji: str = "👍") -> ChatMessage:
        stored = self.api.new_file(b"RIFF\x00\x00\x00\x00WEBP", 12, None, "image/webp", "stickers")
        sticker: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.size,
        }
        return self._act(self._new_message(kind="sticker", media={"sticker": sticker}))

    async def edit_text(self, message_id: int, new_text: str) -> ChatMessage:
        """The person edits a text message of theirs: the bot gets an ``edited_message``."""
        message = self.message(message_id)
        if message.from_bot or message.kind != "text" or message.deleted:
            raise ValueError(f"#{message_id} is not a text message of this user")
        if not new_text.strip():
            raise ValueError("a client cannot make a message empty")
        self._set_mark()
        message.text, message.entities = new_text, fmt.detect(new_text)
        self.api.user_edit(self.chat, message)
        return message

    async def press(
        self, message: ChatMessage | int, button: str | int | tuple[int, int]
    ) -> str | ChatMessage:
        """Presses a button the person can see: an inline button (returns the callback query id)
        or a reply-keyboard button (sends its text, returns that message).

        A button that is not there is refused with LookupError, as no person could press it.
        """
        shown = self.message(message) if isinstance(message, int) else message
        if shown.deleted:
            raise LookupError(f"#{shown.message_id} was deleted; its buttons are gone")
        if shown.reply_markup is not None:
            return self._press_inline(shown, shown.reply_markup, button)
        keyboard = self.chat.reply_keyboard
        if keyboard is not None:
            if isinstance(button, str):
                if button not in keyboard.texts:
                    raise LookupError(f"no key {button!r}; keys: {keyboard.texts}")
                return await self.send_text(button)
            texts = keyboard.texts if isinstance(button, int) else []
            if isinstance(button, tuple):
                try:
                    return await self.send_text(keyboard.rows[button[0]][button[1]])
                except IndexError:
                    raise LookupError(f"no key at {button}") from None
            if not 0 <= button < len(texts):
                raise LookupError(f"no key number {button}; keys: {texts}")
            return await self.send_text(texts[button])
        raise LookupError(f"#{shown.message_id} shows no buttons\n{self.transcript()}")

    def _press_inline(
        self, message: ChatMessage, keyboard: InlineKeyboard, button: str | int | tuple[int, int]
    ) -> str:
        found = keyboard.find(button)
        if found.callback_data is None:
            raise LookupError(f"{found.text!r} opens {found.url or 'something'}, it sends no data")
        self._set_mark()
        return self.api.user_press(self.chat, message, found.callback_data).id

    async def press_data(self, message_id: int, data: str) -> str:
        """A callback query with any data on any message: forged or stale data, on purpose."""
        message = self.message(message_id)
        self._set_mark()
        return self.api.user_press(self.chat, message, data).id

    def block(self, *, tell: bool = True) -> None:
        """The person blocks the bot: sends fail with 403 Forbidden until ``unblock``.

        Telegram tells the bot with a ``my_chat_member`` update; ``tell=False`` leaves it out,
        as when the bot was offline and the update expired, so the bot learns only from a 403.
        """
        if tell:
            self.api.user_blocks(self.chat, True)
        else:
            self.chat.blocked = True

    def unblock(self) -> None:
        self.api.user_blocks(self.chat, False)

    # --- waiting -------------------------------------------------------------------------------

    async def wait_for_bot_message(
        self,
        *,
        contains: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the test-facing API reads better with it
        after: int | None = None,
    ) -> ChatMessage:
        """The first message the bot sent or edited after the person's last action (or after
        message ``after`` was sent), whose text or caption contains ``contains`` if given."""
        if after is not None:
            created = [
                e.seq
                for e in self.chat.events
                if e.kind == "sent" and e.message is not None and e.message.message_id == after
            ]
            if not created:
                raise LookupError(f"no message #{after} in this chat")
            since = created[0]
            since_at = self.chat.events[since - 1].at
        else:
            since, since_at = self._mark, self._mark_at
        deadline = time.monotonic() + timeout
        while True:
            for event in self.chat.events[since:]:
                if event.kind not in ("sent", "edited") or not event.from_bot:
                    continue
                if event.message is None:
                    continue
                if contains is None or contains in event.content:
                    return event.message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                wanted = f" containing {contains!r}" if contains else ""
                raise BotSilent(
                    f"no bot message{wanted} within {timeout}s\n{self.transcript()}"
                    f"{self._failures_since(since_at)}"
                )
            await self.chat.changed.wait(remaining)

    async def wait_until_idle(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - the test-facing API reads better with it
        quiet: float = 0.2,
    ) -> None:
        """Every update of this person confirmed by the bot, none of the bot's calls for this
        chat in flight, and nothing for ``quiet`` seconds after that."""
        deadline = time.monotonic() + timeout
        updates = self.api.updates
        while True:
            now = time.monotonic()
            busy = updates.pending_for(self.chat.id) or self.api.inflight[self.chat.id]
            last = max(
                self.api.last_request_at.get(self.chat.id, 0.0),
                updates.last_confirmed_at,
                self.chat.events[-1].at if self.chat.events else 0.0,
            )
            if not busy and now - last >= quiet:
                return
            if now >= deadline:
                raise BotSilent(
                    f"the chat did not become idle within {timeout}s "
                    f"(pending updates: {updates.pending_for(self.chat.id)}, "
                    f"calls in flight: {self.api.inflight[self.chat.id]})\n{self.transcript()}"
                )
            await asyncio.sleep(min(0.02, max(deadline - now, 0.0)))

    def _failures_since(self, started: float) -> str:
        failed = [
            f"  {r.method} -> {r.status} {r.description}"
            for r in self.api.requests
            if not r.ok
            and r.at >= started
            and r.method != "getUpdates"
            and str(r.params.get("chat_id", self.chat.id)) == str(self.chat.id)
        ]
        return "\nthe bot's failed calls:\n" + "\n".join(failed[-10:]) if failed else ""
