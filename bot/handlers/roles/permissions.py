"""A role's permissions as toggles, edited in place on each press; 保存 stores, 取消 drops them."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from bot.callbacks import BadCallbackData
from bot.handlers.roles.callbacks import ABORT, EDIT, LIST, PERMISSIONS, SAVE, TOGGLE, State
from bot.handlers.roles.drafts import (
    answer,
    chosen,
    drop_draft,
    pressed_draft,
    refuse_stale,
    start_draft,
)
from bot.handlers.roles.views import card_view, toggle_view
from bot.i18n import N_
from bot.keyboards import button, column
from bot.runtime import Ctx, acting, reply, services, tr
from domain.services import roles


async def edit_permissions(update: Update, context: Ctx) -> State:
    """修改权限: the same toggles, pre-filled with what the role holds now."""
    assert update.callback_query is not None and update.callback_query.message is not None
    role_id = EDIT.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        role = await roles.get_role(uow, actor, role_id)
    draft = start_draft(
        context,
        mode="edit",
        role_id=role_id,
        name=role.name,
        permissions=sorted(p.value for p in role.permissions),
        message_id=update.callback_query.message.message_id,
    )
    await answer(update)
    await reply(update, *toggle_view(draft, tr(update, context)))
    return State.PERMISSIONS


async def toggle(update: Update, context: Ctx) -> State:
    """PERMISSIONS: flips one permission in the draft; the keyboard is edited only if it changed.

    Nothing is stored yet, so no actor is needed here: 保存 resolves it and the domain checks.
    """
    query = update.callback_query
    assert query is not None and query.message is not None
    role_id, index = TOGGLE.parse(query.data)
    assert isinstance(role_id, int) and isinstance(index, int)
    if not 0 <= index < len(PERMISSIONS):
        raise BadCallbackData(query.data)
    draft = pressed_draft(update, context, role_id)
    if draft is None:
        await refuse_stale(update, context)
        return State.PERMISSIONS
    ticked = set(chosen(draft)) ^ {PERMISSIONS[index]}
    draft["permissions"] = sorted(p.value for p in ticked)
    await query.answer()
    _, keyboard = toggle_view(draft, tr(update, context))
    shown = getattr(query.message, "reply_markup", None)
    if keyboard != shown:
        await query.edit_message_reply_markup(keyboard)
    return State.PERMISSIONS


async def save(update: Update, context: Ctx) -> int:
    """保存: create_role or set_permissions; a refusal keeps the draft to correct it."""
    assert update.callback_query is not None
    role_id = SAVE.parse_id(update.callback_query.data)
    draft = pressed_draft(update, context, role_id)
    if draft is None:
        await refuse_stale(update, context)
        return State.PERMISSIONS
    svc = services(context)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        if draft["mode"] == "create":
            role = await roles.create_role(uow, svc.clock, actor, draft["name"], chosen(draft))
            notice = t(N_("已创建角色“{name}”。"), name=role.name)
        else:
            role = await roles.set_permissions(uow, svc.clock, actor, role_id, chosen(draft))
            notice = t(
                N_("已保存角色“{name}”的权限。担任此角色的管理员下一次操作时即按新权限使用。"),
                name=role.name,
            )
    drop_draft(context)
    await answer(update)
    async with acting(update, context) as (uow, actor):
        card = await roles.role_card(uow, actor, role.id or 0)
    await reply(update, *card_view(card, t, notice))
    return ConversationHandler.END


async def abort(update: Update, context: Ctx) -> int:
    """取消 on the toggles: the draft is dropped, the role untouched."""
    assert update.callback_query is not None
    role_id = ABORT.parse_id(update.callback_query.data)
    if pressed_draft(update, context, role_id) is None:
        await refuse_stale(update, context)
        return State.PERMISSIONS
    drop_draft(context)
    await answer(update)
    t = tr(update, context)
    back = column([button(t(N_("返回列表")), LIST.encode(0))])
    await reply(update, t(N_("已取消，角色未做任何修改。")), back)
    return ConversationHandler.END


async def stale_button(update: Update, context: Ctx) -> None:
    """A toggle, save or cancel after its draft ended (cancelled, saved, timed out)."""
    await refuse_stale(update, context)
