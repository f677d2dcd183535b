"""A role's name: asked for a new role (then its permissions) or to rename one; checked as typed."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ConversationHandler

from bot.errors import describe
from bot.handlers.roles.callbacks import RENAME, State
from bot.handlers.roles.drafts import STALE_DRAFT, answer, draft_of, drop_draft, start_draft
from bot.handlers.roles.views import (
    ASK_NAME_AGAIN,
    ASK_NEW_NAME,
    ASK_RENAME,
    card_view,
    toggle_view,
)
from bot.i18n import N_
from bot.runtime import Ctx, acting, reply, services, tr
from domain.errors import Conflict, Invalid
from domain.model import Role
from domain.services import roles


async def ask_new_name(update: Update, context: Ctx) -> State:
    """新增角色: the name first, checked as typed."""
    async with acting(update, context) as (_uow, actor):
        roles.ensure_manager(actor)
    start_draft(context, mode="create", role_id=0, name="")
    await answer(update)
    t = tr(update, context)
    await reply(update, t(ASK_NEW_NAME, max=roles.ROLE_NAME_MAX))
    return State.NAME


async def ask_rename(update: Update, context: Ctx) -> State:
    """重命名: the role is checked before its new name is asked."""
    assert update.callback_query is not None
    role_id = RENAME.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        role = await roles.get_role(uow, actor, role_id)
    start_draft(context, mode="rename", role_id=role_id, name=role.name)
    await answer(update)
    t = tr(update, context)
    await reply(update, t(ASK_RENAME, name=role.name, max=roles.ROLE_NAME_MAX))
    return State.NAME


async def typed_name(update: Update, context: Ctx) -> int:
    """NAME: a refused name keeps the step; a new role goes on to its permissions."""
    assert update.message is not None and update.message.text is not None
    draft = draft_of(context)
    t = tr(update, context)
    if draft is None or draft.get("mode") not in ("create", "rename"):
        await reply(update, t(STALE_DRAFT), edit=False)
        return ConversationHandler.END
    svc = services(context)
    renamed: Role | None = None
    try:
        async with acting(update, context) as (uow, actor):
            if draft["mode"] == "rename":
                renamed = await roles.rename_role(
                    uow, svc.clock, actor, int(draft["role_id"]), update.message.text
                )
            else:
                draft["name"] = await roles.check_role_name(uow, actor, update.message.text)
    except (Invalid, Conflict) as refused:
        await reply(update, describe(refused, t) + "\n" + t(ASK_NAME_AGAIN), edit=False)
        return State.NAME
    if renamed is not None:
        drop_draft(context)
        notice = t(N_("已将角色重命名为“{name}”。"), name=renamed.name)
        await _send_card(update, context, renamed.id or 0, notice)
        return ConversationHandler.END
    sent = await reply(update, *toggle_view(draft, t), edit=False)
    draft["message_id"] = sent.message_id if isinstance(sent, Message) else None
    return State.PERMISSIONS


async def _send_card(update: Update, context: Ctx, role_id: int, notice: str) -> None:
    async with acting(update, context) as (uow, actor):
        card = await roles.role_card(uow, actor, role_id)
    await reply(update, *card_view(card, tr(update, context), notice), edit=False)
