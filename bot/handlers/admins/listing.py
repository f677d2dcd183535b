"""The base's admins, paged, and an admin's card."""

from __future__ import annotations

from telegram import Update

from bot.handlers.admins.callbacks import CARD, LIST
from bot.handlers.admins.views import PAGE_SIZE, card_keyboard, card_text, list_keyboard, list_text
from bot.keyboards import page_count
from bot.runtime import Ctx, acting, reply, tr
from domain.services import admins


async def show_list(update: Update, context: Ctx, page: int, note: str | None = None) -> None:
    async with acting(update, context, readonly=True) as (uow, actor):
        views, total = await admins.list_admins(
            uow, actor, offset=page * PAGE_SIZE, limit=PAGE_SIZE
        )
        pages = page_count(total, PAGE_SIZE)
        if page >= pages:  # a stale page number after deletions: show the last page
            page = pages - 1
            views, total = await admins.list_admins(
                uow, actor, offset=page * PAGE_SIZE, limit=PAGE_SIZE
            )
    t = tr(update, context)
    text = list_text(views, total, page, pages, t)
    await reply(update, f"{note}\n\n{text}" if note else text, list_keyboard(views, page, pages, t))


async def open_list(update: Update, context: Ctx) -> None:
    """/admins or the 权限管理 menu button: the first page."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    await show_list(update, context, 0)


async def turn_page(update: Update, context: Ctx) -> None:
    """◀ ▶ and 返回列表: the page number is the only id."""
    assert update.callback_query is not None
    page = LIST.parse_id(update.callback_query.data)
    await update.callback_query.answer()
    await show_list(update, context, page)


async def show_card(update: Update, context: Ctx) -> None:
    """An admin's button: their card, if they belong to the actor's base."""
    assert update.callback_query is not None
    membership_id = CARD.parse_id(update.callback_query.data)
    async with acting(update, context, readonly=True) as (uow, actor):
        view = await admins.get_admin(uow, actor, membership_id)
    await update.callback_query.answer()
    t = tr(update, context)
    await reply(update, card_text(view, t), card_keyboard(view, actor, t))
