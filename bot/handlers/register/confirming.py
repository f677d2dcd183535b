"""The summary's buttons: correct one field, 确认注册 (saved in one transaction), 取消."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from bot.handlers import conversation
from bot.handlers.register.callbacks import EDIT_FIELD, PASSWORD_STEP, State
from bot.handlers.register.draft import proof
from bot.handlers.register.fields import BASE_KEYS, FIELDS_BY_KEY
from bot.handlers.register.form import FORM, ask, current_draft
from bot.i18n import N_, Translator
from bot.keyboards import button, column
from bot.runtime import Ctx, reply, services, telegram_user_id, tr
from domain.errors import Invalid
from domain.services import auth


async def edit_field(update: Update, context: Ctx) -> State:
    """CONFIRM: correct one field, then back to the summary."""
    assert update.callback_query is not None
    key = EDIT_FIELD.parse_word(update.callback_query.data)
    draft = current_draft(context)
    if key == PASSWORD_STEP and proof(draft) is None:
        await update.callback_query.answer()
        for stale in ("password_hash", "password_confirmed"):
            draft.pop(stale, None)
        return await ask(update, context, PASSWORD_STEP)
    if key not in FIELDS_BY_KEY or (
        proof(draft) is not None and key in {"admin_name", "admin_mobile"}
    ):
        raise Invalid("field")
    await update.callback_query.answer()
    return await ask(update, context, key)


def _registered_text(t: Translator, outcome: auth.LoginOutcome, another: bool) -> str:
    base = outcome.bases[0]
    if another:
        return t(
            N_(
                "注册成功！“{base}”已创建并加入您管理的基地（共 {count} 个），"
                "您是该基地的超级管理员，已为您登录该基地。发送 /base 可切换基地。"
            ),
            base=base.name,
            count=len(outcome.bases),
        )
    return t(N_("注册成功！“{base}”已创建，您是该基地的超级管理员，已为您登录。"), base=base.name)


async def confirm(update: Update, context: Ctx) -> int:
    """CONFIRM: everything is validated once more by the service and saved in one transaction."""
    assert update.callback_query is not None
    draft = current_draft(context)
    await update.callback_query.answer()
    values = draft["values"]
    svc = services(context)
    proven = proof(draft)
    t = tr(update, context)
    async with svc.uow() as uow:
        if proven is not None:
            base_form = auth.NewBase(**{k: values[k] for k in BASE_KEYS})
            outcome = await auth.register_another_base(
                uow, svc.clock, base_form, proven, telegram_user_id=telegram_user_id(update)
            )
        else:
            form = auth.Registration(password_hash=draft["password_hash"], **values)
            outcome = await auth.register_base(
                uow, svc.clock, form, telegram_user_id=telegram_user_id(update)
            )
    conversation.forget(context, FORM)
    text = _registered_text(t, outcome, another=proven is not None)
    await reply(update, text, column([button(t(N_("打开功能列表")), "menu")]))
    return ConversationHandler.END


async def abort(update: Update, context: Ctx) -> int:
    """The summary's cancel button."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    return await conversation.cancel(update, context, FORM)
