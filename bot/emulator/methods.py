"""The Bot API methods the emulator implements, with Telegram's checks and error texts.

``BotApi`` is the server's whole state and behaviour without HTTP: the HTTP layer decodes a
request into ``Params`` and calls ``handle``; the simulated users call the ``user_*`` methods.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import mimetypes
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from bot.emulator import entities as fmt
from bot.emulator.limits import (
    MAX_CALLBACK_ANSWER,
    MAX_CALLBACK_DATA,
    MAX_CAPTION,
    MAX_COMMANDS,
    MAX_DOWNLOAD,
    MAX_INLINE_BUTTONS,
    MAX_TEXT,
    MAX_UPLOAD,
    FloodControl,
    Limits,
    utf16_len,
)
from bot.emulator.params import Params, Upload
from bot.emulator.state import (
    DEFAULT_UPDATE_TYPES,
    JSON,
    ApiError,
    BotRequest,
    Button,
    CallbackAnswer,
    CallbackQuery,
    Chat,
    ChatMessage,
    Document,
    InlineKeyboard,
    PendingUpdate,
    ReplyKeyboard,
    StoredFile,
    UpdateQueue,
    Webhook,
    bad_request,
)

Handler = Callable[[Params, asyncio.Event | None], Awaitable[Any]]

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
BUTTON_ACTIONS = frozenset(
    {
        "callback_data",
        "url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "login_url",
        "web_app",
        "callback_game",
        "pay",
        "copy_text",
    }
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same"
    " as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class BotApi:
    def __init__(
        self,
        token: str,
        *,
        bot_username: str,
        bot_first_name: str,
        limits: Limits | None = None,
        callback_ttl: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ":" not in token or not token.split(":", 1)[0].isdigit():
            raise ValueError("a bot token looks like 123456:ABC")
        self.token = token
        self.bot_user: JSON = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.limits = limits or Limits()
        self.flood = FloodControl(self.limits)
        self.callback_ttl = callback_ttl
        self.clock = clock
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.updates = UpdateQueue()
        self.callbacks: dict[str, CallbackQuery] = {}
        self.commands_by_key: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.webhook = Webhook()
        self.requests: list[BotRequest] = []
        self.stats: Counter[str] = Counter()
        self.unknown_methods: list[str] = []
        self.inflight: Counter[int] = Counter()
        self.last_request_at: dict[int, float] = {}
        self.on_webhook_change: Callable[[], None] = lambda: None
        self.closing = False
        self.polls_started = 0  # getUpdates calls received; a newer one ends an older one
        self._file_counter = 0
        self._path_counter = 0
        self._query_counter = 0
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self.get_me,
                "getUpdates": self.get_updates,
                "setWebhook": self.set_webhook,
                "deleteWebhook": self.delete_webhook,
                "getWebhookInfo": self.get_webhook_info,
                "setMyCommands": self.set_my_commands,
                "getMyCommands": self.get_my_commands,
                "deleteMyCommands": self.delete_my_commands,
                "sendMessage": self.send_message,
                "editMessageText": self.edit_message_text,
                "editMessageCaption": self.edit_message_caption,
                "editMessageReplyMarkup": self.edit_message_reply_markup,
                "deleteMessage": self.delete_message,
                "deleteMessages": self.delete_messages,
                "answerCallbackQuery": self.answer_callback_query,
                "sendDocument": self.send_document,
                "getFile": self.get_file,
                "sendChatAction": self.send_chat_action,
                "close": self.harmless,
                "logOut": self.harmless,
            }.items()
        }

    # --- dispatch ------------------------------------------------------------------------------

    def canonical(self, method: str) -> str | None:
        """Telegram matches method names case-insensitively."""
        found = self._methods.get(method.lower())
        return found[0] if found else None

    async def handle(
        self, method: str, params: Params, closed: asyncio.Event | None = None
    ) -> tuple[int, JSON]:
        """Runs one method; returns the HTTP status and the JSON body, and logs the call."""
        found = self._methods.get(method.lower())
        if found is None:
            self.unknown_methods.append(method)
            error = ApiError(404, "Not Found: method not found")
            self.log(method, params, error.code, error.description)
            return error.code, error.body()
        name, handler = found
        chat_id = self._request_chat(params)
        if chat_id is not None:
            self.inflight[chat_id] += 1
        try:
            result = await handler(params, closed)
        except ApiError as error:
            self.log(name, params, error.code, error.description)
            if error.code == 429:
                self.stats["429"] += 1
            return error.code, error.body()
        finally:
            if chat_id is not None:
                self.inflight[chat_id] -= 1
                self.last_request_at[chat_id] = time.monotonic()
                chat = self.chats.get(chat_id)
                if chat is not None:
                    chat.changed.notify()
        self.log(name, params, 200, None)
        return 200, {"ok": True, "result": result}

    def log(self, method: str, params: Params, status: int, description: str | None) -> None:
        self.requests.append(BotRequest(method, params.logged(), status, description))

    def _request_chat(self, params: Params) -> int | None:
        query = self.callbacks.get(params.string("callback_query_id") or "")
        if query is not None:
            return query.chat_id
        try:
            return int(params.values.get("chat_id") or "")
        except (TypeError, ValueError):
            return None

    async def harmless(self, params: Params, closed: asyncio.Event | None) -> bool:
        return True

    # --- getMe, updates, webhook ---------------------------------------------------------------

    async def get_me(self, params: Params, closed: asyncio.Event | None) -> JSON:
        return dict(self.bot_user)

    async def get_updates(self, params: Params, closed: asyncio.Event | None) -> list[JSON]:
        if self.webhook.url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.integer("offset", 0) or 0
        limit = min(max(params.integer("limit", 100) or 100, 1), 100)
        timeout = max(params.number("timeout", 0.0), 0.0)
        self._allow(params.json("allowed_updates"))
        if offset:
            self.updates.confirm(offset)
        self.polls_started += 1
        generation = self.polls_started
        self.updates.changed.notify()  # an older long poll ends with a conflict
        deadline = time.monotonic() + timeout
        while True:
            if generation != self.polls_started:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            pending = self.updates.peek(limit)
            if pending:
                return [update.to_api() for update in pending]
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.closing or (closed is not None and closed.is_set()):
                return []
            await self.updates.changed.wait(remaining)

    def _allow(self, allowed: Any) -> None:
        """An empty list means the default kinds; absent means keep what was set before."""
        if allowed is None:
            return
        if not isinstance(allowed, list):
            raise bad_request("can't parse allowed updates")
        self.updates.allowed = frozenset(allowed) or DEFAULT_UPDATE_TYPES

    async def set_webhook(self, params: Params, closed: asyncio.Event | None) -> bool:
        url = params.string("url", "") or ""
        if url and not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.string("secret_token")
        if secret is not None and not _SECRET.fullmatch(secret):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        if params.flag("drop_pending_updates"):
            self.updates.clear()
        self._allow(params.json("allowed_updates"))
        self.webhook.url = url
        self.webhook.secret_token = secret if url else None
        self.webhook.max_connections = params.integer("max_connections", 40) or 40
        self.webhook.ip_address = params.string("ip_address")
        allowed = params.json("allowed_updates")
        self.webhook.allowed_updates = allowed if isinstance(allowed, list) else None
        self.webhook.last_error_date = None
        self.webhook.last_error_message = None
        self.polls_started += 1  # a pending long poll ends with a conflict
        self.updates.changed.notify()
        self.on_webhook_change()
        return True

    async def delete_webhook(self, params: Params, closed: asyncio.Event | None) -> bool:
        if params.flag("drop_pending_updates"):
            self.updates.clear()
        if self.webhook.url:
            self.webhook = Webhook()
            self.on_webhook_change()
        return True

    async def get_webhook_info(self, params: Params, closed: asyncio.Event | None) -> JSON:
        hook = self.webhook
        info: JSON = {
            "url": hook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }
        if hook.url:
            info["max_connections"] = hook.max_connections
            if hook.ip_address:
                info["ip_address"] = hook.ip_address
            if hook.allowed_updates is not None:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    # --- commands ------------------------------------------------------------------------------

    @staticmethod
    def _command_key(params: Params) -> tuple[str, str]:
        scope = params.json("scope") or {"type": "default"}
        language = params.string("language_code", "") or ""
        return json.dumps(scope, sort_keys=True), language

    async def set_my_commands(self, params: Params, closed: asyncio.Event | None) -> bool:
        commands = params.json("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise bad_request("too many commands")
        parsed: list[tuple[str, str]] = []
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            description = str(command.get("description", "")) if isinstance(command, dict) else ""
            if not _COMMAND.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            parsed.append((name, description))
        key = self._command_key(params)
        if parsed:
            self.commands_by_key[key] = parsed
        else:
            self.commands_by_key.pop(key, None)
        return True

    async def get_my_commands(self, params: Params, closed: asyncio.Event | None) -> list[JSON]:
        commands = self.commands_by_key.get(self._command_key(params), [])
        return [{"command": name, "description": text} for name, text in commands]

    async def delete_my_commands(self, params: Params, closed: asyncio.Event | None) -> bool:
        self.commands_by_key.pop(self._command_key(params), None)
        return True

    def commands_for(
        self, language_code: str = "", scope: JSON | None = None
    ) -> list[tuple[str, str]]:
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        return list(self.commands_by_key.get(key, []))

    # --- sending -------------------------------------------------------------------------------

    def _chat(self, params: Params) -> Chat:
        chat = self.chats.get(params.chat_id())
        if chat is None:
            raise bad_request("chat not found")
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _throttle(self, chat_id: int) -> None:
        verdict = self.flood.check(chat_id)
        if verdict is not None:
            which, retry_after = verdict
            self.stats[f"flood_{which}"] += 1
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    @staticmethod
    def _formatted(
        text: str, params: Params, mode_name: str, entities_name: str
    ) -> tuple[str, list[JSON], str | None]:
        parse_mode = params.string(mode_name)
        given = params.json(entities_name)
        if given:
            if not isinstance(given, list):
                raise bad_request(f"can't parse {entities_name} JSON object")
            return text, given, parse_mode
        try:
            plain, found = fmt.parse(text, parse_mode)
        except fmt.EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
        return plain, found, parse_mode

    def _text(self, params: Params) -> tuple[str, list[JSON], str | None]:
        raw = params.string("text")
        if not raw:
            raise bad_request("message text is empty")
        text, found, parse_mode = self._formatted(raw, params, "parse_mode", "entities")
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise bad_request("message is too long")
        return text, found, parse_mode

    def _caption(self, params: Params) -> tuple[str | None, list[JSON]]:
        raw = params.string("caption")
        if not raw:
            return None, []
        text, found, _ = self._formatted(raw, params, "parse_mode", "caption_entities")
        if utf16_len(text) > MAX_CAPTION:
            raise bad_request("message caption is too long")
        return (text, found) if text.strip() else (None, [])

    def _markup(
        self, markup: Any, *, inline_only: bool = False
    ) -> tuple[InlineKeyboard | None, ReplyKeyboard | None, bool]:
        """(inline keyboard, reply keyboard, removes the reply keyboard)."""
        if markup is None:
            return None, None, False
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            return _inline_keyboard(markup["inline_keyboard"]), None, False
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request("can't parse reply keyboard markup JSON object")
            texts = tuple(
                tuple(b if isinstance(b, str) else str(b.get("text", "")) for b in row)
                for row in rows
            )
            if any(not text for row in texts for text in row):
                raise bad_request("keyboard button text is empty")
            keyboard = ReplyKeyboard(
                texts,
                one_time=bool(markup.get("one_time_keyboard")),
                resize=bool(markup.get("resize_keyboard")),
                placeholder=markup.get("input_field_placeholder"),
            )
            return None, keyboard, False
        if markup.get("remove_keyboard"):
            return None, None, True
        if markup.get("force_reply"):
            return None, None, False
        raise bad_request("can't parse reply keyboard markup JSON object")

    def _reply_to(self, chat: Chat, params: Params) -> int | None:
        reply = params.json("reply_parameters")
        if isinstance(reply, dict):
            message_id, allow = (
                reply.get("message_id"),
                bool(reply.get("allow_sending_without_reply")),
            )
        else:
            message_id = params.integer("reply_to_message_id")
            allow = params.flag("allow_sending_without_reply")
        if message_id is None:
            return None
        target = chat.messages.get(int(message_id))
        if target is None or target.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return target.message_id

    def _deliver(
        self,
        chat: Chat,
        message: ChatMessage,
        keyboard: ReplyKeyboard | None,
        removes: bool,
    ) -> JSON:
        message.reply_keyboard = keyboard
        message.removes_keyboard = removes
        if keyboard is not None:
            chat.reply_keyboard = keyboard
        elif removes:
            chat.reply_keyboard = None
        chat.add(message)
        return self.message_api(chat, message)

    def message_api(self, chat: Chat, message: ChatMessage) -> JSON:
        sender = self.bot_user if message.from_bot else chat.user
        body = message.to_api(_public_user(sender), chat.api())
        if message.reply_to_message_id is not None:
            target = chat.messages.get(message.reply_to_message_id)
            if target is not None:
                body["reply_to_message"] = self.message_api_plain(chat, target)
        return body

    def message_api_plain(self, chat: Chat, message: ChatMessage) -> JSON:
        sender = self.bot_user if message.from_bot else chat.user
        return message.to_api(_public_user(sender), chat.api())

    async def send_message(self, params: Params, closed: asyncio.Event | None) -> JSON:
        chat = self._chat(params)
        text, found, parse_mode = self._text(params)
        inline, keyboard, removes = self._markup(params.json("reply_markup"))
        reply_to = self._reply_to(chat, params)
        self._throttle(chat.id)
        message = ChatMessage(
            message_id=chat.new_message_id(),
            chat_id=chat.id,
            from_bot=True,
            date=int(self.clock()),
            text=text,
            entities=found,
            reply_markup=inline,
            reply_to_message_id=reply_to,
            parse_mode=parse_mode,
        )
        return self._deliver(chat, message, keyboard, removes)

    async def send_document(self, params: Params, closed: asyncio.Event | None) -> JSON:
        chat = self._chat(params)
        stored = self._document(params.upload("document"))
        caption, caption_entities = self._caption(params)
        inline, keyboard, removes = self._markup(params.json("reply_markup"))
        reply_to = self._reply_to(chat, params)
        self._throttle(chat.id)
        self.files.setdefault(stored.file_id, stored)
        message = ChatMessage(
            message_id=chat.new_message_id(),
            chat_id=chat.id,
            from_bot=True,
            date=int(self.clock()),
            kind="document",
            caption=caption,
            caption_entities=caption_entities,
            document=Document.of(stored),
            reply_markup=inline,
            reply_to_message_id=reply_to,
            parse_mode=params.string("parse_mode"),
        )
        return self._deliver(chat, message, keyboard, removes)

    def _document(self, given: Upload | str | None) -> StoredFile:
        if given is None or given == "":
            raise bad_request("there is no document in the request")
        if isinstance(given, str):
            if given.startswith(("http://", "https://")):
                raise bad_request("failed to get HTTP URL content")
            known = self.files.get(given)
            if known is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            return known
        if not given.data:
            raise bad_request("file must be non-empty")
        if len(given.data) > MAX_UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        filename = given.filename or "document"
        mime = given.content_type
        if not mime or mime == "application/unknown":
            mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        return self.new_file(given.data, len(given.data), filename, mime, "documents")

    def new_file(
        self, data: bytes | None, size: int, filename: str | None, mime: str | None, kind: str
    ) -> StoredFile:
        self._file_counter += 1
        digest = hashlib.sha256(f"{kind}:{self._file_counter}".encode()).hexdigest()
        stored = StoredFile(
            file_id=f"BQACAgIAAxkB{digest[:40]}",
            file_unique_id=f"AgAD{digest[40:52]}",
            size=size,
            data=data,
            filename=filename,
            mime_type=mime,
            kind=kind,
        )
        self.files[stored.file_id] = stored
        return stored

    # --- editing and deleting ------------------------------------------------------------------

    def _own_message(self, params: Params, missing: str) -> tuple[Chat, ChatMessage]:
        if "inline_message_id" in params:
            raise bad_request("the emulator does not support inline messages")
        chat = self._chat(params)
        message_id = params.required_integer("message_id", "message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request(missing)
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    def _edited(self, chat: Chat, message: ChatMessage) -> JSON:
        message.edited_count += 1
        message.edit_date = int(self.clock())
        chat.record("edited", message)
        return self.message_api(chat, message)

    async def edit_message_text(self, params: Params, closed: asyncio.Event | None) -> JSON:
        chat, message = self._own_message(params, "message to edit not found")
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text, found, parse_mode = self._text(params)
        inline, _, _ = self._markup(params.json("reply_markup"), inline_only=True)
        if text == message.text and found == message.entities and inline == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        self._throttle(chat.id)
        message.text, message.entities, message.parse_mode = text, found, parse_mode
        message.reply_markup = inline
        return self._edited(chat, message)

    async def edit_message_caption(self, params: Params, closed: asyncio.Event | None) -> JSON:
        chat, message = self._own_message(params, "message to edit not found")
        if message.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        caption, caption_entities = self._caption(params)
        inline, _, _ = self._markup(params.json("reply_markup"), inline_only=True)
        if (caption, caption_entities, inline) == (
            message.caption,
            message.caption_entities,
            message.reply_markup,
        ):
            raise bad_request(NOT_MODIFIED)
        self._throttle(chat.id)
        message.caption, message.caption_entities = caption, caption_entities
        message.reply_markup = inline
        return self._edited(chat, message)

    async def edit_message_reply_markup(self, params: Params, closed: asyncio.Event | None) -> JSON:
        chat, message = self._own_message(params, "message to edit not found")
        inline, _, _ = self._markup(params.json("reply_markup"), inline_only=True)
        if inline == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        self._throttle(chat.id)
        message.reply_markup = inline
        return self._edited(chat, message)

    async def delete_message(self, params: Params, closed: asyncio.Event | None) -> bool:
        chat = self._chat(params)
        message_id = params.required_integer("message_id", "message identifier is not specified")
        self._delete(chat, message_id)
        return True

    async def delete_messages(self, params: Params, closed: asyncio.Event | None) -> bool:
        chat = self._chat(params)
        ids = params.json("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must contain 1-100 message identifiers")
        for message_id in ids:
            message = chat.messages.get(int(message_id))
            if message is not None and not message.deleted:
                self._delete(chat, message.message_id)
        return True

    def _delete(self, chat: Chat, message_id: int) -> None:
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        message.deleted = True
        chat.record("deleted", message)

    # --- callback queries, files, chat actions -------------------------------------------------

    async def answer_callback_query(self, params: Params, closed: asyncio.Event | None) -> bool:
        query_id = params.required_string("callback_query_id", "query ID is invalid")
        query = self.callbacks.get(query_id)
        if query is None or query.answered or time.monotonic() - query.created > self.callback_ttl:
            raise bad_request(QUERY_TOO_OLD)
        text = params.string("text")
        if text is not None and utf16_len(text) > MAX_CALLBACK_ANSWER:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        chat = self.chats[query.chat_id]
        answer = CallbackAnswer(
            query.id,
            query.message_id,
            query.data,
            text,
            params.flag("show_alert"),
            params.string("url"),
        )
        chat.callback_answers.append(answer)
        chat.record("callback_answer", chat.messages.get(query.message_id), detail=text or "")
        return True

    async def get_file(self, params: Params, closed: asyncio.Event | None) -> JSON:
        file_id = params.required_string("file_id", "file_id not specified")
        stored = self.files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        if stored.file_path is None:
            suffix = ""
            if stored.filename and "." in stored.filename:
                suffix = "." + stored.filename.rsplit(".", 1)[1]
            self._path_counter += 1
            stored.file_path = f"{stored.kind}/file_{self._path_counter}{suffix}"
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    def download(self, token: str, file_path: str) -> bytes | None:
        if token != self.token:
            return None
        for stored in self.files.values():
            if stored.file_path == file_path:
                return stored.data
        return None

    async def send_chat_action(self, params: Params, closed: asyncio.Event | None) -> bool:
        chat = self._chat(params)
        action = params.string("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.actions.append(action)
        chat.record("action", None, detail=action)
        return True

    # --- the user's side -----------------------------------------------------------------------

    def open_chat(self, user: JSON) -> Chat:
        chat = self.chats.get(user["id"])
        if chat is None:
            chat = Chat(user["id"], user)
            self.chats[chat.id] = chat
        else:
            chat.user = user
        return chat

    def user_message(self, chat: Chat, message: ChatMessage) -> PendingUpdate | None:
        self.flood.user_acted(chat.id)
        chat.add(message)
        return self.updates.push("message", self.message_api(chat, message), chat.id)

    def user_edit(self, chat: Chat, message: ChatMessage) -> PendingUpdate | None:
        self.flood.user_acted(chat.id)
        message.edited_count += 1
        message.edit_date = int(self.clock())
        chat.record("edited", message)
        return self.updates.push("edited_message", self.message_api(chat, message), chat.id)

    def user_blocks(self, chat: Chat, blocked: bool) -> PendingUpdate | None:
        """Blocking (or unblocking) the bot in a private chat: Telegram tells the bot with a
        ``my_chat_member`` update, the bot's status going from member to kicked and back."""
        chat.blocked = blocked
        statuses = ("member", "kicked") if blocked else ("kicked", "member")

        def member(status: str) -> JSON:
            found: JSON = {"user": _public_user(self.bot_user), "status": status}
            if status == "kicked":
                found["until_date"] = 0  # for ever
            return found

        payload: JSON = {
            "chat": chat.api(),
            "from": chat.user,
            "date": int(self.clock()),
            "old_chat_member": member(statuses[0]),
            "new_chat_member": member(statuses[1]),
        }
        return self.updates.push("my_chat_member", payload, chat.id)

    def user_press(self, chat: Chat, message: ChatMessage, data: str) -> CallbackQuery:
        self.flood.user_acted(chat.id)
        self._query_counter += 1
        query = CallbackQuery(
            id=str(4_300_000_000_000_000_000 + chat.id * 1000 + self._query_counter),
            chat_id=chat.id,
            message_id=message.message_id,
            data=data,
            created=time.monotonic(),
        )
        self.callbacks[query.id] = query
        payload: JSON = {
            "id": query.id,
            "from": chat.user,
            "message": self.message_api(chat, message),
            "chat_instance": str(-(10**18) - chat.id),
            "data": data,
        }
        self.updates.push("callback_query", payload, chat.id)
        return query

    def count(self, method: str, *, ok: bool | None = None) -> int:
        return sum(
            1
            for request in self.requests
            if request.method == method and (ok is None or request.ok == ok)
        )


def _public_user(user: JSON) -> JSON:
    """The bot's getMe carries capability flags that a message's ``from`` does not."""
    keys = ("id", "is_bot", "first_name", "last_name", "username", "language_code")
    return {key: user[key] for key in keys if key in user}


def _inline_keyboard(rows: Any) -> InlineKeyboard:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard markup JSON object")
    if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long")
    parsed: list[tuple[Button, ...]] = []
    for row in rows:
        buttons: list[Button] = []
        for raw in row:
            if not isinstance(raw, dict):
                raise bad_request("can't parse inline keyboard button: Object expected")
            text = raw.get("text")
            if not isinstance(text, str) or not text:
                raise bad_request("can't parse inline keyboard button: Text is empty")
            actions = BUTTON_ACTIONS & raw.keys()
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            data = raw.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
            url = raw.get("url")
            if url is not None and not str(url).startswith(("http://", "https://", "tg://")):
                raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
            buttons.append(
                Button(
                    text,
                    None if data is None else str(data),
                    None if url is None else str(url),
                    raw,
                )
            )
        parsed.append(tuple(buttons))
    return InlineKeyboard(tuple(parsed))
