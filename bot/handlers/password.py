"""/password (修改密码): the old password, then the new one twice.

Every message is deleted as soon as it is read. Plaintext passwords are held only in memory
(``user_data`` keys starting with "_" are never persisted); after a restart the user starts over.
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
from bot.i18n import N_
from bot.keyboards import button, column
from bot.runtime import (
    App,
    Ctx,
    MemoryOnly,
    delete_user_message,
    reply,
    services,
    telegram_user_id,
    tr,
)
from domain.errors import AccountLocked, Invalid
from domain.services import auth
from domain.services.sessions import current_session

START = CallbackAction("pw:start")
SECRET_KEY = "_password_change"

ASK_OLD = N_("请输入原密码（该消息读取后会立即删除）：")
ASK_NEW = N_(
    "请输入新密码：至少 8 个字符，可使用任意字符，不能是常见密码，"
    "也不能包含身份证号码或手机号码（该消息读取后会立即删除）："
)
ASK_AGAIN = N_("请再次输入新密码：")


class State(IntEnum):
    OLD = 0
    NEW = 1
    AGAIN = 2


def _secrets(context: Ctx) -> dict[str, str]:
    assert context.user_data is not None
    held = context.user_data.setdefault(SECRET_KEY, MemoryOnly())
    assert isinstance(held, dict)
    return held


async def begin(update: Update, context: Ctx) -> State:
    """/password or the menu button: needs a session (even one that must change its password)."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    svc = services(context)
    async with svc.uow() as uow:
        await current_session(uow, svc.clock, telegram_user_id(update), svc.session_policy)
    assert context.user_data is not None
    context.user_data[SECRET_KEY] = MemoryOnly()
    await reply(update, tr(update, context)(ASK_OLD), edit=False)
    return State.OLD


async def typed_old(update: Update, context: Ctx) -> int:
    """OLD: checked at once, so a typo is caught before the new password is chosen."""
    assert update.message is not None and update.message.text is not None
    old = update.message.text
    await delete_user_message(update)
    svc = services(context)
    try:
        async with svc.uow() as uow:
            await auth.verify_old_password(
                uow,
                svc.hasher,
                svc.clock,
                telegram_user_id=telegram_user_id(update),
                password=old,
                policy=svc.session_policy,
            )
    except AccountLocked as locked:
        return await _locked_out(update, context, locked)
    _secrets(context)["old"] = old
    await reply(update, tr(update, context)(ASK_NEW), edit=False)
    return State.NEW


async def typed_new(update: Update, context: Ctx) -> State:
    """NEW: held in memory until it is typed again."""
    assert update.message is not None and update.message.text is not None
    new = update.message.text
    await delete_user_message(update)
    held = _secrets(context)
    if "old" not in held:
        return await _restart(update, context)
    svc = services(context)
    async with svc.uow() as uow:
        await auth.check_new_password(
            uow,
            svc.clock,
            telegram_user_id=telegram_user_id(update),
            password=new,
            policy=svc.session_policy,
            old_password=held["old"],
        )
    held["new"] = new
    await reply(update, tr(update, context)(ASK_AGAIN), edit=False)
    return State.AGAIN


async def typed_again(update: Update, context: Ctx) -> int:
    """AGAIN: the service checks the old password, the match and the policy; the block's end
    commits."""
    assert update.message is not None and update.message.text is not None
    again = update.message.text
    await delete_user_message(update)
    held = _secrets(context)
    if "old" not in held or "new" not in held:
        return await _restart(update, context)
    svc = services(context)
    t = tr(update, context)
    try:
        async with svc.uow() as uow:
            await auth.change_password(
                uow,
                svc.hasher,
                svc.clock,
                telegram_user_id=telegram_user_id(update),
                old_password=held["old"],
                new_password=held["new"],
                new_password_again=again,
                policy=svc.session_policy,
            )
    except AccountLocked as locked:
        return await _locked_out(update, context, locked)
    except Invalid as refused:
        return await _refused(update, context, held, refused)
    assert context.user_data is not None
    context.user_data.pop(SECRET_KEY, None)
    await reply(
        update,
        t(N_("密码已修改。您在其他设备或聊天中的登录已全部退出。")),
        column([button(t(N_("打开功能列表")), "menu")]),
        edit=False,
    )
    return ConversationHandler.END


async def _refused(update: Update, context: Ctx, held: dict[str, str], refused: Invalid) -> State:
    """A refused change: a wrong old password asks from the start, anything else (a mismatch,
    the policy) asks for the new password again."""
    t = tr(update, context)
    held.pop("new", None)
    if refused.field == "old_password":
        held.clear()
        await reply(update, describe(refused, t) + "\n" + t(ASK_OLD), edit=False)
        return State.OLD
    await reply(update, describe(refused, t) + "\n" + t(ASK_NEW), edit=False)
    return State.NEW


async def _locked_out(update: Update, context: Ctx, locked: AccountLocked) -> int:
    """The last try locked the account and ended every session: the form is over, and the
    person is told when to come back rather than to log in now."""
    assert context.user_data is not None
    context.user_data.pop(SECRET_KEY, None)
    t = tr(update, context)
    await reply(update, describe(locked, t) + "\n" + t(N_("您的所有登录已退出。")), edit=False)
    return ConversationHandler.END


async def _restart(update: Update, context: Ctx) -> State:
    """After a restart the plaintext is gone (on purpose): ask from the old password again."""
    assert context.user_data is not None
    context.user_data[SECRET_KEY] = MemoryOnly()
    t = tr(update, context)
    await reply(update, t(N_("为安全起见，请重新开始修改密码。")) + "\n" + t(ASK_OLD), edit=False)
    return State.OLD


def build() -> ConversationHandler[Ctx]:
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        name="password",
        persistent=True,
        entry_points=[
            CommandHandler("password", begin),
            CallbackQueryHandler(begin, pattern=START.pattern),
        ],
        states={
            State.OLD: [MessageHandler(text, typed_old)],
            State.NEW: [MessageHandler(text, typed_new)],
            State.AGAIN: [MessageHandler(text, typed_again)],
            **conversation.timeout_handlers(),
        },
        fallbacks=conversation.fallbacks(),
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: App) -> None:
    app.add_handler(build())
