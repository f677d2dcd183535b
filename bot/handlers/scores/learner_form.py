"""Typing one learner in the chat: adding one step by step, editing one field, finding by ID.

The learner being typed lives in ``user_data[DRAFT_KEY]`` (persisted, encrypted) like every other
draft. Each value is checked as it is typed, the whole learner again when it is saved; a message
carrying an ID-card number is deleted as soon as it is read. Adding and editing are conversation
states of their own (:attr:`State.ADD`, :attr:`State.EDIT`), so each handler knows what it serves.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from telegram import InlineKeyboardButton, Update
from telegram.ext import ConversationHandler

from bot.errors import describe
from bot.handlers.scores.callbacks import (
    ADD,
    DRAFT_KEY,
    EDIT,
    FAIL_CHOICE,
    FIND,
    PASS_CHOICE,
    SHEET,
    SKIP,
    STEP_GONE,
    VALUE,
    State,
    draft_of,
    drop_draft,
)
from bot.handlers.scores.learner import show_learner
from bot.i18n import N_, Translator
from bot.keyboards import button, column, rows
from bot.runtime import Ctx, acting, delete_user_message, reply, services, tr
from domain.errors import Invalid
from domain.scores import editable_column, read_typed
from domain.scoresheet import FAIL_WORD, PASS_WORD, Column
from domain.services import scores

ADD_STEPS: Final = (
    Column.NAME,
    Column.ID_NUMBER,
    Column.SCORE,
    Column.HOURS,
    Column.CERTIFICATE_NO,
)
"""What adding a learner asks, in order; a remark is added by editing the learner."""
PROMPTS: Final[dict[Column, str]] = {
    Column.NAME: N_("请输入学员姓名："),
    Column.ID_NUMBER: N_("请输入学员的 18 位身份证号码（读取后会立即从聊天中删除）："),
    Column.SCORE: N_("请输入成绩（0–100，最多一位小数），或直接选择合格 / 不合格："),
    Column.HOURS: N_("请输入获得学时（最多 {hours}；不合格为 0），或选择下方按钮："),
    Column.CERTIFICATE_NO: N_("请输入证书编号，没有可跳过："),
    Column.REMARK: N_("请输入备注（最多 200 字），留空请发送“无”："),
}
CHOSEN: Final[dict[str, str]] = {PASS_CHOICE: PASS_WORD, FAIL_CHOICE: FAIL_WORD, SKIP: ""}
"""A pressed choice as the text it stands for (skipping is typing nothing)."""


# --- starting ----------------------------------------------------------------------------------


async def start_add(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None and context.user_data is not None
    class_id = ADD.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        c = await scores.editable_class(uow, actor, class_id)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {
        "class_id": class_id,
        "hours": str(c.hours),
        "field": Column.NAME.value,
        "values": {},
    }
    return await _ask(update, context, State.ADD)


async def start_edit(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None and context.user_data is not None
    class_id, record_id, word = EDIT.parse(update.callback_query.data)
    assert isinstance(class_id, int) and isinstance(record_id, int) and isinstance(word, str)
    field = editable_column(word)
    async with acting(update, context) as (uow, actor):
        c = await scores.scoring_class(uow, actor, class_id)
        await scores.get_learner(uow, actor, class_id, record_id)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {
        "class_id": class_id,
        "record_id": record_id,
        "hours": str(c.hours),
        "field": field.value,
    }
    return await _ask(update, context, State.EDIT)


async def start_find(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None and context.user_data is not None
    class_id = FIND.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        await scores.scoring_class(uow, actor, class_id)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {"class_id": class_id}
    t = tr(update, context)
    await reply(
        update,
        t(N_("请输入要查找的学员身份证号码（读取后会立即从聊天中删除），发送 /cancel 取消：")),
        edit=False,
    )
    return State.FIND


async def _ask(update: Update, context: Ctx, state: State, note: str = "") -> int:
    """The draft's field, with the choices that can stand for typing it; stays in ``state``."""
    draft = draft_of(context)
    t = tr(update, context)
    field = Column(draft["field"])
    prompt = t(PROMPTS[field], hours=draft["hours"])
    choices = _choices(field, state, t)
    text = f"{note}\n{prompt}" if note else prompt
    await reply(update, text, rows(choices, per_row=2) if choices else None, edit=False)
    return state


def _choices(field: Column, state: State, t: Translator) -> list[InlineKeyboardButton]:
    if field is Column.SCORE:
        return [
            button(t(N_("合格")), VALUE.encode(PASS_CHOICE)),
            button(t(N_("不合格")), VALUE.encode(FAIL_CHOICE)),
        ]
    if field is Column.HOURS and state is State.ADD:
        return [button(t(N_("按结果自动填写")), VALUE.encode(SKIP))]
    if field is Column.CERTIFICATE_NO:
        return [button(t(N_("跳过")), VALUE.encode(SKIP))]
    return []


# --- a value arrives ---------------------------------------------------------------------------


async def on_add_typed(update: Update, context: Ctx) -> int:
    return await _add_value(update, context, await _typed(update, context))


async def on_add_choice(update: Update, context: Ctx) -> int:
    return await _add_value(update, context, await _chosen(update))


async def on_edit_typed(update: Update, context: Ctx) -> int:
    return await _edit_value(update, context, await _typed(update, context))


async def on_edit_choice(update: Update, context: Ctx) -> int:
    return await _edit_value(update, context, await _chosen(update))


async def _typed(update: Update, context: Ctx) -> str:
    """The message's text; deleted from the chat when it is an ID-card number."""
    assert update.message is not None and update.message.text is not None
    draft = draft_of(context)
    if draft["field"] == Column.ID_NUMBER.value:
        await delete_user_message(update)
    return update.message.text


async def _chosen(update: Update) -> str:
    assert update.callback_query is not None
    word = VALUE.parse_word(update.callback_query.data)
    await update.callback_query.answer()
    typed = CHOSEN.get(word)
    if typed is None:
        raise Invalid("field", STEP_GONE)
    return typed


def _read(context: Ctx, draft: dict[str, Any], text: str) -> dict[Column, str]:
    today = services(context).clock.now().date()
    return read_typed(Column(draft["field"]), text, Decimal(draft["hours"]), today)


async def _add_value(update: Update, context: Ctx, text: str) -> int:
    """One step of adding: the value is kept and the next step asked, or the learner saved."""
    draft = draft_of(context)
    try:
        typed = _read(context, draft, text)
    except Invalid as refused:
        return await _ask(update, context, State.ADD, describe(refused, tr(update, context)))
    draft["values"].update({c.value: value for c, value in typed.items()})
    following = ADD_STEPS.index(Column(draft["field"])) + 1
    if following < len(ADD_STEPS):
        draft["field"] = ADD_STEPS[following].value
        return await _ask(update, context, State.ADD)
    return await _save_new(update, context, draft)


async def _save_new(update: Update, context: Ctx, draft: dict[str, Any]) -> int:
    svc = services(context)
    t = tr(update, context)
    values = {Column(k): value for k, value in draft["values"].items()}
    try:
        async with acting(update, context) as (uow, actor):
            record = await scores.add_learner(uow, svc.clock, actor, draft["class_id"], values)
    except Invalid as refused:
        # A whole-learner rule (already in the class, a certificate taken): ask that value again.
        draft["field"] = refused.field if refused.field in {c.value for c in ADD_STEPS} else "name"
        return await _ask(update, context, State.ADD, describe(refused, t))
    drop_draft(context)
    await show_learner(
        update, context, draft["class_id"], record.id or 0, t(N_("已添加学员。")), edit=False
    )
    return ConversationHandler.END


async def _edit_value(update: Update, context: Ctx, text: str) -> int:
    """The one field being edited: checked, then the whole learner checked again and saved."""
    draft = draft_of(context)
    svc = services(context)
    t = tr(update, context)
    try:
        typed = _read(context, draft, text)
        async with acting(update, context) as (uow, actor):
            await scores.edit_learner(
                uow, svc.clock, actor, draft["class_id"], draft["record_id"], typed
            )
    except Invalid as refused:
        return await _ask(update, context, State.EDIT, describe(refused, t))
    drop_draft(context)
    await show_learner(
        update, context, draft["class_id"], draft["record_id"], t(N_("已修改。")), edit=False
    )
    return ConversationHandler.END


# --- finding -----------------------------------------------------------------------------------


async def on_find(update: Update, context: Ctx) -> int:
    assert update.message is not None and update.message.text is not None
    text = update.message.text
    await delete_user_message(update)
    class_id = draft_of(context)["class_id"]
    svc = services(context)
    t = tr(update, context)
    try:
        async with acting(update, context) as (uow, actor):
            found = await scores.find_learner(uow, svc.clock, actor, class_id, text)
    except Invalid as refused:
        again = t(N_("请重新输入，或发送 /cancel 取消。"))
        await reply(update, f"{describe(refused, t)}\n{again}", edit=False)
        return State.FIND
    drop_draft(context)
    if found is None:
        await reply(
            update,
            t(N_("本班没有这个身份证号码的学员。")),
            column(
                [
                    button(t(N_("再查一次")), FIND.encode(class_id)),
                    button(t(N_("返回成绩表")), SHEET.encode(class_id)),
                ]
            ),
            edit=False,
        )
        return ConversationHandler.END
    await show_learner(update, context, class_id, found.id or 0, edit=False)
    return ConversationHandler.END
