"""/review (主管部门审核): what waits for the reviewer, kind by kind, and a decision on each.

待审核事项 counts what waits of each kind (training classes, learners' scores, annual
submissions) and opens that kind's queue (paged, longest waiting first); an item's card approves
it or returns it with a reason. The flow is one (``screens.py``, ``decisions.py``), run for each
``KindView`` of ``kinds.KINDS``; the buttons' data are declared in ``buttons.py``.
"""

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
    filters,
)

from bot.callbacks import CallbackAction
from bot.handlers import conversation
from bot.handlers.menu import REVIEW_HOME
from bot.handlers.review.buttons import OVERVIEW
from bot.handlers.review.decisions import State, approve, ask_reason, typed_reason
from bot.handlers.review.kinds import KINDS
from bot.handlers.review.screens import command, download, from_menu, open_item, queue_page
from bot.runtime import App, Ctx

__all__ = ["build", "command", "register"]

Handler = Callable[[Update, Ctx], Coroutine[Any, Any, Any]]


def _navigation() -> list[tuple[CallbackAction, Handler]]:
    """Buttons that only show something: the overview, each kind's queue and its items."""
    found: list[tuple[CallbackAction, Handler]] = [(OVERVIEW, from_menu)]
    for view in KINDS:
        found += [
            (view.buttons.queue, partial(queue_page, view)),
            (view.buttons.open, partial(open_item, view)),
        ]
    return found


def _leaving(callback: Handler) -> Callable[[Update, Ctx], Coroutine[Any, Any, int]]:
    """A way out of the reason step (the overview, a queue, an item): the return is abandoned."""

    async def leave(update: Update, context: Ctx) -> int:
        conversation.drop_drafts(context)
        await callback(update, context)
        return ConversationHandler.END

    return leave


def build() -> ConversationHandler[Ctx]:
    text = filters.TEXT & ~filters.COMMAND
    leaving: conversation.Handlers = [
        CallbackQueryHandler(_leaving(callback), pattern=action.pattern)
        for action, callback in _navigation()
    ]
    return ConversationHandler(
        name="review",
        persistent=True,
        entry_points=[
            CallbackQueryHandler(partial(ask_reason, view), pattern=view.buttons.give_back.pattern)
            for view in KINDS
        ],
        states={
            State.REASON: [MessageHandler(text, typed_reason), *leaving],
            **conversation.timeout_handlers(),
        },
        fallbacks=conversation.fallbacks(),
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: App) -> None:
    app.add_handler(build())
    app.add_handler(CommandHandler("review", command))
    app.add_handler(CallbackQueryHandler(from_menu, pattern=f"^{REVIEW_HOME}$"))
    for action, callback in _navigation():
        app.add_handler(CallbackQueryHandler(callback, pattern=action.pattern))
    for view in KINDS:
        app.add_handler(
            CallbackQueryHandler(partial(approve, view), pattern=view.buttons.approve.pattern)
        )
        app.add_handler(
            CallbackQueryHandler(partial(download, view), pattern=view.buttons.download.pattern)
        )
