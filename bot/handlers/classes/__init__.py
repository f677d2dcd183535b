"""培训班管理 (/classes): the base's classes, declaring and editing one, and its way through review.

``callbacks`` declares every button and step; ``listing`` is the list and its filters; ``card``
a class's card, whose buttons the domain decides (``classes.class_actions``) and ``moves``
carries out; ``form`` declares or edits a class field by field; ``plan`` takes and gives the
plan file. Every button re-resolves the actor and lets the services check the class belongs to
their base.
"""

from __future__ import annotations

from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.handlers import conversation
from bot.handlers.classes import card, form, listing, moves, plan
from bot.handlers.classes.callbacks import (
    CARD,
    COPY,
    COPY_TO,
    DELETE,
    DELETE_OK,
    EDIT,
    FIX,
    LIST,
    NEW,
    PICK_STATUS,
    PICK_YEAR,
    PLAN,
    SAVE,
    SUBMIT,
    VALUE,
    WITHDRAW,
    State,
)
from bot.handlers.classes.card import history_text
from bot.handlers.classes.listing import show
from bot.handlers.menu import MENU_OPEN
from bot.runtime import App, Ctx

__all__ = ["build", "history_text", "register", "show"]


def build() -> ConversationHandler[Ctx]:
    return ConversationHandler(
        name="classes",
        persistent=True,
        entry_points=[
            CallbackQueryHandler(form.start_declare, pattern=NEW.pattern),
            CallbackQueryHandler(form.start_edit, pattern=EDIT.pattern),
        ],
        states={
            State.ASK: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, form.on_text),
                MessageHandler(filters.Document.ALL, plan.on_document),
                CallbackQueryHandler(form.on_value, pattern=VALUE.pattern),
            ],
            State.SUMMARY: [
                CallbackQueryHandler(form.on_fix, pattern=FIX.pattern),
                CallbackQueryHandler(form.on_save, pattern=SAVE.pattern),
            ],
            **conversation.resume_states(form.FORM),
            **conversation.timeout_handlers(form.FORM),
        },
        fallbacks=conversation.fallbacks(form.FORM),
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: App) -> None:
    app.add_handler(build())
    app.add_handler(CommandHandler("classes", show))
    app.add_handler(CallbackQueryHandler(show, pattern=f"^{MENU_OPEN.encode('classes')}$"))
    for action, callback in (
        (LIST, listing.on_list),
        (PICK_YEAR, listing.pick_year),
        (PICK_STATUS, listing.pick_status),
        (CARD, card.on_card),
        (SUBMIT, moves.on_submit),
        (WITHDRAW, moves.on_withdraw),
        (DELETE, moves.on_delete),
        (DELETE_OK, moves.on_delete_ok),
        (COPY, moves.on_copy),
        (COPY_TO, moves.on_copy_to),
        (PLAN, plan.on_plan),
    ):
        app.add_handler(CallbackQueryHandler(callback, pattern=action.pattern))
