"""新增管理员: the two ways in, and what they share: the role picked last, then the admin added.

The person's details are typed in ``new_person`` (a person the system does not know yet) or
found in ``existing_person``; both end here.
"""

from __future__ import annotations

from typing import Any, Final

from telegram import Update

from bot.errors import describe
from bot.handlers.admins.callbacks import (
    ABORT,
    ADD_EXISTING,
    ADD_NEW,
    DRAFT_KEY,
    LIST,
    PICK_ROLE,
    SECRET_KEY,
    State,
)
from bot.handlers.admins.drafts import STEP_GONE, end, secrets
from bot.handlers.admins.views import card_keyboard, role_label, roles_keyboard
from bot.i18n import N_
from bot.keyboards import button, column
from bot.runtime import Ctx, MemoryOnly, Services, acting, reply, services, tr
from domain.errors import Conflict, DomainError
from domain.model import Actor
from domain.ports import UnitOfWork
from domain.services import admins
from domain.services.admins import AdminView

ASK_PASSWORD: Final = N_(
    "请为新管理员设置初始密码：至少 8 个字符，不能是常见密码，也不能包含其身份证号码或手机号码。"
    "新管理员首次登录时必须修改。该消息读取后会立即删除："
)
ASK_PASSWORD_AGAIN: Final = N_("请再次输入初始密码（该消息读取后会立即删除）：")
ADDED: Final = {
    "new": N_(
        "已注册新管理员 {name}（{id_number}），角色：{role}。\n"
        "请通过线下方式将初始密码告知本人；其首次登录时必须修改密码。"
    ),
    "existing": N_("已添加 {name}（{id_number}）为本基地管理员，角色：{role}。"),
}


async def choose_way(update: Update, context: Ctx) -> None:
    """新增管理员: the manual's two ways."""
    assert update.callback_query is not None
    async with acting(update, context) as (_uow, actor):
        admins.ensure_manager(actor)
    await update.callback_query.answer()
    t = tr(update, context)
    keyboard = column(
        [
            button(t(N_("注册新管理员")), ADD_NEW.encode()),
            button(t(N_("添加已有用户")), ADD_EXISTING.encode()),
            button(t(N_("返回列表")), LIST.encode(0)),
        ]
    )
    await reply(
        update,
        t(
            N_(
                "新增管理员：\n"
                "· 注册新管理员：该人员尚未在本系统注册，"
                "需填写姓名、身份证号码、手机号码和初始密码；\n"
                "· 添加已有用户：该人员已是本系统用户（如其他基地的管理员），按身份证号码查找。"
            )
        ),
        keyboard,
    )


async def start(update: Update, context: Ctx, way: str) -> None:
    """An entry step: the permission is checked now, not only when saving."""
    assert context.user_data is not None
    if update.callback_query is not None:
        await update.callback_query.answer()
    async with acting(update, context) as (_uow, actor):
        admins.ensure_manager(actor)
    context.user_data[DRAFT_KEY] = {"way": way}
    context.user_data[SECRET_KEY] = MemoryOnly()


async def reask_password(update: Update, context: Ctx) -> State:
    """After a restart the initial password is gone, on purpose: it was only ever in memory."""
    t = tr(update, context)
    await reply(update, t(N_("为安全起见，请重新设置初始密码。")) + "\n" + t(ASK_PASSWORD))
    return State.PASSWORD


async def offer_roles(update: Update, context: Ctx, name: str) -> State:
    async with acting(update, context) as (uow, actor):
        roles = await admins.roles_for_assignment(uow, actor)
    t = tr(update, context)
    buttons = roles_keyboard(roles, PICK_ROLE, t)
    buttons.append(button(t(N_("取消")), ABORT.encode()))
    await reply(update, t(N_("请选择 {name} 的角色："), name=name), column(buttons), edit=False)
    return State.ROLE


async def picked_role(update: Update, context: Ctx) -> State | int:
    """ROLE: the admin is added; the service validates every field again and checks the role."""
    assert update.callback_query is not None and context.user_data is not None
    role_id = PICK_ROLE.parse_id(update.callback_query.data) or None
    draft = context.user_data.get(DRAFT_KEY)
    if not isinstance(draft, dict) or draft.get("way") not in ADDED:
        raise DomainError(STEP_GONE)
    await update.callback_query.answer()
    if draft["way"] == "new" and "password" not in secrets(context):
        return await reask_password(update, context)
    svc = services(context)
    t = tr(update, context)
    try:
        async with acting(update, context) as (uow, actor):
            view = await _add(uow, svc, actor, draft, role_id, secrets(context))
    except Conflict as refused:  # someone was quicker: this draft cannot succeed any more
        await reply(
            update, describe(refused, t), column([button(t(N_("返回列表")), LIST.encode(0))])
        )
        return end(context)
    done = ADDED[draft["way"]]
    text = t(done, name=view.name, id_number=view.masked_id_number, role=role_label(view, t))
    await reply(update, text, card_keyboard(view, actor, t))
    return end(context)


async def _add(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    draft: dict[str, Any],
    role_id: int | None,
    held: dict[str, str],
) -> AdminView:
    if draft["way"] == "new":
        return await admins.add_new_admin(
            uow,
            svc.hasher,
            svc.clock,
            actor,
            name=draft["name"],
            id_number=draft["id_number"],
            mobile=draft["mobile"],
            initial_password=held["password"],
            role_id=role_id,
        )
    return await admins.add_existing_admin(
        uow, svc.clock, actor, user_id=draft["user_id"], role_id=role_id
    )
