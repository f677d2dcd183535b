"""年度培训计划 (/plan), 年度工作总结 (/summary), 年度工作材料报送 (/materials).

One module per sub-flow: :mod:`.annual` (a year's plan or summary, in versions), :mod:`.materials`
(a year's materials and one material's card) and :mod:`.material_steps` (what awaits a file or a
text for a material); :mod:`.years` is the year picker both share, :mod:`.uploads` how an
awaited file is received, :mod:`.callbacks` the feature's callback data, conversation states and
draft. Here they are wired into python-telegram-bot.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.handlers import conversation
from bot.handlers.menu import MENU_OPEN
from bot.handlers.submissions import annual, material_steps, materials, years
from bot.handlers.submissions.annual import show_plan, show_summary
from bot.handlers.submissions.callbacks import (
    DONE,
    MADD,
    MATERIAL,
    MDELETE,
    MDELETE_OK,
    MFILE,
    MKIND,
    MKINDASK,
    MLIST,
    MNEW,
    MREMOVE,
    MREPLACE,
    MSUBMIT,
    MTITLE,
    MWITHDRAW,
    OVERVIEW,
    SUBMIT,
    UPLOAD,
    VERSION,
    WITHDRAW,
    YEARS,
    State,
)
from bot.handlers.submissions.materials import show_materials
from bot.runtime import App, Ctx

__all__ = ["build", "register", "show_materials", "show_plan", "show_summary"]


def _leaving(
    screen: Callable[[Update, Ctx], Awaitable[None]],
) -> Callable[[Update, Ctx], Coroutine[Any, Any, int]]:
    """取消 or a screen's button while a step waits: the step is abandoned, the screen opens."""

    async def leave(update: Update, context: Ctx) -> int:
        conversation.drop_drafts(context)
        await screen(update, context)
        return ConversationHandler.END

    return leave


def build() -> ConversationHandler[Ctx]:
    screens: conversation.Handlers = [
        CallbackQueryHandler(_leaving(annual.on_overview), pattern=OVERVIEW.pattern),
        CallbackQueryHandler(_leaving(materials.on_material), pattern=MATERIAL.pattern),
        CallbackQueryHandler(_leaving(materials.on_material_list), pattern=MLIST.pattern),
    ]
    done: conversation.Handlers = [
        CallbackQueryHandler(material_steps.on_done, pattern=DONE.pattern)
    ]
    document, text = filters.Document.ALL, filters.TEXT & ~filters.COMMAND
    steps = material_steps
    kind = MKIND.pattern
    return ConversationHandler(
        name="submissions",
        persistent=True,
        entry_points=[
            CallbackQueryHandler(annual.start_upload, pattern=UPLOAD.pattern),
            CallbackQueryHandler(steps.start_add_file, pattern=MADD.pattern),
            CallbackQueryHandler(steps.start_replace, pattern=MREPLACE.pattern),
            CallbackQueryHandler(steps.start_new, pattern=MNEW.pattern),
            CallbackQueryHandler(steps.start_title, pattern=MTITLE.pattern),
            CallbackQueryHandler(steps.start_kind, pattern=MKINDASK.pattern),
        ],
        states={
            State.ANNUAL_FILE: [MessageHandler(document, annual.on_file), *done, *screens],
            State.FIRST_FILE: [MessageHandler(document, steps.on_first_file), *done, *screens],
            State.MATERIAL_FILE: [MessageHandler(document, steps.on_added_file), *done, *screens],
            State.REPLACEMENT: [MessageHandler(document, steps.on_replacement), *done, *screens],
            State.NEW_KIND: [CallbackQueryHandler(steps.on_new_kind, pattern=kind), *screens],
            State.NEW_TITLE: [MessageHandler(text, steps.on_new_title), *screens],
            State.KIND: [CallbackQueryHandler(steps.on_kind, pattern=kind), *screens],
            State.TITLE: [MessageHandler(text, steps.on_title), *screens],
            **conversation.timeout_handlers(),
        },
        fallbacks=conversation.fallbacks(),
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: App) -> None:
    app.add_handler(build())
    app.add_handler(CommandHandler("plan", show_plan))
    app.add_handler(CommandHandler("summary", show_summary))
    app.add_handler(CommandHandler("materials", show_materials))
    app.add_handler(CallbackQueryHandler(show_plan, pattern=f"^{MENU_OPEN.encode('plan')}$"))
    app.add_handler(CallbackQueryHandler(show_summary, pattern=f"^{MENU_OPEN.encode('summary')}$"))
    app.add_handler(
        CallbackQueryHandler(show_materials, pattern=f"^{MENU_OPEN.encode('materials')}$")
    )
    for action, callback in (
        (OVERVIEW, annual.on_overview),
        (YEARS, years.on_years),
        (VERSION, annual.on_version),
        (SUBMIT, annual.on_submit),
        (WITHDRAW, annual.on_withdraw),
        (MLIST, materials.on_material_list),
        (MATERIAL, materials.on_material),
        (MFILE, materials.on_download),
        (MREMOVE, materials.on_remove),
        (MDELETE, materials.on_delete),
        (MDELETE_OK, materials.on_delete_ok),
        (MSUBMIT, materials.on_submit),
        (MWITHDRAW, materials.on_withdraw),
    ):
        app.add_handler(CallbackQueryHandler(callback, pattern=action.pattern))
