"""The emulator against the real python-telegram-bot over HTTP: what a person sees, and where
Telegram would refuse, PTB must see the same refusal."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.emulator import BotSilent, Emulator, FaultPlan
from bot.emulator.entities import EntityParseError, detect, parse

Ctx = ContextTypes.DEFAULT_TYPE
pytestmark = pytest.mark.filterwarnings(  # PTB warns about its own RetryAfter.retry_after type
    "ignore::telegram.warnings.PTBDeprecationWarning"
)
App = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(token="123456:TEST") as emulator:
        yield emulator


def build(emu: Emulator, *handlers: BaseHandler[Any, Any, Any]) -> App:
    app = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(f"{emu.root_url}/bot")
        .base_file_url(f"{emu.root_url}/file/bot")
        .build()
    )
    for handler in handlers:
        app.add_handler(handler)
    return app


@asynccontextmanager
async def polling(emu: Emulator, *handlers: BaseHandler[Any, Any, Any]) -> AsyncIterator[App]:
    app = build(emu, *handlers)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


@asynccontextmanager
async def bot_only(emu: Emulator) -> AsyncIterator[App]:
    """The Bot object alone, for calls a test makes itself."""
    app = build(emu)
    await app.initialize()
    try:
        yield app
    finally:
        await app.shutdown()


async def echo(update: Update, context: Ctx) -> None:
    assert update.message is not None and update.message.text is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("改一下", callback_data="edit:1")]])
    await update.message.reply_text(f"你说：{update.message.text}", reply_markup=keyboard)


async def start(update: Update, context: Ctx) -> None:
    assert update.message is not None
    entity = update.message.entities[0]
    await update.message.reply_text(
        f"start {context.args} entity={entity.type}:{entity.offset}:{entity.length}"
    )


async def edit_on_press(update: Update, context: Ctx) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(f"收到 {query.data}")
    await query.edit_message_text(f"已改：{query.data}")


async def send_back(update: Update, context: Ctx) -> None:
    message = update.message
    assert message is not None and message.document is not None
    file = await message.document.get_file()
    data = bytes(await file.download_as_bytearray())
    await message.reply_document(
        data[::-1], filename=f"反转_{message.document.file_name}", caption=f"{len(data)} 字节"
    )


def everything() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CommandHandler("start", start),
        MessageHandler(filters.TEXT & ~filters.COMMAND, echo),
        MessageHandler(filters.Document.ALL, send_back),
        CallbackQueryHandler(edit_on_press),
    ]


# --- the conversation a person sees -----------------------------------------------------------


async def test_echo_button_and_document_round_trip(emu: Emulator) -> None:
    user = emu.user(user_id=1001, first_name="张三", language_code="zh-hans")
    async with polling(emu, *everything()):
        await user.send_text("/start 注册")
        greeting = await user.wait_for_bot_message()
        assert greeting.text == "start ['注册'] entity=bot_command:0:6"

        await user.send_text("你好 😀")
        echoed = await user.wait_for_bot_message(contains="你说")
        assert echoed.text == "你说：你好 😀"
        assert echoed.reply_markup is not None
        assert [[b.callback_data for b in row] for row in echoed.reply_markup.rows] == [["edit:1"]]

        await user.press(echoed, "改一下")
        edited = await user.wait_for_bot_message(contains="已改")
        assert edited is echoed
        assert (edited.text, edited.edited_count, edited.reply_markup) == ("已改：edit:1", 1, None)
        assert [(a.text, a.show_alert) for a in user.callback_answers] == [("收到 edit:1", False)]

        await user.send_document(b"id,score\n1,90\n", "成绩.csv", caption="请查收")
        returned = await user.wait_for_bot_message()
        assert returned.document is not None
        assert returned.document.filename == "反转_成绩.csv"
        assert returned.document.data == b"\n09,1\nerocs,di"
        assert returned.caption == "14 字节"
        await user.wait_until_idle()

    assert [m.from_bot for m in user.messages] == [False, True, False, True, False, True]
    assert user.last_bot_message() is returned
    sent = emu.requests_for("sendMessage")
    assert {r.params["chat_id"] for r in sent} == {1001}
    assert [r.params["text"] for r in emu.requests_for("editMessageText")] == ["已改：edit:1"]
    assert len(emu.requests_for("getFile", ok=True)) == 1


async def test_person_edits_a_message_and_sends_unsupported_kinds(emu: Emulator) -> None:
    seen: list[str] = []

    async def note(update: Update, context: Ctx) -> None:
        if update.edited_message is not None:
            seen.append(f"edited:{update.edited_message.text}")
        elif update.message is not None and update.message.photo:
            seen.append("photo")
        elif update.message is not None and update.message.sticker is not None:
            seen.append(f"sticker:{update.message.sticker.emoji}")
        elif update.message is not None:
            seen.append(f"text:{update.message.text}")
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "收到")

    user = emu.user(2002, "李四")
    async with polling(emu, MessageHandler(filters.ALL, note)):
        first = await user.send_text("第一版")
        await user.wait_for_bot_message()
        await user.edit_text(first.message_id, "第二版")
        await user.wait_for_bot_message()
        await user.send_photo(caption="扫描件")
        await user.wait_for_bot_message()
        await user.send_sticker("🐼")
        await user.wait_for_bot_message()
    assert seen == ["text:第一版", "edited:第二版", "photo", "sticker:🐼"]
    assert first.edited_count == 1


async def test_reply_keyboard_is_shown_pressed_and_removed(emu: Emulator) -> None:
    async def ask(update: Update, context: Ctx) -> None:
        assert update.message is not None
        if update.message.text == "/choose":
            keyboard = ReplyKeyboardMarkup([[KeyboardButton("是"), "否"]], one_time_keyboard=True)
            await update.message.reply_text("选一个", reply_markup=keyboard)
        else:
            await update.message.reply_text(
                f"选了{update.message.text}", reply_markup=ReplyKeyboardRemove()
            )

    user = emu.user(3003, "王五")
    async with polling(emu, MessageHandler(filters.TEXT, ask)):
        await user.send_text("/choose")
        question = await user.wait_for_bot_message()
        assert user.reply_keyboard is not None and user.reply_keyboard.texts == ["是", "否"]
        with pytest.raises(LookupError):
            await user.press(question, "也许")
        await user.press(question, "否")
        assert (await user.wait_for_bot_message()).text == "选了否"
    assert user.reply_keyboard is None


async def test_buttons_that_are_not_there_cannot_be_pressed_but_data_can_be_forged(
    emu: Emulator,
) -> None:
    user = emu.user(4004, "赵六")
    async with polling(emu, *everything()):
        await user.send_text("hello")
        echoed = await user.wait_for_bot_message()
        with pytest.raises(LookupError):
            await user.press(echoed, "删除")
        with pytest.raises(LookupError):
            await user.press(echoed, 3)
        await user.press_data(echoed.message_id, "adm:del:999")
        assert (await user.wait_for_bot_message()).text == "已改：adm:del:999"


# --- Telegram's refusals, as PTB sees them ----------------------------------------------------


async def test_identical_edit_is_not_modified(emu: Emulator) -> None:
    user = emu.user(1001)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    async with bot_only(emu) as app:
        sent = await app.bot.send_message(user.chat_id, "同一段话", reply_markup=keyboard)
        with pytest.raises(BadRequest, match="Message is not modified"):
            await app.bot.edit_message_text(
                "同一段话", user.chat_id, sent.message_id, reply_markup=keyboard
            )
        with pytest.raises(BadRequest, match="Message is not modified"):
            await app.bot.edit_message_reply_markup(
                user.chat_id, sent.message_id, reply_markup=keyboard
            )
        # the same text without the keyboard is a change: the keyboard goes away
        await app.bot.edit_message_text("同一段话", user.chat_id, sent.message_id)
    assert user.last_bot_message().reply_markup is None


async def test_text_length_counts_utf16_units_after_parsing(emu: Emulator) -> None:
    user = emu.user(1001)
    async with bot_only(emu) as app:
        await app.bot.send_message(user.chat_id, "😀" * 2048)  # 4096 UTF-16 units
        with pytest.raises(BadRequest, match="Message is too long"):
            await app.bot.send_message(user.chat_id, "😀" * 2048 + "a")
        with pytest.raises(BadRequest, match="Message is too long"):
            await app.bot.send_message(user.chat_id, "x" * 4097)
        await app.bot.send_message(
            user.chat_id, "<b>" + "y" * 4096 + "</b>", parse_mode=ParseMode.HTML
        )
        with pytest.raises(BadRequest, match="Message text is empty"):
            await app.bot.send_message(user.chat_id, "<b> </b>", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="Can't parse entities"):
            await app.bot.send_message(user.chat_id, "1 < 2", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="reserved"):
            await app.bot.send_message(
                user.chat_id, "总计 3.5 学时", parse_mode=ParseMode.MARKDOWN_V2
            )
        with pytest.raises(BadRequest, match="caption is too long"):
            await app.bot.send_document(user.chat_id, b"x", filename="a.txt", caption="c" * 1025)
    shown = user.bot_messages()
    assert [len(m.content) for m in shown] == [2048, 4096]
    assert shown[1].entities == [{"type": "bold", "offset": 0, "length": 4096}]


async def test_callback_data_over_64_bytes_is_refused(emu: Emulator) -> None:
    user = emu.user(1001)
    async with bot_only(emu) as app:
        fits = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="数" * 21)]])
        await app.bot.send_message(user.chat_id, "63 bytes", reply_markup=fits)
        for data in ("x" * 65, "数" * 22):
            too_long = InlineKeyboardMarkup([[InlineKeyboardButton("no", callback_data=data)]])
            with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
                await app.bot.send_message(user.chat_id, "too long", reply_markup=too_long)
    assert len(user.bot_messages()) == 1


async def test_unknown_messages_queries_and_chats_are_refused(emu: Emulator) -> None:
    user = emu.user(1001)
    async with bot_only(emu) as app:
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await app.bot.edit_message_text("x", user.chat_id, 999)
        with pytest.raises(BadRequest, match="Message to delete not found"):
            await app.bot.delete_message(user.chat_id, 999)
        sent = await app.bot.send_message(user.chat_id, "临时")
        assert await app.bot.delete_message(user.chat_id, sent.message_id)
        with pytest.raises(BadRequest, match="Message to delete not found"):
            await app.bot.delete_message(user.chat_id, sent.message_id)
        with pytest.raises(BadRequest, match="Query is too old"):
            await app.bot.answer_callback_query("12345")
        with pytest.raises(BadRequest, match="Chat not found"):
            await app.bot.send_message(999_999, "nobody")
        user.block()
        with pytest.raises(Forbidden, match="blocked"):
            await app.bot.send_message(user.chat_id, "还在吗")
    assert user.messages[0].deleted


async def test_a_callback_query_is_answered_once(emu: Emulator) -> None:
    user = emu.user(1001)
    async with bot_only(emu) as app:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("go", callback_data="go")]])
        sent = await app.bot.send_message(user.chat_id, "press", reply_markup=keyboard)
        query_id = await user.press(sent.message_id, "go")
        assert isinstance(query_id, str)
        await app.bot.answer_callback_query(query_id, "好", show_alert=True)
        with pytest.raises(BadRequest, match="Query is too old"):
            await app.bot.answer_callback_query(query_id, "again")
    assert [(a.text, a.show_alert) for a in user.callback_answers] == [("好", True)]


async def test_files_over_20_mb_cannot_be_fetched(emu: Emulator) -> None:
    refusals: list[str] = []

    async def fetch(update: Update, context: Ctx) -> None:
        assert update.message is not None and update.message.document is not None
        assert update.message.document.file_size == 25 * 1024 * 1024
        try:
            await update.message.document.get_file()
        except BadRequest as error:
            refusals.append(error.message)
            await update.message.reply_text("文件太大")

    user = emu.user(1001)
    async with polling(emu, MessageHandler(filters.Document.ALL, fetch)):
        await user.send_document(b"", "大.xlsx", size_override=25 * 1024 * 1024)
        await user.wait_for_bot_message(contains="文件太大")
    assert refusals == ["File is too big"]


async def test_unknown_token_and_unknown_method(emu: Emulator) -> None:
    app = (
        ApplicationBuilder()
        .token("999:WRONG")
        .base_url(f"{emu.root_url}/bot")
        .base_file_url(f"{emu.root_url}/file/bot")
        .build()
    )
    with pytest.raises(InvalidToken):
        await app.initialize()
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{emu.root_url}/bot{emu.token}/sendTelepathy", json={})
    assert answer.status_code == 404
    assert answer.json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }


async def test_commands_are_kept_per_language(emu: Emulator) -> None:
    from telegram import BotCommand

    async with bot_only(emu) as app:
        await app.bot.set_my_commands([BotCommand("menu", "功能列表")])
        await app.bot.set_my_commands([BotCommand("menu", "Menu")], language_code="en")
        english = await app.bot.get_my_commands(language_code="en")
        with pytest.raises(BadRequest):
            await app.bot.set_my_commands([BotCommand("Menu!", "bad name")])
    assert emu.commands == {"": [("menu", "功能列表")], "en": [("menu", "Menu")]}
    assert [(c.command, c.description) for c in english] == [("menu", "Menu")]


# --- updates: long polling and webhooks -------------------------------------------------------


async def test_long_poll_answers_when_an_update_arrives_and_offset_confirms(emu: Emulator) -> None:
    user = emu.user(1001)
    url = f"{emu.root_url}/bot{emu.token}/getUpdates"
    async with httpx.AsyncClient(timeout=60) as http:
        waiting = asyncio.create_task(http.post(url, json={"timeout": 50}))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        await user.send_text("/start")
        first = (await asyncio.wait_for(waiting, timeout=10)).json()["result"]
        assert [u["message"]["text"] for u in first] == ["/start"]
        assert first[0]["message"]["entities"] == [
            {"type": "bot_command", "offset": 0, "length": 6}
        ]
        again = (await http.post(url, data={"timeout": "0"})).json()["result"]
        assert again == first  # not confirmed yet
        await user.send_text("two")
        offset = first[0]["update_id"] + 1
        rest = (await http.post(url, data={"offset": str(offset), "timeout": "0"})).json()
        assert [u["message"]["text"] for u in rest["result"]] == ["two"]
    assert emu.pending_updates == 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_webhook_delivers_with_secret_and_wrong_secret_is_rejected(emu: Emulator) -> None:
    user = emu.user(1001)
    app = build(emu, *everything())
    port = free_port()
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="hook",
        webhook_url=f"http://127.0.0.1:{port}/hook",
        secret_token="s3cret",
    )
    try:
        assert emu.webhook_url == f"http://127.0.0.1:{port}/hook"
        await user.send_text("经由 webhook")
        assert (await user.wait_for_bot_message()).text == "你说：经由 webhook"
        await user.wait_until_idle()
        info = await app.bot.get_webhook_info()
        assert (info.pending_update_count, info.last_error_message) == (0, None)
        with pytest.raises(Conflict):
            await app.bot.get_updates()
        async with httpx.AsyncClient() as http:
            forged = await http.post(
                f"http://127.0.0.1:{port}/hook",
                json={
                    "update_id": 1,
                    "message": {
                        "message_id": 1,
                        "date": 0,
                        "chat": {"id": 1, "type": "private"},
                        "text": "x",
                    },
                },
                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            )
        assert forged.status_code == 403
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert len(user.bot_messages()) == 1


async def test_webhook_retries_until_the_bot_answers(emu: Emulator) -> None:
    """Updates sent while the webhook is down stay pending and arrive when it comes up."""
    user = emu.user(1001)
    port = free_port()
    async with bot_only(emu) as app:
        await app.bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="abc")
    await user.send_text("早上好")
    async with asyncio.timeout(5):
        while emu.api.webhook.last_error_message is None:  # noqa: ASYNC110 - no event for it
            await asyncio.sleep(0.02)
    assert emu.pending_updates == 1
    app = build(emu, *everything())
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="hook",
        webhook_url=f"http://127.0.0.1:{port}/hook",
        secret_token="abc",
    )
    try:
        assert (await user.wait_for_bot_message()).text == "你说：早上好"
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


# --- flood control and faults -----------------------------------------------------------------


async def test_a_burst_to_one_chat_hits_flood_control(emu: Emulator) -> None:
    user = emu.user(1001)
    delivered = 0
    async with bot_only(emu) as app:
        with pytest.raises(RetryAfter) as flood:
            for n in range(40):
                await app.bot.send_message(user.chat_id, f"第 {n} 条")
                delivered += 1
    assert 1 <= delivered < 40
    assert "Retry in 1 seconds" in str(flood.value)
    refused = emu.requests_for("sendMessage", ok=False)
    assert [(r.status, r.description) for r in refused] == [
        (429, "Too Many Requests: retry after 1")
    ]
    assert len(user.bot_messages()) == delivered
    assert emu.too_many_requests == 1 and emu.stats["flood_chat"] == 1


async def test_thirty_messages_a_second_overall(emu: Emulator) -> None:
    users = [emu.user(5000 + n, f"用户{n}") for n in range(31)]
    async with bot_only(emu) as app:
        with pytest.raises(RetryAfter):
            for user in users:
                await app.bot.send_message(user.chat_id, "通知")
    assert emu.stats["flood_global"] == 1
    assert sum(len(u.bot_messages()) for u in users) == 30


async def test_limits_can_be_switched_off(emu: Emulator) -> None:
    user = emu.user(1001)
    emu.limits_enabled = False
    async with bot_only(emu) as app:
        for n in range(40):
            await app.bot.send_message(user.chat_id, f"第 {n} 条")
    assert len(user.bot_messages()) == 40 and emu.too_many_requests == 0


async def test_fault_plan_fails_the_given_share_deterministically(emu: Emulator) -> None:
    user = emu.user(1001)
    emu.limits_enabled = False
    outcomes: list[str] = []

    async def run(seed: int) -> list[str]:
        emu.faults = FaultPlan(rate=0.3, kinds={"429", "500"}, seed=seed, methods={"sendMessage"})
        seen: list[str] = []
        async with bot_only(emu) as app:
            for n in range(60):
                try:
                    await app.bot.send_message(user.chat_id, f"#{n}")
                    seen.append("ok")
                except RetryAfter:
                    seen.append("429")
                except NetworkError as error:
                    assert "Internal Server Error" in str(error)
                    seen.append("500")
        return seen

    outcomes = await run(seed=7)
    assert await run(seed=7) == outcomes
    assert {"ok", "429", "500"} <= set(outcomes)
    assert 6 <= outcomes.count("429") + outcomes.count("500") <= 30
    assert len(user.bot_messages()) == 2 * outcomes.count("ok")
    assert emu.stats["fault_429"] == 2 * outcomes.count("429")


async def test_one_shot_faults(emu: Emulator) -> None:
    user = emu.user(1001)
    emu.faults = FaultPlan(rate=0.0, slow_delay=0.05)
    async with bot_only(emu) as app:
        emu.fail_next("sendMessage", "drop")
        with pytest.raises(NetworkError):
            await app.bot.send_message(user.chat_id, "lost before")
        emu.fail_next("sendMessage", "lost_reply")
        with pytest.raises(NetworkError):
            await app.bot.send_message(user.chat_id, "lost after")
        emu.fail_next("sendMessage", "502")
        with pytest.raises(NetworkError):
            await app.bot.send_message(user.chat_id, "bad gateway")
        emu.fail_next("sendMessage", "slow")
        await app.bot.send_message(user.chat_id, "slow but fine")
    assert [m.text for m in user.bot_messages()] == ["lost after", "slow but fine"]


async def test_waiting_for_a_silent_bot_fails_with_the_transcript(emu: Emulator) -> None:
    user = emu.user(1001)
    async with polling(emu):
        await user.send_text("有人吗")
        with pytest.raises(BotSilent, match="有人吗"):
            await user.wait_for_bot_message(timeout=0.2)


# --- more of what the bot relies on -----------------------------------------------------------


async def test_a_newer_long_poll_ends_the_older_with_a_conflict(emu: Emulator) -> None:
    url = f"{emu.root_url}/bot{emu.token}/getUpdates"
    async with httpx.AsyncClient(timeout=60) as http:
        older = asyncio.create_task(http.post(url, json={"timeout": 50}))
        async with asyncio.timeout(5):
            while emu.api.polls_started == 0:  # noqa: ASYNC110 - the server has no event for it
                await asyncio.sleep(0.01)
        newer = await http.post(url, json={"timeout": 0})
        ended = await asyncio.wait_for(older, timeout=10)
    assert newer.json() == {"ok": True, "result": []}
    assert ended.status_code == 409
    assert "terminated by other getUpdates request" in ended.json()["description"]


async def test_allowed_updates_filters_what_telegram_creates(emu: Emulator) -> None:
    user = emu.user(1001)
    url = f"{emu.root_url}/bot{emu.token}/getUpdates"
    async with bot_only(emu) as app:
        sent = await app.bot.send_message(
            user.chat_id,
            "按钮",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="b")]]),
        )
    async with httpx.AsyncClient() as http:
        await http.post(url, data={"timeout": "0", "allowed_updates": '["callback_query"]'})
        await user.send_text("ignored")
        await user.press(sent.message_id, "b")
        result = (await http.post(url, data={"timeout": "0"})).json()["result"]
    assert [list(u)[1] for u in result] == ["callback_query"]
    assert result[0]["callback_query"]["data"] == "b"
    assert result[0]["callback_query"]["message"]["reply_markup"]["inline_keyboard"][0][0] == {
        "text": "b",
        "callback_data": "b",
    }


async def test_bot_deletes_a_users_secret_and_the_console_view_sees_it(emu: Emulator) -> None:
    async def swallow(update: Update, context: Ctx) -> None:
        assert update.message is not None
        await update.message.delete()
        await update.message.chat.send_message("已读取并删除")

    user = emu.user(1001)
    seen: list[tuple[str, bool]] = []

    async def watch() -> None:
        async for event in user.events():
            seen.append((event.kind, event.from_bot))
            if event.kind == "sent" and event.from_bot:
                return

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0)
    async with polling(emu, MessageHandler(filters.TEXT, swallow)):
        secret = await user.send_text("密码 Secret#2026")
        reply = await user.wait_for_bot_message()
        await asyncio.wait_for(watcher, timeout=5)
    assert secret.deleted and not reply.deleted
    assert [m.content for m in user.bot_messages()] == ["已读取并删除"]
    assert seen == [("sent", False), ("deleted", False), ("sent", True)]


async def test_waiting_after_a_given_message_and_for_given_words(emu: Emulator) -> None:
    user = emu.user(1001)
    async with bot_only(emu) as app:
        first = await app.bot.send_message(user.chat_id, "第一条")
        await app.bot.send_message(user.chat_id, "第二条")
        await app.bot.edit_message_text("第一条（已改）", user.chat_id, first.message_id)
    assert (await user.wait_for_bot_message(after=first.message_id)).text == "第二条"
    changed = await user.wait_for_bot_message(after=first.message_id, contains="已改")
    assert changed.message_id == first.message_id
    with pytest.raises(BotSilent, match="第二条"):
        await user.wait_for_bot_message(contains="第三条", timeout=0.05)


async def test_formatted_text_is_stored_plain_with_entities(emu: Emulator) -> None:
    user = emu.user(1001)
    async with bot_only(emu) as app:
        await app.bot.send_message(
            user.chat_id, "<b>张三</b> &lt;管理员&gt; 😀<i>x</i>", parse_mode=ParseMode.HTML
        )
        await app.bot.send_message(
            user.chat_id, r"*粗体* 3\.5 学时 [链接](https://example.org/a)", parse_mode="MarkdownV2"
        )
        await app.bot.send_document(
            user.chat_id, b"%PDF-1.4", filename="plan.pdf", caption="<u>计划</u>", parse_mode="HTML"
        )
    html, markdown, document = user.bot_messages()
    assert html.text == "张三 <管理员> 😀x"
    assert html.entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 11, "length": 1},  # 😀 counts as 2
    ]
    assert markdown.text == "粗体 3.5 学时 链接"
    assert markdown.entities[1] == {
        "type": "text_link",
        "offset": 10,
        "length": 2,
        "url": "https://example.org/a",
    }
    assert (document.caption, document.caption_entities) == (
        "计划",
        [{"type": "underline", "offset": 0, "length": 2}],
    )
    assert document.document is not None and document.document.mime_type == "application/pdf"


async def test_a_document_can_be_sent_again_by_file_id(emu: Emulator) -> None:
    user = emu.user(1001)
    async with bot_only(emu) as app:
        first = await app.bot.send_document(user.chat_id, b"abc", filename="a.txt")
        assert first.document is not None
        again = await app.bot.send_document(user.chat_id, first.document.file_id)
        with pytest.raises(BadRequest, match="Wrong file identifier"):
            await app.bot.send_document(user.chat_id, "no-such-file")
        with pytest.raises(BadRequest, match="File must be non-empty"):
            await app.bot.send_document(user.chat_id, b"", filename="empty.txt")
    assert again.document is not None
    assert again.document.file_unique_id == first.document.file_unique_id
    assert [m.document.data for m in user.bot_messages() if m.document] == [b"abc", b"abc"]


@pytest.mark.parametrize(
    ("typed", "marked"),
    [
        ("/start", [("bot_command", 0, 6)]),
        ("/start@cebot_test_bot 42", [("bot_command", 0, 21)]),
        ("先 /help 再说", [("bot_command", 2, 5)]),
        ("a/b 1/2 路径/x", []),
        ("见 https://hrss.hubei.gov.cn/a。", [("url", 2, 27)]),
        ("问 @someone_else", [("mention", 2, 13)]),
    ],
)
def test_entities_telegram_adds_to_typed_text(
    typed: str, marked: list[tuple[str, int, int]]
) -> None:
    found = detect(typed)
    assert [(e["type"], e["offset"], e["length"]) for e in found] == marked


@pytest.mark.parametrize(
    ("mode", "text", "error"),
    [
        ("HTML", "<b>未闭合", 'Can\'t find end tag corresponding to start tag "b"'),
        ("HTML", "<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("HTML", "<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("MarkdownV2", "1+1", "Character '+' is reserved"),
        ("MarkdownV2", "*未闭合", "Can't find end of Bold entity at byte offset 0"),
        ("Markdown", "_x", "Can't find end of the entity starting at byte offset 0"),
    ],
)
def test_markup_telegram_would_refuse_is_refused(mode: str, text: str, error: str) -> None:
    with pytest.raises(EntityParseError) as refused:
        parse(text, mode)
    assert error in str(refused.value)


async def test_replies_chat_actions_and_harmless_calls(emu: Emulator) -> None:
    from telegram import ReplyParameters
    from telegram.constants import ChatAction

    user = emu.user(1001)
    asked = await user.send_text("问题")
    async with bot_only(emu) as app:
        await app.bot.send_chat_action(user.chat_id, ChatAction.UPLOAD_DOCUMENT)
        answer = await app.bot.send_message(
            user.chat_id, "回答", reply_parameters=ReplyParameters(asked.message_id)
        )
        with pytest.raises(BadRequest, match="Message to be replied not found"):
            await app.bot.send_message(user.chat_id, "x", reply_parameters=ReplyParameters(999))
        assert await app.bot.close()
        assert await app.bot.log_out()
    assert answer.reply_to_message is not None and answer.reply_to_message.text == "问题"
    assert user.last_bot_message().reply_to_message_id == asked.message_id
    assert user.chat_actions == ["upload_document"]
