"""/login (登录), choosing a base, /logout (退出登录).

Both the ID-card number and the password messages are deleted right after reading. A wrong
ID-card number and a wrong password get the same answer; the service makes them cost the same.
"""

from __future__ import annotations

from enum import IntEnum

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import CallbackAction
from bot.errors import describe
from bot.handlers import conversation
from bot.handlers.menu import REVIEW_HOME
from bot.i18n import N_
from bot.keyboards import button, column
from bot.runtime import App, Ctx, delete_user_message, reply, services, telegram_user_id, tr
from domain import validators
from domain.errors import AccountLocked, DomainError, Throttled
from domain.model import Base
from domain.services import auth

DRAFT_KEY = "draft:login"
PICK_BASE = CallbackAction("base", ids=1)
LOGOUT = CallbackAction("logout")


class State(IntEnum):
    ID_NUMBER = 0
    PASSWORD = 1


async def begin(update: Update, context: Ctx) -> State:
    """/login: asks for the ID-card number (the account)."""
    assert context.user_data is not None
    context.user_data.pop(DRAFT_KEY, None)
    t = tr(update, context)
    await reply(
        update, t(N_("请输入您的身份证号码（登录账号）。该消息读取后会立即删除：")), edit=False
    )
    return State.ID_NUMBER


async def typed_id_number(update: Update, context: Ctx) -> State:
    """ID_NUMBER: its format is checked now (that reveals nothing); existence is not."""
    assert update.message is not None and update.message.text is not None
    assert context.user_data is not None
    raw = update.message.text
    await delete_user_message(update)
    id_number = validators.parse_id_number(raw, services(context).clock.now().date())
    context.user_data[DRAFT_KEY] = {"id_number": id_number}
    t = tr(update, context)
    await reply(
        update,
        t(
            N_("账号：{masked}\n请输入密码。该消息读取后会立即删除："),
            masked=validators.mask_id_number(id_number),
        ),
        edit=False,
    )
    return State.PASSWORD


async def typed_password(update: Update, context: Ctx) -> int:
    """PASSWORD: deleted, verified off the event loop; failures count towards the lock-out."""
    assert update.message is not None and update.message.text is not None
    assert context.user_data is not None
    password = update.message.text
    await delete_user_message(update)
    draft = context.user_data.get(DRAFT_KEY) or {}
    if "id_number" not in draft:
        return await begin(update, context)
    svc = services(context)
    context.user_data.pop(DRAFT_KEY, None)
    t = tr(update, context)
    try:
        async with svc.uow() as uow:
            outcome = await auth.login(
                uow,
                svc.hasher,
                svc.clock,
                telegram_user_id=telegram_user_id(update),
                id_number=draft["id_number"],
                password=password,
                policy=svc.login_policy,
            )
    except DomainError as refused:
        # The attempt is over either way: start again from the account, not a second password.
        # A lock-out or a throttle says when to come back; "log in again" would contradict it.
        text = describe(refused, t)
        if not isinstance(refused, AccountLocked | Throttled):
            text += "\n" + t(N_("请发送 /login 重新登录。"))
        await reply(update, text, edit=False)
        return ConversationHandler.END
    await _welcome(update, context, outcome)
    return ConversationHandler.END


async def _welcome(update: Update, context: Ctx, outcome: auth.LoginOutcome) -> None:
    """Where a login leads: the review queue, a base to choose, a password to change, the menu."""
    t = tr(update, context)
    reviewer_only = outcome.user.is_reviewer and not outcome.bases
    if reviewer_only and not outcome.needs_password_change:
        # A reviewer without a base has no base to choose: the review queue is the way in.
        await reply(
            update,
            t(
                N_("登录成功，欢迎您，{name}！您是主管部门审核员，发送 /review 查看待审核事项。"),
                name=outcome.user.name,
            ),
            column([button(t(N_("待审核事项")), REVIEW_HOME)]),
            edit=False,
        )
    elif outcome.needs_base_choice and not reviewer_only:
        await _offer_bases(update, context, outcome.bases)
    elif outcome.needs_password_change:
        await reply(
            update,
            t(N_("登录成功。您使用的是初始密码，请先修改密码后再使用其他功能。")),
            column([button(t(N_("修改密码")), "pw:start")]),
            edit=False,
        )
    else:
        await reply(
            update,
            t(N_("登录成功，欢迎您，{name}！"), name=outcome.user.name),
            column([button(t(N_("打开功能列表")), "menu")]),
            edit=False,
        )


async def _offer_bases(update: Update, context: Ctx, bases: list[Base]) -> None:
    t = tr(update, context)
    keyboard = column([button(b.name, PICK_BASE.encode(b.id or 0)) for b in bases])
    await reply(
        update,
        t(N_("您是多个继续教育基地的管理员，请选择本次要管理的基地：")),
        keyboard,
        edit=False,
    )


async def pick_base(update: Update, context: Ctx) -> None:
    """A base button: the membership is checked again, the id never trusted."""
    assert update.callback_query is not None
    base_id = PICK_BASE.parse_id(update.callback_query.data)
    svc = services(context)
    async with svc.uow() as uow:
        base = await auth.choose_base(
            uow, svc.clock, telegram_user_id(update), base_id, svc.session_policy
        )
    await update.callback_query.answer()
    t = tr(update, context)
    await reply(
        update,
        t(N_("当前管理的基地：{base}"), base=base.name),
        column([button(t(N_("打开功能列表")), "menu")]),
    )


async def switch_base(update: Update, context: Ctx) -> None:
    """/base: change to another of one's bases without logging out."""
    svc = services(context)
    async with svc.uow() as uow:
        bases = await auth.list_own_bases(
            uow, svc.clock, telegram_user_id(update), svc.session_policy
        )
    await _offer_bases(update, context, bases)


async def logout(update: Update, context: Ctx) -> None:
    """/logout or the menu button: ends the session, back to the start screen."""
    svc = services(context)
    async with svc.uow() as uow:
        await auth.logout(uow, svc.clock, telegram_user_id(update))
    if update.callback_query is not None:
        await update.callback_query.answer()
    t = tr(update, context)
    await reply(update, t(N_("您已退出登录。发送 /login 重新登录。")), edit=False)


def build() -> ConversationHandler[Ctx]:
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        name="login",
        persistent=True,
        entry_points=[CommandHandler("login", begin)],
        states={
            State.ID_NUMBER: [MessageHandler(text, typed_id_number)],
            State.PASSWORD: [MessageHandler(text, typed_password)],
            **conversation.timeout_handlers(),
        },
        fallbacks=conversation.fallbacks(),
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: App) -> None:
    app.add_handler(build())
    app.add_handler(CallbackQueryHandler(pick_base, pattern=PICK_BASE.pattern))
    app.add_handler(CommandHandler("base", switch_base))
    app.add_handler(CommandHandler("logout", logout))
    app.add_handler(CallbackQueryHandler(logout, pattern=LOGOUT.pattern))
