"""添加已有用户: found by ID-card number, confirmed by name and masked number; then the role."""

from __future__ import annotations

from telegram import Update

from bot.handlers.admins.adding import offer_roles, start
from bot.handlers.admins.callbacks import ABORT, PERSON_OK, State
from bot.handlers.admins.drafts import STEP_GONE, draft_of
from bot.i18n import N_
from bot.keyboards import button, column
from bot.runtime import Ctx, acting, delete_user_message, reply, services, tr
from domain.errors import DomainError
from domain.services import admins


async def begin_existing(update: Update, context: Ctx) -> State:
    """添加已有用户: found by ID-card number."""
    await start(update, context, "existing")
    t = tr(update, context)
    await reply(
        update,
        t(
            N_(
                "添加已有用户（随时发送 /cancel 取消）。\n"
                "请输入该用户的身份证号码。该消息读取后会立即删除："
            )
        ),
        edit=False,
    )
    return State.FIND


async def typed_find(update: Update, context: Ctx) -> State:
    """FIND: deleted at once; only the name and the masked number are shown to confirm."""
    assert update.message is not None and update.message.text is not None
    raw = update.message.text
    await delete_user_message(update)
    draft = draft_of(context, "existing")
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        match = await admins.find_person_to_add(uow, svc.clock, actor, raw)
    draft.update(user_id=match.user_id, name=match.name, masked=match.masked_id_number)
    t = tr(update, context)
    keyboard = column(
        [
            button(t(N_("确认添加")), PERSON_OK.encode()),
            button(t(N_("取消")), ABORT.encode()),
        ]
    )
    await reply(
        update,
        t(
            N_("找到用户：\n姓名：{name}\n身份证号码：{id_number}\n确认将其添加为本基地管理员吗？"),
            name=match.name,
            id_number=match.masked_id_number,
        ),
        keyboard,
        edit=False,
    )
    return State.CONFIRM_PERSON


async def person_confirmed(update: Update, context: Ctx) -> State:
    """CONFIRM_PERSON: on to the role."""
    assert update.callback_query is not None
    draft = draft_of(context, "existing")
    if "user_id" not in draft:
        raise DomainError(STEP_GONE)
    await update.callback_query.answer()
    return await offer_roles(update, context, draft["name"])
