"""Input the open step cannot use, an older button above all: the step stays where it was, and
the person is told which step is open and offered to see it again (重新显示这一步) or to leave
it; ◀ 上一项 counts only from the step it was shown on."""

from __future__ import annotations

from telegram import Update

from bot.callbacks import CallbackAction
from bot.handlers.conversation.callbacks import BACK, LEAVE, REASK
from bot.handlers.conversation.forms import META, Form, draft_of, gone, open_step
from bot.i18n import N_
from bot.keyboards import button, rows
from bot.runtime import Ctx, reply, tr


async def unexpected(update: Update, context: Ctx, form: Form | None = None) -> None:
    """Input the current step cannot use: say which step is open and offer to leave it; the
    step stays where it was."""
    t = tr(update, context)
    if update.callback_query is not None:
        await update.callback_query.answer(t(N_("这个按钮已失效。")), show_alert=False)
    draft = draft_of(context, form) if form is not None else None
    if form is None or draft is None:
        keyboard = None
        if update.callback_query is not None:
            keyboard = rows([button(t(N_("离开当前操作")), LEAVE.encode())])
        await reply(
            update, t(N_("请按上面的提示输入，或发送 /cancel 取消当前操作。")), keyboard, edit=False
        )
        return
    label = str(draft[META].get("label") or "")
    text = t(
        N_("您正在填写“{title}”，当前这一步：{step}。请按这一步的提示输入，或："),
        title=t(form.title),
        step=t(label) if label else t(N_("核对信息")),
    )
    keyboard = rows(
        [
            button(t(N_("重新显示这一步")), REASK.encode(form.name)),
            button(t(N_("离开（草稿保留）")), LEAVE.encode()),
        ]
    )
    await reply(update, text, keyboard, edit=False)


async def reask(update: Update, context: Ctx, form: Form) -> object:
    """重新显示此项: the open step asked again (its message may be far up the chat)."""
    return await resume_pressed(REASK, update, context, form)


async def resume_pressed(
    action: CallbackAction, update: Update, context: Ctx, form: Form
) -> object:
    """A press that picks the form's draft up where it stands (继续填写, 重新显示此项): only this
    form's button counts, and only while its draft exists."""
    assert update.callback_query is not None
    if action.parse_word(update.callback_query.data) != form.name:
        await unexpected(update, context, form)
        return None
    await update.callback_query.answer()
    if draft_of(context, form) is None:
        return await gone(update, context, form)
    return await form.resume(update, context)


async def back(update: Update, context: Ctx, form: Form) -> object:
    """◀ 上一项, honoured only from the step it was shown on (an older one is an older button)."""
    assert update.callback_query is not None
    name, step = (str(v) for v in BACK.parse(update.callback_query.data))
    if name != form.name or draft_of(context, form) is None or step != open_step(context, form):
        await unexpected(update, context, form)
        return None
    await update.callback_query.answer()
    return await form.back(update, context)
