"""What every conversation shares: /cancel, the timeout, and an answer to unexpected input."""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any, TypeAlias

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.i18n import N_
from bot.runtime import App, Ctx, reply, tr

# Conversations are tracked per user and chat, not per message: a button pressed in a
# conversation belongs to that user's current step, which is what we want. PTB warns about it.
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)

Handlers: TypeAlias = list[BaseHandler[Update, Ctx, object]]
"""What a ConversationHandler takes as its entry points, one state's handlers or its fallbacks."""

TIMEOUT = timedelta(minutes=30)
"""Long enough to find a document on a desk, short enough that a draft does not linger."""

DRAFT_PREFIXES = ("draft:", "_")
"""``user_data`` keys a conversation may leave behind: ``draft:<feature>`` (persisted, encrypted)
and ``_<anything>`` (memory only). /cancel and the timeout drop all of them."""


def drop_drafts(context: Ctx) -> None:
    if context.user_data is None:
        return
    for key in [k for k in context.user_data if str(k).startswith(DRAFT_PREFIXES)]:
        del context.user_data[key]


def _belongs(key: str, name: str) -> bool:
    return key == f"draft:{name}" or key.startswith(f"_{name}")


def drop_other_drafts(context: Ctx, name: str) -> None:
    """Drops what conversations other than ``name`` left behind (see :func:`one_at_a_time`)."""
    if context.user_data is None:
        return
    for key in [k for k in context.user_data if str(k).startswith(DRAFT_PREFIXES)]:
        if not _belongs(str(key), name):
            del context.user_data[key]


def one_at_a_time(app: App) -> None:
    """Starting a conversation drops the drafts of any other one.

    PTB hands an update to the first conversation that claims it, in the order they were added:
    a command or button that starts /password (added early) never reaches the review
    conversation (added late) waiting for a reason, whose fallback would have ended it. That step
    stays open, and the reviewer's next message, whatever it said, became the reason. With its
    draft gone, the step ends politely instead (every step checks its draft). Applied to every
    conversation's entry points once all are added (``bot.app.install_handlers``).
    """
    for handlers in app.handlers.values():
        for handler in handlers:
            if isinstance(handler, ConversationHandler) and handler.name:
                for entry in handler.entry_points:
                    entry.callback = _first_dropping_others(handler.name, entry.callback)


def _first_dropping_others(
    name: str, callback: Callable[[Update, Ctx], Awaitable[object]]
) -> Callable[[Update, Ctx], Coroutine[Any, Any, object]]:
    async def entered(update: Update, context: Ctx) -> object:
        drop_other_drafts(context, name)
        return await callback(update, context)

    return entered


async def cancel(update: Update, context: Ctx) -> int:
    """/cancel at any step: drafts are dropped, nothing half-saved."""
    drop_drafts(context)
    await reply(
        update,
        tr(update, context)(N_("已取消。发送 /menu 打开功能列表，或 /help 查看命令。")),
        edit=False,
    )
    return ConversationHandler.END


async def timed_out(update: object, context: Ctx) -> None:
    """After TIMEOUT of silence: the user is told, the draft dropped."""
    drop_drafts(context)
    if isinstance(update, Update) and update.effective_chat is not None:
        text = tr(update, context)(N_("操作长时间未继续，已自动取消。需要时请重新开始。"))
        await update.effective_chat.send_message(text)


async def unexpected(update: Update, context: Ctx) -> None:
    """Input the current step cannot use: say what is expected; the step stays where it was."""
    t = tr(update, context)
    if update.callback_query is not None:
        await update.callback_query.answer(t(N_("这个按钮已失效。")), show_alert=False)
    await reply(update, t(N_("请按上面的提示输入，或发送 /cancel 取消当前操作。")), edit=False)


DIRECT_COMMANDS_KEY = "cebot.direct_commands"
"""bot_data key of {command: callback} for commands that start no conversation (bot/app.py)."""


async def leave_for_command(update: Update, context: Ctx) -> int:
    """A command in the middle of a conversation ends it; plain commands then run as usual.

    A command that starts another conversation is asked for again: PTB hands an update to one
    conversation only, and this one has just consumed it.

    The conversation ends even when the command refuses (not logged in, not permitted): its
    error goes to the error handler, which answers it as always. Raising it from here would keep
    the conversation in its step with the draft already dropped, and the next message would
    meet a step without its draft.
    """
    drop_drafts(context)
    assert update.message is not None and update.message.text is not None
    name = update.message.text.split()[0][1:].split("@")[0].lower()
    direct = context.application.bot_data.get(DIRECT_COMMANDS_KEY, {})
    try:
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


def fallbacks() -> Handlers:
    return [
        CommandHandler("cancel", cancel),
        MessageHandler(filters.COMMAND, leave_for_command),
        MessageHandler(filters.ALL, unexpected),
        CallbackQueryHandler(unexpected),
    ]


def timeout_handlers() -> dict[object, Handlers]:
    return {ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)]}
