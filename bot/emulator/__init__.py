"""A Telegram Bot API server for tests and the console: the real bot talks to it over HTTP.

    async with Emulator(token="123:TEST") as emu:          # 127.0.0.1, a free port
        app = (ApplicationBuilder().token(emu.token)
               .base_url(emu.base_url).base_file_url(emu.base_file_url).build())
        user = emu.user(1001, "张三", language_code="zh-hans")
        await user.send_text("/start")
        reply = await user.wait_for_bot_message(contains="欢迎")
        await user.press(reply, "登录")

Why our own: tests must see what a person sees (messages, edits, deletions, keyboards, files) and
fail where Telegram would refuse, which no mock of ``Bot`` does.

Methods (``/bot<token>/<method>``, GET or POST; JSON, urlencoded or multipart; names
case-insensitive): getMe; getUpdates (long polling, offset confirms, limit, timeout,
allowed_updates; a newer call ends an older one with 409, as does an active webhook);
setWebhook / deleteWebhook / getWebhookInfo (updates POSTed one at a time, in order, with
``X-Telegram-Bot-Api-Secret-Token``, retried every ``webhook_retry_delay`` until 2xx);
setMyCommands / getMyCommands / deleteMyCommands (per scope and language_code); sendMessage
(parse_mode HTML / MarkdownV2 / Markdown parsed into entities, inline and reply keyboards,
ReplyKeyboardRemove, reply_parameters); editMessageText / editMessageCaption /
editMessageReplyMarkup; deleteMessage(s); answerCallbackQuery; sendDocument (upload or file_id);
getFile and ``/file/bot<token>/<file_path>``; sendChatAction; close and logOut (no-ops).
Anything else: 404 "Not Found: method not found" (listed in ``emu.api.unknown_methods``).

Limits enforced, with Telegram's error texts:
- text 1-4096 UTF-16 code units after entity parsing ("message text is empty", "message is too
  long"); caption <= 1024 ("message caption is too long"); unparsable markup ("can't parse
  entities: ..."), including MarkdownV2's unescaped reserved characters;
- callback_data 1-64 bytes ("BUTTON_DATA_INVALID"); at most 100 inline buttons; button URLs
  http(s)/tg only; editMessage* takes inline keyboards only;
- an edit that changes nothing ("message is not modified: ..."); editing or deleting an unknown or
  deleted message ("message to edit not found" / "message to delete not found"); editing a
  user's message ("message can't be edited"); replying to a missing message;
- getFile over 20 MB ("file is too big"); uploads over 50 MB (413); empty uploads;
- answerCallbackQuery of an unknown, already answered or older-than-``callback_ttl`` (15 s) query
  ("query is too old and response timeout expired or query ID is invalid"), text <= 200;
- a blocked user (403 "Forbidden: bot was blocked by the user"), an unknown chat ("chat not found");
- flood control, on by default (``emu.limits_enabled``; numbers in ``emu.limits``): at most 30
  sends in any one-second window overall, and per chat a token bucket of 3 refilled at 1 a second
  (a burst of 3, then 1 a second); sendMessage, sendDocument and every editMessage* count as
  sends; answers 429 "Too Many Requests: retry after N" with ``parameters.retry_after``; counted
  in ``emu.stats`` (``429``, ``flood_chat``, ``flood_global``) and ``emu.too_many_requests``.

Faults on request: ``emu.faults = FaultPlan(rate=0.1, kinds={"429", "500", "502", "slow",
"drop", "lost_reply"}, seed=1)``, or once: ``emu.fail_next("sendMessage", "500")``.

The person's side is ``SimUser`` (``emu.user(...)``): send_text, send_document (``size_override``
announces a large file without its bytes), send_photo, send_sticker, press, press_data,
edit_text; messages, bot_messages(), last_bot_message(), callback_answers, reply_keyboard,
wait_for_bot_message, wait_until_idle, events() for a live view. ``emu.requests`` logs every call
the bot made, decoded, for assertions by method and content.
"""

from bot.emulator.client import BotSilent, SimUser
from bot.emulator.limits import FaultPlan, Limits, utf16_len
from bot.emulator.server import Emulator
from bot.emulator.state import (
    BotRequest,
    Button,
    CallbackAnswer,
    ChatEvent,
    ChatMessage,
    Document,
    InlineKeyboard,
    ReplyKeyboard,
)

__all__ = [
    "BotRequest",
    "BotSilent",
    "Button",
    "CallbackAnswer",
    "ChatEvent",
    "ChatMessage",
    "Document",
    "Emulator",
    "FaultPlan",
    "InlineKeyboard",
    "Limits",
    "ReplyKeyboard",
    "SimUser",
    "utf16_len",
]
