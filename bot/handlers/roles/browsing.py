"""The base's roles, a role's card, and deleting a role (refused while it is assigned)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from bot.errors import describe
from bot.handlers.roles.callbacks import CARD, DELETE, DELETE_OK, LIST
from bot.handlers.roles.drafts import answer, drop_draft
from bot.handlers.roles.views import card_view, list_view
from bot.i18n import N_
from bot.keyboards import button, column, rows
from bot.runtime import Ctx, acting, reply, services, tr
from domain.errors import Conflict
from domain.services import roles


async def show_list(update: Update, context: Ctx) -> int:
    """/roles, the menu button, ◀ ▶ or 返回列表: the base's roles; leaves any draft behind."""
    query = update.callback_query
    turned = query is not None and (query.data or "").startswith(f"{LIST.prefix}:")
    page = LIST.parse_id(query.data) if query is not None and turned else 0
    async with acting(update, context, readonly=True) as (uow, actor):
        found = await roles.list_roles(uow, actor)
    drop_draft(context)
    await answer(update)
    await reply(update, *list_view(found, page, tr(update, context)))
    return ConversationHandler.END


async def show_card(update: Update, context: Ctx) -> int:
    """A role button: name, permissions, holders, and what can be done with it."""
    assert update.callback_query is not None
    role_id = CARD.parse_id(update.callback_query.data)
    async with acting(update, context, readonly=True) as (uow, actor):
        card = await roles.role_card(uow, actor, role_id)
    drop_draft(context)
    await answer(update)
    await reply(update, *card_view(card, tr(update, context)))
    return ConversationHandler.END


async def ask_delete(update: Update, context: Ctx) -> int:
    """删除: confirm first; the role is checked now and again on confirmation."""
    assert update.callback_query is not None
    role_id = DELETE.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        role = await roles.get_role(uow, actor, role_id)
    drop_draft(context)
    await answer(update)
    t = tr(update, context)
    keyboard = rows(
        [
            button(t(N_("确认删除")), DELETE_OK.encode(role_id)),
            button(t(N_("返回角色")), CARD.encode(role_id)),
        ]
    )
    await reply(
        update, t(N_("确定要删除角色“{name}”吗？删除后不能恢复。"), name=role.name), keyboard
    )
    return ConversationHandler.END


async def delete(update: Update, context: Ctx) -> int:
    """确认删除: refused while the role is assigned, naming who holds it."""
    assert update.callback_query is not None
    role_id = DELETE_OK.parse_id(update.callback_query.data)
    svc = services(context)
    t = tr(update, context)
    back = button(t(N_("返回列表")), LIST.encode(0))
    try:
        async with acting(update, context) as (uow, actor):
            role = await roles.delete_role(uow, svc.clock, actor, role_id)
    except Conflict as assigned:
        await answer(update)
        await reply(
            update,
            describe(assigned, t),
            rows([button(t(N_("返回角色")), CARD.encode(role_id)), back]),
        )
        return ConversationHandler.END
    await answer(update)
    await reply(update, t(N_("已删除角色“{name}”。"), name=role.name), column([back]))
    return ConversationHandler.END
