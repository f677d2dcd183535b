"""A class's card: its fields, plan and history, with the buttons the domain says apply."""

from __future__ import annotations

from collections.abc import Mapping

from telegram import InlineKeyboardMarkup, Update

from bot.callbacks import CallbackAction
from bot.handlers.classes.callbacks import CARD, COPY, DELETE, EDIT, LIST, PLAN, SUBMIT, WITHDRAW
from bot.handlers.classes.fields import NONE, class_values, fields_text
from bot.i18n import N_, Translator
from bot.keyboards import button, rows
from bot.runtime import Ctx, acting, reply, tr
from domain.services import classes
from domain.services.classes import ClassAction
from domain.workflow import Reviewable

ACTION_BUTTONS: dict[ClassAction, tuple[str, CallbackAction]] = {
    ClassAction.EDIT: (N_("修改"), EDIT),
    ClassAction.DELETE: (N_("删除"), DELETE),
    ClassAction.SUBMIT: (N_("提交审核"), SUBMIT),
    ClassAction.WITHDRAW: (N_("撤回"), WITHDRAW),
    ClassAction.COPY: (N_("复制为新草稿"), COPY),
}


def card_text(card: classes.ClassCard, t: Translator) -> str:
    c = card.training_class
    parts = [
        t(N_("培训班：{name}\n状态：{status}"), name=c.name, status=t(c.status.label)),
        fields_text(class_values(c, t), t),
    ]
    if card.plan_file_name is not None:
        parts.append(t(N_("培训方案：文件“{file}”"), file=card.plan_file_name))
    else:
        parts.append(t(N_("培训方案：\n{plan}"), plan=c.plan_text or t(NONE)))
    parts.append(history_text(c, card.names, t))
    return "\n\n".join(parts)


def history_text(c: Reviewable, names: Mapping[int, str], t: Translator) -> str:
    """办理记录: when, who, what, and the reviewer's reason; every reviewable card shows it."""
    history = [t(N_("办理记录："))]
    for change in c.history:
        who = names.get(change.by_user_id or 0, "")
        action = t(change.action.label)
        if change.reason:
            history.append(
                t(
                    N_("{at} {who} {action}（原因：{reason}）"),
                    at=change.at,
                    who=who,
                    action=action,
                    reason=change.reason,
                )
            )
        else:
            history.append(t(N_("{at} {who} {action}"), at=change.at, who=who, action=action))
    if len(history) == 1:
        history.append(t(NONE))
    return "\n".join(history)


def card_keyboard(card: classes.ClassCard, t: Translator) -> InlineKeyboardMarkup:
    class_id = card.training_class.id or 0
    buttons = []
    if card.plan_file_name is not None:
        buttons.append(button(t(N_("下载计划")), PLAN.encode(class_id)))
    for action in classes.class_actions(card.training_class):
        label, callback = ACTION_BUTTONS[action]
        buttons.append(button(t(label), callback.encode(class_id)))
    buttons.append(button(t(N_("返回培训班列表")), LIST.encode(0, 0, 0)))
    return rows(buttons, per_row=2)


async def show_card(
    update: Update, context: Ctx, class_id: int, note: str = "", *, edit: bool = True
) -> None:
    """The card, under ``note`` when there is one; ``edit=False`` sends it as a new message."""
    async with acting(update, context, readonly=True) as (uow, actor):
        card = await classes.class_card(uow, actor, class_id)
    t = tr(update, context)
    text = card_text(card, t)
    await reply(update, f"{note}\n\n{text}" if note else text, card_keyboard(card, t), edit=edit)


async def on_card(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id = CARD.parse_id(update.callback_query.data)
    await update.callback_query.answer()
    await show_card(update, context, class_id)
