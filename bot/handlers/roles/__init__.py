"""/roles (角色管理, manual 5.1.2.1): list, create, rename, change permissions, delete a role.

``callbacks`` declares every button and step; ``browsing`` is the list, the card and deleting;
``naming`` asks a new role's name or a new name; ``permissions`` is the toggles, whose draft
(``drafts``) lives in ``user_data`` (persisted, so a restart keeps them). Every action that reads
or writes a role goes through the domain, which re-checks the permission and that the role
belongs to the actor's base.
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
from bot.handlers.menu import MENU_OPEN
from bot.handlers.roles import browsing, naming, permissions
from bot.handlers.roles.callbacks import (
    ABORT,
    ANY_ROLE_BUTTON,
    CARD,
    DELETE,
    DELETE_OK,
    EDIT,
    LIST,
    NEW,
    RENAME,
    SAVE,
    TOGGLE,
    State,
)
from bot.runtime import App, Ctx

__all__ = ["build", "register"]


def build() -> ConversationHandler[Ctx]:
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        name="roles",
        persistent=True,
        entry_points=[
            CommandHandler("roles", browsing.show_list),
            CallbackQueryHandler(browsing.show_list, pattern=f"^{MENU_OPEN.encode('roles')}$"),
            CallbackQueryHandler(browsing.show_list, pattern=LIST.pattern),
            CallbackQueryHandler(browsing.show_card, pattern=CARD.pattern),
            CallbackQueryHandler(browsing.ask_delete, pattern=DELETE.pattern),
            CallbackQueryHandler(browsing.delete, pattern=DELETE_OK.pattern),
            CallbackQueryHandler(naming.ask_new_name, pattern=NEW.pattern),
            CallbackQueryHandler(naming.ask_rename, pattern=RENAME.pattern),
            CallbackQueryHandler(permissions.edit_permissions, pattern=EDIT.pattern),
        ],
        states={
            State.NAME: [MessageHandler(text, naming.typed_name)],
            State.PERMISSIONS: [
                CallbackQueryHandler(permissions.toggle, pattern=TOGGLE.pattern),
                CallbackQueryHandler(permissions.save, pattern=SAVE.pattern),
                CallbackQueryHandler(permissions.abort, pattern=ABORT.pattern),
            ],
            **conversation.timeout_handlers(),
        },
        fallbacks=conversation.fallbacks(),
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: App) -> None:
    app.add_handler(build())
    app.add_handler(CallbackQueryHandler(permissions.stale_button, pattern=ANY_ROLE_BUTTON))
