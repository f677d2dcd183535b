"""学员成绩管理 (/scores): approved classes, a class's score sheet, import, learners, export.

One module per sub-flow: :mod:`.sheet` (the classes and a class's sheet, the hub every other
screen returns to), :mod:`.importing` (template filled, sent back, checked, confirmed),
:mod:`.learner` (the list, one learner's card, deleting) and :mod:`.learner_form` (adding,
editing, finding one learner by typing); :mod:`.callbacks` declares the feature's callback data,
conversation states and draft. Here they are wired into python-telegram-bot.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.handlers import conversation
from bot.handlers.menu import MENU_OPEN
from bot.handlers.scores import importing, learner, learner_form, sheet
from bot.handlers.scores.callbacks import (
    ADD,
    CONFIRM,
    DELETE,
    DELETE_OK,
    EDIT,
    EXPORT,
    FIND,
    IMPORT,
    LEARNER,
    LEARNERS,
    LIST,
    SHEET,
    SUBMIT,
    SUBMIT_OK,
    TEMPLATE,
    VALUE,
    WITHDRAW,
    State,
)
from bot.handlers.scores.render import attachment_name
from bot.handlers.scores.sheet import show
from bot.runtime import App, Ctx

__all__ = ["attachment_name", "build", "register", "show"]


def build() -> ConversationHandler[Ctx]:
    text = filters.TEXT & ~filters.COMMAND
    to_sheet: BaseHandler[Update, Ctx, object] = CallbackQueryHandler(
        sheet.leave_to_sheet, pattern=SHEET.pattern
    )
    return ConversationHandler(
        name="scores",
        persistent=True,
        entry_points=[
            CallbackQueryHandler(importing.start_import, pattern=IMPORT.pattern),
            CallbackQueryHandler(learner_form.start_add, pattern=ADD.pattern),
            CallbackQueryHandler(learner_form.start_edit, pattern=EDIT.pattern),
            CallbackQueryHandler(learner_form.start_find, pattern=FIND.pattern),
        ],
        states={
            State.IMPORT_FILE: [MessageHandler(filters.Document.ALL, importing.on_file), to_sheet],
            State.IMPORT_CONFIRM: [
                CallbackQueryHandler(importing.on_confirm, pattern=CONFIRM.pattern),
                MessageHandler(filters.Document.ALL, importing.on_file),
                to_sheet,
            ],
            State.ADD: [
                MessageHandler(text, learner_form.on_add_typed),
                CallbackQueryHandler(learner_form.on_add_choice, pattern=VALUE.pattern),
                to_sheet,
            ],
            State.EDIT: [
                MessageHandler(text, learner_form.on_edit_typed),
                CallbackQueryHandler(learner_form.on_edit_choice, pattern=VALUE.pattern),
                to_sheet,
            ],
            State.FIND: [MessageHandler(text, learner_form.on_find), to_sheet],
            **conversation.timeout_handlers(),
        },
        fallbacks=conversation.fallbacks(),
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: App) -> None:
    app.add_handler(build())
    app.add_handler(CommandHandler("scores", show))
    app.add_handler(CallbackQueryHandler(show, pattern=f"^{MENU_OPEN.encode('scores')}$"))
    for action, callback in (
        (LIST, sheet.on_list),
        (SHEET, sheet.on_sheet),
        (TEMPLATE, sheet.on_template),
        (EXPORT, sheet.on_export),
        (SUBMIT, sheet.on_submit),
        (SUBMIT_OK, sheet.on_submit_ok),
        (WITHDRAW, sheet.on_withdraw),
        (LEARNERS, learner.on_learners),
        (LEARNER, learner.on_learner),
        (DELETE, learner.on_delete),
        (DELETE_OK, learner.on_delete_ok),
    ):
        app.add_handler(CallbackQueryHandler(callback, pattern=action.pattern))
