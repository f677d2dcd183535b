"""/admins (权限管理): the base's admins, paged; a card each; add, change role, delete, hand over,
reset a password.

``callbacks`` declares every button and step; ``listing`` is the list and the card, whose buttons
the domain decides (``admins.admin_actions``); ``changes`` changes a role or deletes; ``adding``,
``new_person`` and ``existing_person`` add an admin; ``hand_over`` hands over the super admin;
``reset`` gives an admin a one-time password.
Every button carries ids only and is re-authorised by the domain on arrival (session,
admins.manage, the admin and the role belonging to the actor's base).
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
from bot.handlers.admins import (
    adding,
    changes,
    existing_person,
    hand_over,
    listing,
    new_person,
    reset,
)
from bot.handlers.admins.callbacks import (
    ABORT,
    ADD,
    ADD_EXISTING,
    ADD_NEW,
    CARD,
    DELETE,
    DELETE_OK,
    LIST,
    PERSON_OK,
    PICK_ROLE,
    RESET,
    ROLES,
    SET_ROLE,
    SUPER,
    State,
)
from bot.handlers.admins.drafts import abort
from bot.handlers.admins.listing import open_list
from bot.handlers.menu import MENU_OPEN
from bot.runtime import App, Ctx

__all__ = ["build", "open_list", "register"]


def build() -> ConversationHandler[Ctx]:
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        name="admins",
        persistent=True,
        entry_points=[
            CallbackQueryHandler(new_person.begin_new, pattern=ADD_NEW.pattern),
            CallbackQueryHandler(existing_person.begin_existing, pattern=ADD_EXISTING.pattern),
            CallbackQueryHandler(hand_over.begin_hand_over, pattern=SUPER.pattern),
            CallbackQueryHandler(reset.begin_reset, pattern=RESET.pattern),
        ],
        states={
            State.NAME: [MessageHandler(text, new_person.typed_name)],
            State.ID_NUMBER: [MessageHandler(text, new_person.typed_id_number)],
            State.MOBILE: [MessageHandler(text, new_person.typed_mobile)],
            State.PASSWORD: [MessageHandler(text, new_person.typed_password)],
            State.PASSWORD_AGAIN: [MessageHandler(text, new_person.typed_password_again)],
            State.FIND: [MessageHandler(text, existing_person.typed_find)],
            State.CONFIRM_PERSON: [
                CallbackQueryHandler(existing_person.person_confirmed, pattern=PERSON_OK.pattern)
            ],
            State.ROLE: [CallbackQueryHandler(adding.picked_role, pattern=PICK_ROLE.pattern)],
            State.SUPER_PASSWORD: [MessageHandler(text, hand_over.typed_super_password)],
            State.RESET_PASSWORD: [MessageHandler(text, reset.typed_own_password)],
            **conversation.timeout_handlers(),
        },
        fallbacks=[CallbackQueryHandler(abort, pattern=ABORT.pattern), *conversation.fallbacks()],
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: App) -> None:
    app.add_handler(build())
    app.add_handler(CommandHandler("admins", open_list))
    app.add_handler(CallbackQueryHandler(open_list, pattern=f"^{MENU_OPEN.encode('admins')}$"))
    app.add_handler(CallbackQueryHandler(listing.turn_page, pattern=LIST.pattern))
    app.add_handler(CallbackQueryHandler(listing.show_card, pattern=CARD.pattern))
    app.add_handler(CallbackQueryHandler(changes.choose_role, pattern=ROLES.pattern))
    app.add_handler(CallbackQueryHandler(changes.set_role, pattern=SET_ROLE.pattern))
    app.add_handler(CallbackQueryHandler(changes.ask_delete, pattern=DELETE.pattern))
    app.add_handler(CallbackQueryHandler(changes.delete, pattern=DELETE_OK.pattern))
    app.add_handler(CallbackQueryHandler(adding.choose_way, pattern=ADD.pattern))
