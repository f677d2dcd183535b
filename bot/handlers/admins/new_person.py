"""注册新管理员: name, ID-card number, mobile, initial password twice; then ``adding``'s role.

The ID-card number and the passwords are deleted from the chat as soon as they are read; the
password lives only in memory (``drafts.secrets``).
"""

from __future__ import annotations

from telegram import Update

from bot.handlers.admins.adding import (
    ASK_PASSWORD,
    ASK_PASSWORD_AGAIN,
    offer_roles,
    reask_password,
    start,
)
from bot.handlers.admins.callbacks import State
from bot.handlers.admins.drafts import draft_of, secrets
from bot.i18n import N_
from bot.runtime import Ctx, acting, delete_user_message, reply, services, tr
from domain import validators
from domain.passwords import check_password_policy
from domain.services import admins


async def begin_new(update: Update, context: Ctx) -> State:
    """注册新管理员: the name first."""
    await start(update, context, "new")
    t = tr(update, context)
    await reply(
        update,
        t(N_("注册新管理员（随时发送 /cancel 取消）。\n请输入新管理员的姓名：")),
        edit=False,
    )
    return State.NAME


async def typed_name(update: Update, context: Ctx) -> State:
    """NAME: checked as typed."""
    assert update.message is not None and update.message.text is not None
    draft = draft_of(context, "new")
    draft["name"] = validators.parse_name(update.message.text)
    t = tr(update, context)
    await reply(
        update,
        t(
            N_(
                "请输入新管理员的身份证号码（18 位，即其登录账号）。"
                "为保护隐私，该消息读取后会立即删除："
            )
        ),
        edit=False,
    )
    return State.ID_NUMBER


async def typed_id_number(update: Update, context: Ctx) -> State:
    """ID_NUMBER: deleted at once; valid and not yet known to the system (else way b)."""
    assert update.message is not None and update.message.text is not None
    raw = update.message.text
    await delete_user_message(update)
    draft = draft_of(context, "new")
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        draft["id_number"] = await admins.check_new_id_number(uow, svc.clock, actor, raw)
    t = tr(update, context)
    await reply(
        update,
        t(
            N_("身份证号码：{id_number}\n请输入新管理员的手机号码（11 位）："),
            id_number=validators.mask_id_number(draft["id_number"]),
        ),
        edit=False,
    )
    return State.MOBILE


async def typed_mobile(update: Update, context: Ctx) -> State:
    """MOBILE: checked as typed."""
    assert update.message is not None and update.message.text is not None
    draft = draft_of(context, "new")
    draft["mobile"] = validators.parse_mobile(update.message.text)
    secrets(context).clear()
    await reply(update, tr(update, context)(ASK_PASSWORD), edit=False)
    return State.PASSWORD


async def typed_password(update: Update, context: Ctx) -> State:
    """PASSWORD: deleted at once, checked against the policy, held in memory only."""
    assert update.message is not None and update.message.text is not None
    password = update.message.text
    await delete_user_message(update)
    draft = draft_of(context, "new")
    check_password_policy(
        password, id_number=draft["id_number"], mobile=draft["mobile"], name=draft["name"]
    )
    secrets(context)["password"] = password
    await reply(update, tr(update, context)(ASK_PASSWORD_AGAIN), edit=False)
    return State.PASSWORD_AGAIN


async def typed_password_again(update: Update, context: Ctx) -> State:
    """PASSWORD_AGAIN: a typo here would leave the new admin locked out, so it must match."""
    assert update.message is not None and update.message.text is not None
    again = update.message.text
    await delete_user_message(update)
    draft = draft_of(context, "new")
    held = secrets(context)
    if "password" not in held:
        return await reask_password(update, context)
    if again != held["password"]:
        held.clear()
        t = tr(update, context)
        await reply(update, t(N_("两次输入的密码不一致。")) + "\n" + t(ASK_PASSWORD), edit=False)
        return State.PASSWORD
    return await offer_roles(update, context, draft["name"])
