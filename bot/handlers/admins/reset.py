"""重置密码: the super admin gives another admin a one-time password, after re-entering their own.

The actor's password message is deleted as soon as it is read. The one-time password is shown
once, here, and never stored in clear; the admin must change it at the next login, every session
of theirs has ended, and they are told by a notice naming the base (``admins.RESET_NOTICE``).
"""

from __future__ import annotations

from telegram import Update

from bot.handlers.admins.callbacks import DRAFT_KEY, LIST, RESET, State
from bot.handlers.admins.drafts import draft_of, end
from bot.i18n import N_
from bot.keyboards import button, column
from bot.runtime import Ctx, acting, application, delete_user_message, reply, services, tr
from bot.scheduling import dispatch_soon
from domain.services import admins


async def begin_reset(update: Update, context: Ctx) -> State:
    """Refused at once for oneself, the super admin, or an actor who is not the super admin."""
    assert update.callback_query is not None and context.user_data is not None
    membership_id = RESET.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        view = await admins.reset_preview(uow, actor, membership_id)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {"way": "reset", "membership_id": membership_id}
    t = tr(update, context)
    await reply(
        update,
        t(
            N_(
                "重置 {name}（{id_number}）的密码：系统将生成一次性初始密码，"
                "其所有登录立即退出，下次登录时必须修改密码。\n"
                "如确认重置，请输入您自己的登录密码（该消息读取后会立即删除）；发送 /cancel 取消："
            ),
            name=view.name,
            id_number=view.masked_id_number,
        ),
        edit=False,
    )
    return State.RESET_PASSWORD


async def typed_own_password(update: Update, context: Ctx) -> int:
    """RESET_PASSWORD: deleted at once; a wrong one counts as a wrong password and is asked for
    again; a right one resets and shows the one-time password once."""
    assert update.message is not None and update.message.text is not None
    password = update.message.text
    await delete_user_message(update)
    draft = draft_of(context, "reset")
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        done = await admins.reset_admin_password(
            uow,
            svc.hasher,
            svc.clock,
            actor,
            membership_id=draft["membership_id"],
            password=password,
        )
    dispatch_soon(application(context))
    t = tr(update, context)
    await reply(
        update,
        t(
            N_(
                "已重置 {name}（{id_number}）的密码，其所有登录已退出。\n"
                "一次性初始密码：{password}\n"
                "该密码只显示这一次，请通过线下方式告知本人；其下次登录时必须修改密码。"
            ),
            name=done.admin.name,
            id_number=done.admin.masked_id_number,
            password=done.password,
        ),
        column([button(t(N_("返回列表")), LIST.encode(0))]),
        edit=False,
    )
    return end(context)
