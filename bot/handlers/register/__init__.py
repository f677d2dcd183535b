"""/register (注册): the base and its first admin, field by field, validated as typed.

A form (``conversation.Form``): the draft lives in ``user_data`` (persisted encrypted), survives
commands and restarts, is offered back when /register is sent again, and every step has
◀ 上一项. Passwords are hashed the moment they are read and the message deleted.

A person who already administers a base registers another with their own account: at the
ID-card number they prove who they are with their password (counted as at login), and the new
base joins their bases.

One module per sub-flow: :mod:`.callbacks` states and callback data; :mod:`.fields` what is
asked; :mod:`.draft` the draft as data; :mod:`.form` asking, moving on, ◀ 上一项 and resuming;
:mod:`.answers` the typed and picked answers; :mod:`.existing_account` the proof of an existing
account; :mod:`.summary` and :mod:`.confirming` the summary and its buttons. Here they are wired
into python-telegram-bot.
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
from bot.handlers.register.answers import (
    picked_region,
    typed_field,
    typed_password,
    typed_password_again,
    typed_region,
)
from bot.handlers.register.callbacks import (
    ABORT,
    AGAIN_STEP,
    CONFIRM,
    DRAFT_KEY,
    EDIT_FIELD,
    PASSWORD_STEP,
    PROVE_STEP,
    REGION_PICK,
    STEP_GONE,
    SUMMARY_STEP,
    State,
)
from bot.handlers.register.confirming import abort, confirm, edit_field
from bot.handlers.register.existing_account import typed_proof
from bot.handlers.register.fields import (
    BASE_KEYS,
    FIELDS,
    FIELDS_BY_KEY,
    PASSWORD_AGAIN_PROMPT,
    PASSWORD_PROMPT,
    PROVE_PROMPT,
    STEP_LABELS,
    Field,
)
from bot.handlers.register.form import FORM, begin
from bot.runtime import App, Ctx

__all__ = [
    "ABORT",
    "AGAIN_STEP",
    "BASE_KEYS",
    "CONFIRM",
    "DRAFT_KEY",
    "EDIT_FIELD",
    "FIELDS",
    "FIELDS_BY_KEY",
    "FORM",
    "PASSWORD_AGAIN_PROMPT",
    "PASSWORD_PROMPT",
    "PASSWORD_STEP",
    "PROVE_PROMPT",
    "PROVE_STEP",
    "REGION_PICK",
    "STEP_GONE",
    "STEP_LABELS",
    "SUMMARY_STEP",
    "Field",
    "State",
    "abort",
    "begin",
    "build",
    "confirm",
    "edit_field",
    "picked_region",
    "register",
    "typed_field",
    "typed_password",
    "typed_password_again",
    "typed_proof",
    "typed_region",
]


def build() -> ConversationHandler[Ctx]:
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        name="register",
        persistent=True,
        entry_points=[CommandHandler("register", begin)],
        states={
            State.FIELD: [MessageHandler(text, typed_field)],
            State.REGION: [
                CallbackQueryHandler(picked_region, pattern=REGION_PICK.pattern),
                MessageHandler(text, typed_region),
            ],
            State.PASSWORD: [MessageHandler(text, typed_password)],
            State.PASSWORD_AGAIN: [MessageHandler(text, typed_password_again)],
            State.PROVE: [MessageHandler(text, typed_proof)],
            State.CONFIRM: [
                CallbackQueryHandler(edit_field, pattern=EDIT_FIELD.pattern),
                CallbackQueryHandler(confirm, pattern=CONFIRM.pattern),
                CallbackQueryHandler(abort, pattern=ABORT.pattern),
            ],
            **conversation.resume_states(FORM),
            **conversation.timeout_handlers(FORM),
        },
        fallbacks=conversation.fallbacks(FORM),
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: App) -> None:
    app.add_handler(build())
