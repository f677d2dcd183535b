"""设为超级管理员: only the super admin, and only after re-entering their password."""

from __future__ import annotations

from telegram import Update

from bot.handlers.admins.callbacks import DRAFT_KEY, SUPER, State
from bot.handlers.admins.drafts import draft_of, end
from bot.handlers.menu import MENU_SHOW
from bot.i18n import N_
from bot.keyboards import button, column
from bot.runtime import Ctx, acting, application, delete_user_message, reply, services, tr
from bot.scheduling import dispatch_soon
from domain.services import admins


async def begin_hand_over(update: Update, context: Ctx) -> State:
    """The password is asked for before anything changes; the target is checked first."""
    assert update.callback_query is not None and context.user_data is not None
    membership_id = SUPER.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        view = await admins.hand_over_preview(uow, actor, membership_id)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {"way": "super", "membership_id": membership_id}
    t = tr(update, context)
    await reply(
        update,
        t(
            N_(
                "将超级管理员移交给 {name}（{id_number}）后，您将不再拥有任何功能权限。\n"
                "如确认移交，请输入您的登录密码（该消息读取后会立即删除）；发送 /cancel 取消："
            ),
            name=view.name,
            id_number=view.masked_id_number,
        ),
        edit=False,
    )
    return State.SUPER_PASSWORD


async def typed_super_password(update: Update, context: Ctx) -> int:
    """SUPER_PASSWORD: deleted at once; a wrong one is refused and asked for again."""
    assert update.message is not None and update.message.text is not None
    password = update.message.text
    await delete_user_message(update)
    draft = draft_of(context, "super")
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        view = await admins.hand_over_super(
            uow,
            svc.hasher,
            svc.clock,
            actor,
            membership_id=draft["membership_id"],
            password=password,
        )
    dispatch_soon(application(context))  # the new super admin is told
    t = tr(update, context)
    await reply(
        update,
        t(
            N_("已将超级管理员移交给 {name}。您已不再是超级管理员，也不再拥有任何功能权限。"),
            name=view.name,
        ),
        column([button(t(N_("打开功能列表")), MENU_SHOW.encode())]),
        edit=False,
    )
    return end(context)
