"""What every conversation shares: /cancel, leaving, the timeout, unexpected input, and forms.

A *form* (registration, a class declaration) is a conversation of several fields whose draft
survives a slip: a command or a stray message pauses it instead of losing it, a restart keeps
it, and opening the form again offers it back (继续填写 / 放弃) until it expires
(``domain.drafts``). Every step of a form has ◀ 上一项. One mechanism serves every screen:
typed text equal to a button label of the current screen works as pressing it (``typed_label``).
"""

from __future__ import annotations

import unicodedata
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeAlias

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.callbacks import CallbackAction
from bot.i18n import N_, Translator
from bot.keyboards import button, rows
from bot.runtime import SCREEN_KEY, App, Ctx, application, reply, services, show_screens_in, tr
from domain import drafts

# Conversations are tracked per user and chat, not per message: a button pressed in a
# conversation belongs to that user's current step, which is what we want. PTB warns about it.
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)

Handlers: TypeAlias = list[BaseHandler[Update, Ctx, object]]
"""What a ConversationHandler takes as its entry points, one state's handlers or its fallbacks."""

TIMEOUT = drafts.STEP_IDLE
"""Silence after which an open step ends by itself (a form's draft is kept)."""

DRAFT_PREFIXES = ("draft:", "_")
"""``user_data`` keys a conversation may leave behind: ``draft:<feature>`` (persisted, encrypted)
and ``_<anything>`` (memory only). /cancel and the timeout drop them, but a form's draft
(``draft:<form>``), which only the form itself, /cancel in it or its expiry drops."""

META = "form"
"""The key of a form's draft that holds when it last changed and which step is open."""
SEEN_KEY = "conversation:seen"
"""``user_data``: when this person's last update arrived (ISO), to end a step left open by a
restart (python-telegram-bot's time-outs live in memory only)."""

RESUME_STATE = "resume"
"""The state of a form offering its draft back."""
RESUME = CallbackAction("form:go", words=1)
DISCARD = CallbackAction("form:drop", words=1)
BACK = CallbackAction("form:back", words=2)  # form, the step the button was shown on
REASK = CallbackAction("form:here", words=1)
LEAVE = CallbackAction("form:leave")


@dataclass(frozen=True)
class Form:
    """A conversation whose draft ``user_data["draft:<name>"]`` survives a slip."""

    name: str
    """The ConversationHandler's name."""
    title: str
    """What it is, a msgid (注册继续教育基地)."""
    reopen: str
    """How to open it again, a msgid (发送 /register)."""
    filled: Callable[[dict[str, Any]], int]
    """How many fields the draft holds; an empty draft is not offered back."""
    resume: Callable[[Update, Ctx], Awaitable[object]]
    """Checks the draft again (the data may have changed under it) and asks its open step."""
    restart: Callable[[Update, Ctx, str], Awaitable[object]]
    """Starts afresh from the entry the person used (``Meta.entry``)."""
    back: Callable[[Update, Ctx], Awaitable[object]]
    """Asks the step before the open one (◀ 上一项)."""

    @property
    def key(self) -> str:
        return f"draft:{self.name}"


FORMS: dict[str, Form] = {}


def form(**fields: Any) -> Form:
    """Declares a form (once, where its conversation is built)."""
    declared = Form(**fields)
    FORMS[declared.name] = declared
    return declared


def _now(context: Ctx) -> datetime:
    return services(context).clock.now()


def start_draft(context: Ctx, form: Form, draft: dict[str, Any], entry: str) -> dict[str, Any]:
    """A fresh draft for ``form``, opened through ``entry`` (a command or a button's data)."""
    assert context.user_data is not None
    draft[META] = {"touched": _now(context).isoformat(), "step": "", "label": "", "entry": entry}
    context.user_data[form.key] = draft
    return draft


def draft_of(context: Ctx, form: Form) -> dict[str, Any] | None:
    if context.user_data is None:
        return None
    draft = context.user_data.get(form.key)
    return draft if isinstance(draft, dict) and isinstance(draft.get(META), dict) else None


def touch(context: Ctx, form: Form, step: str, label: str) -> None:
    """The form now asks ``step`` (its words: ``label``, a msgid); the draft changed now."""
    draft = draft_of(context, form)
    if draft is not None:
        draft[META].update(touched=_now(context).isoformat(), step=step, label=label)


def open_step(context: Ctx, form: Form) -> str:
    draft = draft_of(context, form)
    return str(draft[META]["step"]) if draft is not None else ""


def forget(context: Ctx, form: Form) -> None:
    """The form is done with its draft (saved, cancelled, given up)."""
    if context.user_data is not None:
        context.user_data.pop(form.key, None)


def _touched(draft: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(draft[META]["touched"]))


def back_button(t: Translator, form: Form, step: str) -> Any:
    return button(t(N_("◀ 上一项")), BACK.encode(form.name, step))


def with_back(
    keyboard: InlineKeyboardMarkup | None, t: Translator, form: Form, step: str
) -> InlineKeyboardMarkup:
    """``keyboard`` (or none) with ◀ 上一项 as its last row."""
    existing = [list(row) for row in keyboard.inline_keyboard] if keyboard is not None else []
    return InlineKeyboardMarkup([*existing, [back_button(t, form, step)]])


# --- opening a form: its draft offered back -------------------------------------------------


async def offer_resume(update: Update, context: Ctx, form: Form, entry: str) -> object | None:
    """When opening ``form`` finds a draft worth keeping, asks 继续填写 / 放弃 and returns the
    state to wait in; otherwise (no draft, an empty or expired one) None, and the caller starts
    afresh. ``entry`` is what 放弃 then opens (the command or button the person used now)."""
    draft = draft_of(context, form)
    if draft is None:
        return None
    touched = _touched(draft)
    if form.filled(draft) == 0 or drafts.age(touched, _now(context)) is drafts.DraftAge.EXPIRED:
        forget(context, form)
        return None
    draft[META]["entry"] = entry
    t = tr(update, context)
    text = t(
        N_(
            "您有一份未完成的“{title}”：已填写 {count} 项，最后修改于 {touched}，"
            "保留至 {until}。要继续填写吗？"
        ),
        title=t(form.title),
        count=form.filled(draft),
        touched=touched,
        until=drafts.expires_at(touched),
    )
    keyboard = rows(
        [
            button(t(N_("继续填写")), RESUME.encode(form.name)),
            button(t(N_("放弃，重新开始")), DISCARD.encode(form.name)),
        ]
    )
    if update.callback_query is not None:
        await update.callback_query.answer()
    await reply(update, text, keyboard, edit=False)
    return RESUME_STATE


async def _resume(form: Form, update: Update, context: Ctx) -> object:
    assert update.callback_query is not None
    if RESUME.parse_word(update.callback_query.data) != form.name:
        await unexpected(update, context, form)
        return None
    await update.callback_query.answer()
    if draft_of(context, form) is None:
        return await _gone(update, context, form)
    return await form.resume(update, context)


async def _discard(form: Form, update: Update, context: Ctx) -> object:
    assert update.callback_query is not None
    if DISCARD.parse_word(update.callback_query.data) != form.name:
        await unexpected(update, context, form)
        return None
    await update.callback_query.answer()
    draft = draft_of(context, form)
    entry = str(draft[META].get("entry", "")) if draft is not None else ""
    forget(context, form)
    await reply(update, tr(update, context)(N_("已放弃草稿。")), edit=False)
    return await form.restart(update, context, entry)


async def _gone(update: Update, context: Ctx, form: Form) -> int:
    t = tr(update, context)
    await reply(
        update,
        t(
            N_("这份草稿已不存在（已保存、已放弃或已过期）。需要时请{reopen}。"),
            reopen=t(form.reopen),
        ),
        edit=False,
    )
    return ConversationHandler.END


def resume_states(form: Form) -> dict[object, Handlers]:
    """The state in which ``offer_resume`` waits, for the form's ``states``."""
    return {
        RESUME_STATE: [
            CallbackQueryHandler(partial(_resume, form), pattern=RESUME.pattern),
            CallbackQueryHandler(partial(_discard, form), pattern=DISCARD.pattern),
        ]
    }


# --- leaving ------------------------------------------------------------------------------------


def drop_drafts(context: Ctx) -> None:
    """Drops what conversations left behind, but the drafts of forms (see ``forget``)."""
    if context.user_data is None:
        return
    forms = {f.key for f in FORMS.values()}
    for key in [k for k in context.user_data if str(k).startswith(DRAFT_PREFIXES)]:
        if key not in forms:
            del context.user_data[key]


def _belongs(key: str, name: str) -> bool:
    return key == f"draft:{name}" or key.startswith(f"_{name}")


def drop_other_drafts(context: Ctx, name: str) -> None:
    """Drops what conversations other than ``name`` left behind (see :func:`one_at_a_time`);
    forms' drafts stay, to be offered back."""
    if context.user_data is None:
        return
    forms = {f.key for f in FORMS.values()}
    for key in [k for k in context.user_data if str(k).startswith(DRAFT_PREFIXES)]:
        if not _belongs(str(key), name) and key not in forms:
            del context.user_data[key]


def _kept_note(update: Update, context: Ctx, form: Form | None) -> str:
    """ "草稿已保留…" when leaving a form whose draft is worth offering back, else ""."""
    if form is None:
        return ""
    draft = draft_of(context, form)
    if draft is None or form.filled(draft) == 0:
        return ""
    t = tr(update, context)
    return t(
        N_("“{title}”的草稿已保留至 {until}；需要时{reopen}，即可继续填写。"),
        title=t(form.title),
        until=drafts.expires_at(_touched(draft)),
        reopen=t(form.reopen),
    )


async def cancel(update: Update, context: Ctx, form: Form | None = None) -> int:
    """/cancel at any step: drafts are dropped (the form's own too), nothing half-saved."""
    drop_drafts(context)
    if form is not None:
        forget(context, form)
    await reply(
        update,
        tr(update, context)(N_("已取消。发送 /menu 打开功能列表，或 /help 查看命令。")),
        edit=False,
    )
    return ConversationHandler.END


async def timed_out(update: object, context: Ctx, form: Form | None = None) -> None:
    """After TIMEOUT of silence: the user is told; a form's draft is kept, any other dropped."""
    drop_drafts(context)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    t = tr(update, context)
    kept = _kept_note(update, context, form)
    if kept:
        text = t(N_("操作长时间未继续，已暂停。")) + "\n" + kept
    else:
        if form is not None:
            forget(context, form)
        text = t(N_("操作长时间未继续，已自动取消。需要时请重新开始。"))
    await update.effective_chat.send_message(text)


async def leave(update: Update, context: Ctx, form: Form | None = None) -> int:
    """离开 (the button offered when an older button was pressed): the step ends, a form's draft
    is kept; the older button then works when pressed again."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    drop_drafts(context)
    t = tr(update, context)
    kept = _kept_note(update, context, form)
    if form is not None and not kept:
        forget(context, form)
    text = "\n".join(filter(None, [t(N_("已离开当前操作。需要时请再按一次刚才的按钮。")), kept]))
    await reply(update, text, edit=False)
    return ConversationHandler.END


async def reask(update: Update, context: Ctx, form: Form) -> object:
    """重新显示此项: the open step asked again (its message may be far up the chat)."""
    assert update.callback_query is not None
    if REASK.parse_word(update.callback_query.data) != form.name:
        await unexpected(update, context, form)
        return None
    await update.callback_query.answer()
    if draft_of(context, form) is None:
        return await _gone(update, context, form)
    return await form.resume(update, context)


async def back(update: Update, context: Ctx, form: Form) -> object:
    """◀ 上一项, honoured only from the step it was shown on (an older one is an older button)."""
    assert update.callback_query is not None
    name, step = (str(v) for v in BACK.parse(update.callback_query.data))
    if name != form.name or draft_of(context, form) is None or step != open_step(context, form):
        await unexpected(update, context, form)
        return None
    await update.callback_query.answer()
    return await form.back(update, context)


async def unexpected(update: Update, context: Ctx, form: Form | None = None) -> None:
    """Input the current step cannot use: say which step is open and offer to leave it; the
    step stays where it was."""
    t = tr(update, context)
    if update.callback_query is not None:
        await update.callback_query.answer(t(N_("这个按钮已失效。")), show_alert=False)
    draft = draft_of(context, form) if form is not None else None
    if form is None or draft is None:
        keyboard = None
        if update.callback_query is not None:
            keyboard = rows([button(t(N_("离开当前操作")), LEAVE.encode())])
        await reply(
            update, t(N_("请按上面的提示输入，或发送 /cancel 取消当前操作。")), keyboard, edit=False
        )
        return
    label = str(draft[META].get("label") or "")
    text = t(
        N_("您正在填写“{title}”，当前这一步：{step}。请按这一步的提示输入，或："),
        title=t(form.title),
        step=t(label) if label else t(N_("核对信息")),
    )
    keyboard = rows(
        [
            button(t(N_("重新显示这一步")), REASK.encode(form.name)),
            button(t(N_("离开（草稿保留）")), LEAVE.encode()),
        ]
    )
    await reply(update, text, keyboard, edit=False)


DIRECT_COMMANDS_KEY = "cebot.direct_commands"
"""bot_data key of {command: callback} for commands that start no conversation (bot/app.py)."""


async def leave_for_command(update: Update, context: Ctx, form: Form | None = None) -> int:
    """A command in the middle of a conversation ends it; plain commands then run as usual.

    A form's draft is kept (and the person told so), to be offered back when it is opened
    again. A command that starts another conversation is asked for again: PTB hands an update
    to one conversation only, and this one has just consumed it.

    The conversation ends even when the command refuses (not logged in, not permitted): its
    error goes to the error handler, which answers it as always. Raising it from here would keep
    the conversation in its step with the draft already dropped, and the next message would
    meet a step without its draft.
    """
    drop_drafts(context)
    assert update.message is not None and update.message.text is not None
    name = update.message.text.split()[0][1:].split("@")[0].lower()
    direct = context.application.bot_data.get(DIRECT_COMMANDS_KEY, {})
    kept = _kept_note(update, context, form)
    if form is not None and not kept:
        forget(context, form)
    try:
        if kept:
            await reply(update, kept, edit=False)
        if name in direct:
            await direct[name](update, context)
        else:
            t = tr(update, context)
            await reply(
                update, t(N_("已退出当前操作。请再发送一次 /{command}。"), command=name), edit=False
            )
    except Exception as error:
        await context.application.process_error(update, error)
    return ConversationHandler.END


def fallbacks(form: Form | None = None) -> Handlers:
    def bound(
        callback: Callable[..., Coroutine[Any, Any, Any]],
    ) -> Callable[[Update, Ctx], Coroutine[Any, Any, Any]]:
        return partial(callback, form=form)

    handlers: Handlers = [
        CommandHandler("cancel", bound(cancel)),
        MessageHandler(filters.COMMAND, bound(leave_for_command)),
        CallbackQueryHandler(bound(leave), pattern=LEAVE.pattern),
    ]
    if form is not None:
        handlers += [
            CallbackQueryHandler(partial(back, form=form), pattern=BACK.pattern),
            CallbackQueryHandler(partial(reask, form=form), pattern=REASK.pattern),
        ]
    return [
        *handlers,
        MessageHandler(filters.ALL, bound(unexpected)),
        CallbackQueryHandler(bound(unexpected)),
    ]


def timeout_handlers(form: Form | None = None) -> dict[object, Handlers]:
    return {ConversationHandler.TIMEOUT: [TypeHandler(Update, partial(timed_out, form=form))]}


# --- one conversation at a time, and what a restart forgot ------------------------------------


def _conversations(app: App) -> list[ConversationHandler[Ctx]]:
    return [
        h
        for handlers in app.handlers.values()
        for h in handlers
        if isinstance(h, ConversationHandler) and h.name
    ]


def _end_state(handler: ConversationHandler[Ctx], update: Update) -> bool:
    """Ends ``handler``'s conversation with the person of ``update``; whether one was open.

    python-telegram-bot offers no public way to end a conversation from outside it; its own
    time-out does exactly this (``_update_state(END, key)``, persisted on the next write).
    """
    key = handler._get_key(update)
    if handler._conversations.get(key) is None:
        return False
    job = handler.timeout_jobs.pop(key, None)
    if job is not None:
        job.schedule_removal()
    handler._update_state(ConversationHandler.END, key)
    return True


def one_at_a_time(app: App) -> None:
    """Starting a conversation ends any other one (a form's draft is kept).

    PTB hands an update to the first conversation that claims it, in the order they were added:
    a command or button that starts /password (added early) never reaches the review
    conversation (added late) waiting for a reason, whose fallback would have ended it. That step
    stayed open, and the reviewer's next message, whatever it said, became the reason. Now the
    other conversation is ended when this one starts, and its draft dropped (a form's kept).
    Applied to every conversation's entry points once all are added (``install``).
    """
    handlers = _conversations(app)
    for handler in handlers:
        others = [h for h in handlers if h is not handler]
        for entry in handler.entry_points:
            entry.callback = _first_leaving_others(handler.name or "", others, entry.callback)


def _first_leaving_others(
    name: str,
    others: list[ConversationHandler[Ctx]],
    callback: Callable[[Update, Ctx], Awaitable[object]],
) -> Callable[[Update, Ctx], Coroutine[Any, Any, object]]:
    async def entered(update: Update, context: Ctx) -> object:
        for other in others:
            _end_state(other, update)
        drop_other_drafts(context, name)
        if context.user_data is not None:
            context.user_data[SEEN_KEY] = _now(context).isoformat()
        return await callback(update, context)

    return entered


def _end_idle_steps(
    update: Update,
    context: Ctx,
    handlers: list[ConversationHandler[Ctx]],
    now: datetime,
) -> list[str]:
    """Ends the person's open step when their last update in it is older than ``TIMEOUT``.

    ``SEEN_KEY`` is set when a conversation starts (every entry point, ``one_at_a_time``) and
    refreshed at most every ``SEEN_EVERY`` while it is open, so a screen outside any
    conversation writes nothing (a write would queue behind any writer of the database).
    """
    assert context.user_data is not None
    open_now = [h for h in handlers if h._conversations.get(h._get_key(update)) is not None]
    seen = context.user_data.get(SEEN_KEY)
    if not open_now:
        return []  # left as it is: an update outside any conversation writes nothing
    last = datetime.fromisoformat(seen) if isinstance(seen, str) else None
    if last is None or now - last >= SEEN_EVERY:
        context.user_data[SEEN_KEY] = now.isoformat()
    if last is None or now - last < TIMEOUT:
        return []
    for handler in open_now:
        _end_state(handler, update)
    context.user_data.pop(SEEN_KEY, None)
    drop_drafts(context)
    t = tr(update, context)
    kept = [_kept_note(update, context, FORMS.get(h.name or "")) for h in open_now]
    return ["\n".join(filter(None, [t(N_("上次的操作长时间未继续，已结束。")), *kept]))]


SEEN_EVERY = timedelta(minutes=5)
SWEEP_GROUP = -3
LABEL_GROUP = -2


async def sweep(update: Update, context: Ctx) -> None:
    """Before anything else sees an update of a person (``SWEEP_GROUP``): drops their forms'
    expired drafts, and ends a step left open longer than ``TIMEOUT`` (a restart loses
    python-telegram-bot's time-outs, which would leave it open for ever). Also points
    ``reply`` at the chat's record of its current screen (``typed_label``)."""
    if context.chat_data is not None:
        show_screens_in(context.chat_data)
    if context.user_data is None or update.effective_user is None:
        return
    now = _now(context)
    handlers = _conversations(application(context))
    notes: list[str] = []
    t = tr(update, context)
    for found in FORMS.values():
        draft = draft_of(context, found)
        if draft is not None and drafts.age(_touched(draft), now) is drafts.DraftAge.EXPIRED:
            forget(context, found)
            for handler in handlers:
                if handler.name == found.name and update.effective_chat is not None:
                    _end_state(handler, update)
            if found.filled(draft):
                notes.append(
                    t(
                        N_("您未完成的“{title}”草稿已超过三天未修改，已自动放弃。"),
                        title=t(found.title),
                    )
                )
    if update.effective_chat is not None:
        notes += _end_idle_steps(update, context, handlers, now)
    if notes and update.effective_chat is not None:
        await update.effective_chat.send_message("\n".join(notes))


# --- typed text as a button press ----------------------------------------------------------------


def _plain(text: str) -> str:
    """A label as a person would type it: no emoji, arrows or spaces, case-folded."""
    return "".join(
        ch
        for ch in unicodedata.normalize("NFKC", text)
        if not unicodedata.category(ch).startswith(("S", "Z", "C"))
    ).casefold()


def matching_button(typed: str, buttons: list[tuple[str, str]]) -> str | None:
    """The callback data of the button ``typed`` names: its label exactly (emoji and spaces
    aside), or else the one label it begins (two characters at least: 确认 for ✅ 确认注册)."""
    wanted = _plain(typed)
    if not wanted:
        return None
    exact = [data for label, data in buttons if _plain(label) == wanted]
    if exact:
        return exact[0] if len(set(exact)) == 1 else None
    if len(wanted) < 2:
        return None
    begun = {data for label, data in buttons if _plain(label).startswith(wanted)}
    return begun.pop() if len(begun) == 1 else None


class TypedPress(CallbackQuery):
    """A press made by typing a button's label: there is no query at Telegram to answer, so
    an answer's text (an alert) is sent to the chat instead."""

    async def answer(self, text: str | None = None, *args: Any, **kwargs: Any) -> bool:
        if text and self.message is not None:
            await self.get_bot().send_message(self.message.chat.id, text)
        return True


async def typed_label(update: Update, context: Ctx) -> None:
    """Text equal to a button of the current screen (``runtime.SCREEN_KEY``, the last keyboard
    ``reply`` showed in this chat) is handled as that button's press: same callback data,
    checked again by its handler as every press is. Other text goes on as usual."""
    message = update.message
    if message is None or message.text is None or context.chat_data is None:
        return
    screen = context.chat_data.get(SCREEN_KEY)
    if not isinstance(screen, dict) or update.effective_user is None:
        return
    buttons = [(str(label), str(data)) for label, data in screen.get("buttons", [])]
    data = matching_button(message.text, buttons)
    if data is None:
        return
    shown = Message(message_id=int(screen["message_id"]), date=message.date, chat=message.chat)
    shown.set_bot(context.bot)
    press = TypedPress(
        id=f"typed-{update.update_id}",
        from_user=update.effective_user,
        chat_instance=str(message.chat.id),
        message=shown,
        data=data,
    )
    press.set_bot(context.bot)
    await context.application.process_update(Update(update.update_id, callback_query=press))
    raise ApplicationHandlerStop


def install(app: App) -> None:
    """Once every handler is added (``bot.app.install_handlers``)."""
    one_at_a_time(app)
    app.add_handler(TypeHandler(Update, sweep), group=SWEEP_GROUP)
    app.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, typed_label),
        group=LABEL_GROUP,
    )
