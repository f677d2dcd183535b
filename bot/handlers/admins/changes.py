"""What an admin's card changes: their role, or their place at the base (deleted, after asking)."""

from __future__ import annotations

from telegram import Update

from bot.handlers.admins.callbacks import CARD, DELETE, DELETE_OK, ROLES, SET_ROLE
from bot.handlers.admins.listing import show_list
from bot.handlers.admins.views import card_keyboard, card_text, role_label, roles_keyboard
from bot.i18n import N_
from bot.keyboards import button, column
from bot.runtime import Ctx, acting, application, reply, services, tr
from bot.scheduling import dispatch_soon
from domain.services import admins


async def choose_role(update: Update, context: Ctx) -> None:
    """更换角色: the base's roles that the actor may hand out, and 无角色."""
    assert update.callback_query is not None
    membership_id = ROLES.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        view, roles = await admins.role_choice(uow, actor, membership_id)
    await update.callback_query.answer()
    t = tr(update, context)
    buttons = roles_keyboard(roles, SET_ROLE, t, membership_id, current=view.role_id)
    buttons.append(button(t(N_("返回")), CARD.encode(membership_id)))
    await reply(
        update,
        t(N_("为 {name} 选择角色（当前：{role}）："), name=view.name, role=role_label(view, t)),
        column(buttons),
    )


async def set_role(update: Update, context: Ctx) -> None:
    """A role button: the domain checks that both the admin and the role are the base's own."""
    assert update.callback_query is not None
    membership_id, role_id = SET_ROLE.parse(update.callback_query.data)
    assert isinstance(membership_id, int) and isinstance(role_id, int)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        view = await admins.change_role(uow, svc.clock, actor, membership_id, role_id or None)
    await update.callback_query.answer()
    dispatch_soon(application(context))  # the admin is told of the new role
    t = tr(update, context)
    note = t(N_("已将 {name} 的角色更换为：{role}"), name=view.name, role=role_label(view, t))
    await reply(update, note + "\n\n" + card_text(view, t), card_keyboard(view, actor, t))


async def ask_delete(update: Update, context: Ctx) -> None:
    """删除: refused at once for the super admin and oneself; otherwise a confirmation."""
    assert update.callback_query is not None
    membership_id = DELETE.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        view = await admins.removal_preview(uow, actor, membership_id)
    await update.callback_query.answer()
    t = tr(update, context)
    keyboard = column(
        [
            button(t(N_("确认删除")), DELETE_OK.encode(membership_id)),
            button(t(N_("取消")), CARD.encode(membership_id)),
        ]
    )
    await reply(
        update,
        t(
            N_("确定删除管理员 {name}（{id_number}）吗？删除后其在本基地的权限和登录立即失效。"),
            name=view.name,
            id_number=view.masked_id_number,
        ),
        keyboard,
    )


async def delete(update: Update, context: Ctx) -> None:
    """确认删除: the membership goes, with that person's sessions on this base."""
    assert update.callback_query is not None
    membership_id = DELETE_OK.parse_id(update.callback_query.data)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        view = await admins.removal_preview(uow, actor, membership_id)
        await admins.remove_admin(uow, svc.clock, actor, membership_id)
    await update.callback_query.answer()
    dispatch_soon(application(context))  # the admin is told they were removed
    t = tr(update, context)
    await show_list(update, context, 0, t(N_("已删除管理员 {name}。"), name=view.name))
