"""Leaving a conversation: /cancel, 离开, a command, the time-out, and the fallbacks and
time-out handlers every conversation is built with. A form's draft is kept (and the person told
so) except by /cancel; anything else a conversation left behind is dropped."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.handlers.conversation.callbacks import BACK, LEAVE, REASK, Handlers
from bot.handlers.conversation.forms import FORMS, Form, forget, kept_note
from bot.handlers.conversation.older_buttons import back, reask, unexpected
from bot.i18n import N_
from bot.runtime import Ctx, reply, tr

DRAFT_PREFIXES = ("draft:", "_")
"""``user_data`` keys a conversation may leave behind: ``draft:<feature>`` (persisted, encrypted)
and ``_<anything>`` (memory only). /cancel and the timeout drop them, but a form's draft
(``draft:<form>``), which only the form itself, /cancel in it or its expiry drops."""

DIRECT_COMMANDS_KEY = "cebot.direct_commands"
"""bot_data key of {command: callback} for commands that start no conversation (bot/app.py)."""


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
    """Drops what conversations other than ``name`` left behind (see ``one_at_a_time``);
    forms' drafts stay, to be offered back."""
    if context.user_data is None:
        return
    forms = {f.key for f in FORMS.values()}
    for key in [k for k in context.user_data if str(k).startswith(DRAFT_PREFIXES)]:
        if not _belongs(str(key), name) and key not in forms:
            del context.user_data[key]


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
    kept = kept_note(update, context, form)
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
    kept = kept_note(update, context, form)
    if form is not None and not kept:
        forget(context, form)
    text = "\n".join(filter(None, [t(N_("已离开当前操作。需要时请再按一次刚才的按钮。")), kept]))
    await reply(update, text, edit=False)
    return ConversationHandler.END


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
    kept = kept_note(update, context, form)
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
