"""学员成绩管理 (/scores): approved classes, a class's score sheet, import, learners, export.

The sheet of a class is the hub: from there the admin downloads the template, sends the filled
file back, adds, finds, edits or deletes one learner, exports, and submits the scores for review.
Every button re-resolves the admin and lets the services check the class is their base's and
approved, and that its scores are not locked.

An import's checked rows wait in ``user_data["_scores_import"]`` (memory only: thousands of
learners' ID-card numbers are not written to the conversation store); after a restart the admin
is asked to send the file again. A learner typed in the chat lives in ``user_data["draft:scores"]``
(persisted, encrypted) like every other draft.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from decimal import Decimal
from enum import IntEnum
from typing import Any, Final, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import CallbackAction
from bot.errors import describe
from bot.handlers import conversation
from bot.handlers.classes import history_text
from bot.handlers.menu import MENU_OPEN, MENU_SHOW
from bot.i18n import N_, Translator
from bot.keyboards import button, column, page_count, page_turns, rows
from bot.runtime import Ctx, Volatile, acting, delete_user_message, reply, services, tr
from domain import validators as v
from domain.errors import Invalid
from domain.model import ScoreRecord
from domain.scores import ImportPreview, LearnerScore, check_field, typed_values
from domain.scoresheet import FAIL_WORD, PASS_WORD, Column, ScoreWorkbooks
from domain.services import scores
from domain.uploads import check_announced_size
from domain.workflow import Status

T = TypeVar("T")

DRAFT_KEY: Final = "draft:scores"
IMPORT_KEY: Final = "_scores_import"
PER_PAGE: Final = 8
LEARNERS_PER_PAGE: Final = 10
PREVIEW_LINES: Final = 10
PROGRESS_EVERY: Final = 2.0
"""Seconds between edits of the progress message: well inside Telegram's edit limits."""

LIST = CallbackAction("sc:ls", ids=1)  # page
SHEET = CallbackAction("sc:sheet", ids=1)
"""A class's score sheet (the class id); what a reviewer's decision on scores links to."""
TEMPLATE = CallbackAction("sc:tpl", ids=1)
IMPORT = CallbackAction("sc:imp", ids=1)
CONFIRM = CallbackAction("sc:ok", ids=1)
EXPORT = CallbackAction("sc:exp", ids=1)
SUBMIT = CallbackAction("sc:sub", ids=1)
SUBMIT_OK = CallbackAction("sc:subok", ids=1)
WITHDRAW = CallbackAction("sc:wd", ids=1)
LEARNERS = CallbackAction("sc:ppl", ids=2)  # class, page
LEARNER = CallbackAction("sc:one", ids=2)  # class, record
ADD = CallbackAction("sc:add", ids=1)
FIND = CallbackAction("sc:find", ids=1)
EDIT = CallbackAction("sc:edit", ids=2, words=1)  # class, record, column
DELETE = CallbackAction("sc:del", ids=2)
DELETE_OK = CallbackAction("sc:delok", ids=2)
VALUE = CallbackAction("sc:v", words=1)  # a choice for the value being asked
SKIP: Final = "skip"
PASS_CHOICE: Final = "pass"
FAIL_CHOICE: Final = "fail"

SHEET_STATUS: Final[dict[Status, str]] = {
    Status.DRAFT: N_("未报送"),
    Status.SUBMITTED: N_("已报送，待审核"),
    Status.APPROVED: N_("审核通过"),
    Status.RETURNED: N_("已退回，请修改后重新报送"),
}
COLUMN_LABELS: Final[dict[Column, str]] = {
    Column.NAME: N_("姓名"),
    Column.ID_NUMBER: N_("身份证号"),
    Column.SCORE: N_("成绩"),
    Column.PASSED: N_("是否合格"),
    Column.HOURS: N_("获得学时"),
    Column.CERTIFICATE_NO: N_("证书编号"),
    Column.REMARK: N_("备注"),
}
ADD_STEPS: Final = (
    Column.NAME,
    Column.ID_NUMBER,
    Column.SCORE,
    Column.HOURS,
    Column.CERTIFICATE_NO,
)
EDITABLE: Final = (Column.NAME, Column.SCORE, Column.HOURS, Column.CERTIFICATE_NO, Column.REMARK)
PROMPTS: Final[dict[Column, str]] = {
    Column.NAME: N_("请输入学员姓名："),
    Column.ID_NUMBER: N_("请输入学员的 18 位身份证号码（读取后会立即从聊天中删除）："),
    Column.SCORE: N_("请输入成绩（0–100，最多一位小数），或直接选择合格 / 不合格："),
    Column.HOURS: N_("请输入获得学时（最多 {hours}；不合格为 0），或选择下方按钮："),
    Column.CERTIFICATE_NO: N_("请输入证书编号，没有可跳过："),
    Column.REMARK: N_("请输入备注（最多 200 字），留空请发送“无”："),
}


class State(IntEnum):
    IMPORT_FILE = 1
    IMPORT_CONFIRM = 2
    ADD = 3
    EDIT = 4
    FIND = 5


# --- the classes -------------------------------------------------------------------------------


async def show(update: Update, context: Ctx) -> None:
    """/scores or the menu button: approved classes, newest first."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    await _show_list(update, context, 0)


async def on_list(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    page = LIST.parse_id(update.callback_query.data)
    await update.callback_query.answer()
    await _show_list(update, context, page)


async def _show_list(update: Update, context: Ctx, page: int) -> None:
    t = tr(update, context)
    async with acting(update, context, readonly=True) as (uow, actor):
        items, total = await scores.scoring_classes(
            uow, actor, offset=page * PER_PAGE, limit=PER_PAGE
        )
    lines = [
        t(
            N_("学员成绩管理：审核通过的培训班共 {total} 个（第 {page}/{pages} 页）。"),
            total=total,
            page=page + 1,
            pages=page_count(total, PER_PAGE),
        )
    ]
    if not items:
        lines.append(t(N_("还没有审核通过的培训班。培训班通过主管部门审核后才能登记成绩。")))
    else:
        lines.append(t(N_("请选择培训班：")))
        lines += [f"{c.year} · {c.name} · {c.start_date} ~ {c.end_date}" for c in items]
    keyboard: list[list[InlineKeyboardButton]] = [
        [button(f"{c.year} · {c.name}"[:60], SHEET.encode(c.id or 0))] for c in items
    ]
    paging = page_turns(page, (page + 1) * PER_PAGE < total, LIST.encode)
    if paging:
        keyboard.append(paging)
    keyboard.append([button(t(N_("返回功能列表")), MENU_SHOW.encode())])
    await reply(update, "\n".join(lines), InlineKeyboardMarkup(keyboard))


# --- the sheet ---------------------------------------------------------------------------------


async def on_sheet(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id = SHEET.parse_id(update.callback_query.data)
    await update.callback_query.answer()
    await show_sheet(update, context, class_id)


async def show_sheet(update: Update, context: Ctx, class_id: int, note: str = "") -> None:
    t = tr(update, context)
    async with acting(update, context, readonly=True) as (uow, actor):
        view = await scores.open_sheet(uow, actor, class_id)
    c, counts, sheet = view.training_class, view.counts, view.sheet
    text = t(
        N_(
            "学员成绩：{name}\n"
            "培训日期：{start} 至 {end} · 学时：{hours}\n"
            "成绩报送：{status}\n"
            "学员 {learners} 名：合格 {passed} 名，不合格 {failed} 名，共授予 {awarded} 学时"
        ),
        name=c.name,
        start=c.start_date,
        end=c.end_date,
        hours=c.hours,
        status=t(SHEET_STATUS[sheet.status]),
        learners=counts.learners,
        passed=counts.passed,
        failed=counts.failed,
        awarded=counts.hours,
    )
    if sheet.history:
        text += "\n\n" + history_text(sheet, view.names, t)
    if note:
        text = f"{note}\n\n{text}"
    buttons = []
    if sheet.is_editable:
        buttons += [
            button(t(N_("下载成绩模板")), TEMPLATE.encode(class_id)),
            button(t(N_("导入成绩文件")), IMPORT.encode(class_id)),
        ]
    buttons += [
        button(t(N_("学员名单")), LEARNERS.encode(class_id, 0)),
        button(t(N_("查找学员")), FIND.encode(class_id)),
    ]
    if sheet.is_editable:
        buttons.append(button(t(N_("添加学员")), ADD.encode(class_id)))
    buttons.append(button(t(N_("导出成绩")), EXPORT.encode(class_id)))
    if sheet.is_editable:
        buttons.append(button(t(N_("报送成绩")), SUBMIT.encode(class_id)))
    if sheet.status is Status.SUBMITTED:
        buttons.append(button(t(N_("撤回报送")), WITHDRAW.encode(class_id)))
    buttons.append(button(t(N_("返回培训班列表")), LIST.encode(0)))
    await reply(update, text, rows(buttons, per_row=2))


async def on_template(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None and update.effective_chat is not None
    class_id = TEMPLATE.parse_id(update.callback_query.data)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        made_for, data = await scores.template(uow, actor, _workbooks(context), class_id)
    await update.callback_query.answer()
    await update.effective_chat.send_document(
        data,
        filename=attachment_name(t(N_("成绩模板")), made_for.class_name),
        caption=t(
            N_(
                "“{name}”的成绩模板。请在电脑或手机上填写（身份证号列已设为文本，请勿改动表头），"
                "然后点击“导入成绩文件”并把文件发回给我。"
            ),
            name=made_for.class_name,
        ),
    )


async def on_export(update: Update, context: Ctx) -> None:
    """导出成绩: the only place full ID-card numbers leave cebot, at the admin's request."""
    assert update.callback_query is not None and update.effective_chat is not None
    class_id = EXPORT.parse_id(update.callback_query.data)
    svc = services(context)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        made_for, data = await scores.export(uow, svc.clock, actor, _workbooks(context), class_id)
    await update.callback_query.answer()
    await update.effective_chat.send_document(
        data,
        filename=attachment_name(t(N_("成绩")), made_for.class_name),
        caption=t(N_("“{name}”的成绩（含完整身份证号码，请妥善保管）。"), name=made_for.class_name),
    )


async def on_submit(update: Update, context: Ctx) -> None:
    """报送成绩: asked first, since it locks the scores until a reviewer returns them."""
    assert update.callback_query is not None
    class_id = SUBMIT.parse_id(update.callback_query.data)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        view = await scores.open_sheet(uow, actor, class_id)
    await update.callback_query.answer()
    keyboard = column(
        [
            button(t(N_("确认报送")), SUBMIT_OK.encode(class_id)),
            button(t(N_("取消")), SHEET.encode(class_id)),
        ]
    )
    await reply(
        update,
        t(
            N_(
                "报送“{name}”的 {learners} 名学员成绩？报送后成绩将被锁定，"
                "审核前可以撤回；被退回后可以修改并重新报送。"
            ),
            name=view.training_class.name,
            learners=view.counts.learners,
        ),
        keyboard,
    )


async def on_submit_ok(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id = SUBMIT_OK.parse_id(update.callback_query.data)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        await scores.submit_scores(uow, svc.clock, actor, class_id)
    await update.callback_query.answer()
    t = tr(update, context)
    await show_sheet(update, context, class_id, t(N_("成绩已报送，等待主管部门审核。")))


async def on_withdraw(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id = WITHDRAW.parse_id(update.callback_query.data)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        await scores.withdraw_scores(uow, svc.clock, actor, class_id)
    await update.callback_query.answer()
    t = tr(update, context)
    await show_sheet(update, context, class_id, t(N_("已撤回报送，成绩可以修改。")))


# --- learners ----------------------------------------------------------------------------------


async def on_learners(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id, page = LEARNERS.parse(update.callback_query.data)
    assert isinstance(class_id, int) and isinstance(page, int)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        items, total = await scores.list_learners(
            uow, actor, class_id, offset=page * LEARNERS_PER_PAGE, limit=LEARNERS_PER_PAGE
        )
    await update.callback_query.answer()
    lines = [
        t(
            N_("学员名单：共 {total} 名（第 {page}/{pages} 页）"),
            total=total,
            page=page + 1,
            pages=page_count(total, LEARNERS_PER_PAGE),
        )
    ]
    if not items:
        lines.append(t(N_("还没有学员。可以下载模板批量导入，或逐个添加。")))
    first = page * LEARNERS_PER_PAGE + 1
    lines += [f"{n}. {_learner_line(r, t)}" for n, r in enumerate(items, start=first)]
    keyboard = [
        [button(f"{n}. {r.learner_name}"[:40], LEARNER.encode(class_id, r.id or 0))]
        for n, r in enumerate(items, start=first)
    ]
    paging = page_turns(
        page, (page + 1) * LEARNERS_PER_PAGE < total, lambda p: LEARNERS.encode(class_id, p)
    )
    if paging:
        keyboard.append(paging)
    keyboard.append([button(t(N_("返回成绩表")), SHEET.encode(class_id))])
    await reply(update, "\n".join(lines), InlineKeyboardMarkup(keyboard))


def _result_text(score: Decimal | None, passed: bool | None, t: Translator) -> str:
    verdict = t(N_("合格")) if passed else t(N_("不合格"))
    return (
        verdict if score is None else t(N_("{score} 分（{verdict}）"), score=score, verdict=verdict)
    )


def _learner_line(r: ScoreRecord, t: Translator) -> str:
    return t(
        N_("{name} {id_number} · {result} · {hours} 学时"),
        name=r.learner_name,
        id_number=v.mask_id_number(r.id_number),
        result=_result_text(r.score, r.passed, t),
        hours=r.hours,
    )


async def on_learner(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id, record_id = LEARNER.parse(update.callback_query.data)
    assert isinstance(class_id, int) and isinstance(record_id, int)
    await update.callback_query.answer()
    await _show_learner(update, context, class_id, record_id)


async def _show_learner(
    update: Update,
    context: Ctx,
    class_id: int,
    record_id: int,
    note: str = "",
    *,
    edit: bool = True,
) -> None:
    t = tr(update, context)
    async with acting(update, context, readonly=True) as (uow, actor):
        record = await scores.get_learner(uow, actor, class_id, record_id)
        sheet = await scores.sheet_of(uow, class_id)
    text = t(
        N_(
            "学员：{name}\n身份证号：{id_number}\n成绩：{result}\n获得学时：{hours}\n"
            "证书编号：{certificate}\n备注：{remark}"
        ),
        name=record.learner_name,
        id_number=v.mask_id_number(record.id_number),
        result=_result_text(record.score, record.passed, t),
        hours=record.hours,
        certificate=record.certificate_no or t(N_("（无）")),
        remark=record.remark or t(N_("（无）")),
    )
    if note:
        text = f"{note}\n\n{text}"
    buttons = []
    if sheet.is_editable:
        buttons = [
            button(
                t(N_("修改{label}"), label=t(COLUMN_LABELS[c])),
                EDIT.encode(class_id, record_id, c.value),
            )
            for c in EDITABLE
        ]
        buttons.append(button(t(N_("删除学员")), DELETE.encode(class_id, record_id)))
    buttons.append(button(t(N_("返回学员名单")), LEARNERS.encode(class_id, 0)))
    buttons.append(button(t(N_("返回成绩表")), SHEET.encode(class_id)))
    await reply(update, text, rows(buttons, per_row=2), edit=edit)


async def on_delete(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id, record_id = DELETE.parse(update.callback_query.data)
    assert isinstance(class_id, int) and isinstance(record_id, int)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        record = await scores.get_learner(uow, actor, class_id, record_id)
    await update.callback_query.answer()
    keyboard = column(
        [
            button(t(N_("确认删除")), DELETE_OK.encode(class_id, record_id)),
            button(t(N_("取消")), LEARNER.encode(class_id, record_id)),
        ]
    )
    await reply(
        update, t(N_("确定删除学员“{name}”的成绩记录吗？"), name=record.learner_name), keyboard
    )


async def on_delete_ok(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id, record_id = DELETE_OK.parse(update.callback_query.data)
    assert isinstance(class_id, int) and isinstance(record_id, int)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        record = await scores.delete_learner(uow, svc.clock, actor, class_id, record_id)
    await update.callback_query.answer()
    t = tr(update, context)
    await show_sheet(
        update, context, class_id, t(N_("已删除学员“{name}”。"), name=record.learner_name)
    )


# --- typing one learner: add, edit a field, find -------------------------------------------------


def _draft(context: Ctx) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    if not isinstance(draft, dict) or not isinstance(draft.get("class_id"), int):
        raise Invalid("field", N_("这一步已经失效，请重新打开成绩表。"))
    return draft


async def start_add(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None and context.user_data is not None
    class_id = ADD.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        c = await scores.editable_class(uow, actor, class_id)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {
        "class_id": class_id,
        "hours": str(c.hours),
        "mode": "add",
        "field": Column.NAME.value,
        "values": {},
    }
    return await _ask(update, context)


async def start_edit(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None and context.user_data is not None
    class_id, record_id, word = EDIT.parse(update.callback_query.data)
    assert isinstance(class_id, int) and isinstance(record_id, int) and isinstance(word, str)
    if word not in {c.value for c in EDITABLE}:
        raise Invalid("field", N_("这一步已经失效，请重新打开成绩表。"))
    async with acting(update, context) as (uow, actor):
        c = await scores.scoring_class(uow, actor, class_id)
        await scores.get_learner(uow, actor, class_id, record_id)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {
        "class_id": class_id,
        "record_id": record_id,
        "hours": str(c.hours),
        "mode": "edit",
        "field": word,
        "values": {},
    }
    return await _ask(update, context)


async def start_find(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None and context.user_data is not None
    class_id = FIND.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        c = await scores.scoring_class(uow, actor, class_id)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {
        "class_id": class_id,
        "hours": str(c.hours),
        "mode": "find",
        "field": Column.ID_NUMBER.value,
        "values": {},
    }
    t = tr(update, context)
    await reply(
        update,
        t(N_("请输入要查找的学员身份证号码（读取后会立即从聊天中删除），发送 /cancel 取消：")),
        edit=False,
    )
    return State.FIND


async def _ask(update: Update, context: Ctx, note: str = "") -> int:
    draft = _draft(context)
    t = tr(update, context)
    field = Column(draft["field"])
    prompt = t(PROMPTS[field], hours=draft["hours"])
    choices = []
    if field is Column.SCORE:
        choices = [
            button(t(N_("合格")), VALUE.encode(PASS_CHOICE)),
            button(t(N_("不合格")), VALUE.encode(FAIL_CHOICE)),
        ]
    elif field is Column.HOURS and draft["mode"] == "add":
        choices = [button(t(N_("按结果自动填写")), VALUE.encode(SKIP))]
    elif field is Column.CERTIFICATE_NO:
        choices = [button(t(N_("跳过")), VALUE.encode(SKIP))]
    text = f"{note}\n{prompt}" if note else prompt
    await reply(update, text, rows(choices, per_row=2) if choices else None, edit=False)
    return State.EDIT if draft["mode"] == "edit" else State.ADD


async def on_typed(update: Update, context: Ctx) -> int:
    assert update.message is not None and update.message.text is not None
    draft = _draft(context)
    text = update.message.text
    if draft["field"] == Column.ID_NUMBER.value:
        await delete_user_message(update)
    return await _accept(update, context, text)


async def on_choice(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None
    word = VALUE.parse_word(update.callback_query.data)
    await update.callback_query.answer()
    typed = {PASS_CHOICE: PASS_WORD, FAIL_CHOICE: FAIL_WORD, SKIP: ""}.get(word)
    if typed is None:
        raise Invalid("field", N_("这一步已经失效，请重新打开成绩表。"))
    return await _accept(update, context, typed)


async def _accept(update: Update, context: Ctx, text: str) -> int:
    draft = _draft(context)
    field = Column(draft["field"])
    svc = services(context)
    t = tr(update, context)
    typed = typed_values(field, text)
    try:
        for column_typed, value in typed.items():
            check_field(column_typed, value, Decimal(draft["hours"]), svc.clock.now().date())
    except Invalid as refused:
        return await _ask(update, context, describe(refused, t))
    if draft["mode"] == "edit":
        return await _save_edit(update, context, draft, typed)
    draft["values"].update({c.value: value for c, value in typed.items()})
    following = ADD_STEPS.index(field) + 1
    if following < len(ADD_STEPS):
        draft["field"] = ADD_STEPS[following].value
        return await _ask(update, context)
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
        return await _ask(update, context, describe(refused, t))
    _drop(context)
    await _show_learner(
        update, context, draft["class_id"], record.id or 0, t(N_("已添加学员。")), edit=False
    )
    return ConversationHandler.END


async def _save_edit(
    update: Update, context: Ctx, draft: dict[str, Any], typed: dict[Column, str]
) -> int:
    svc = services(context)
    t = tr(update, context)
    try:
        async with acting(update, context) as (uow, actor):
            await scores.edit_learner(
                uow, svc.clock, actor, draft["class_id"], draft["record_id"], typed
            )
    except Invalid as refused:
        return await _ask(update, context, describe(refused, t))
    _drop(context)
    await _show_learner(
        update, context, draft["class_id"], draft["record_id"], t(N_("已修改。")), edit=False
    )
    return ConversationHandler.END


async def on_find(update: Update, context: Ctx) -> int:
    assert update.message is not None and update.message.text is not None
    text = update.message.text
    await delete_user_message(update)
    draft = _draft(context)
    svc = services(context)
    t = tr(update, context)
    try:
        async with acting(update, context) as (uow, actor):
            found = await scores.find_learner(uow, svc.clock, actor, draft["class_id"], text)
    except Invalid as refused:
        again = t(N_("请重新输入，或发送 /cancel 取消。"))
        await reply(update, f"{describe(refused, t)}\n{again}", edit=False)
        return State.FIND
    _drop(context)
    if found is None:
        await reply(
            update,
            t(N_("本班没有这个身份证号码的学员。")),
            column(
                [
                    button(t(N_("再查一次")), FIND.encode(draft["class_id"])),
                    button(t(N_("返回成绩表")), SHEET.encode(draft["class_id"])),
                ]
            ),
            edit=False,
        )
        return ConversationHandler.END
    await _show_learner(update, context, draft["class_id"], found.id or 0, edit=False)
    return ConversationHandler.END


def _drop(context: Ctx) -> None:
    assert context.user_data is not None
    context.user_data.pop(DRAFT_KEY, None)


# --- importing a file --------------------------------------------------------------------------


async def start_import(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None and context.user_data is not None
    class_id = IMPORT.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        c = await scores.editable_class(uow, actor, class_id)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {"class_id": class_id, "hours": str(c.hours), "mode": "import"}
    t = tr(update, context)
    await reply(
        update,
        t(
            N_(
                "请把填好的成绩文件作为附件发给我（Excel .xlsx 或 CSV，最大 20 MB）。"
                "我会先逐行检查并告诉您结果，确认后才会保存。发送 /cancel 取消。"
            )
        ),
        column([button(t(N_("取消")), SHEET.encode(class_id))]),
        edit=False,
    )
    return State.IMPORT_FILE


async def on_file(update: Update, context: Ctx) -> int:
    """A score file: size checked before download, then read and checked with progress shown."""
    assert update.message is not None and update.message.document is not None
    assert context.user_data is not None and update.effective_chat is not None
    draft = _draft(context)
    class_id = draft["class_id"]
    doc = update.message.document
    check_announced_size(doc.file_size)
    svc = services(context)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        target = await scores.prepare_import(uow, actor, class_id)
    data = bytes(await (await context.bot.get_file(doc.file_id)).download_as_bytearray())
    progress = scores.ImportProgress()
    today = svc.clock.now().astimezone(svc.settings.timezone).date()
    checking = scores.check_file(target, _workbooks(context), today, data, doc.file_name, progress)
    try:
        preview = await _with_progress(update, t, progress, checking)
    except Invalid as refused:
        again = t(N_("请改正后重新发送文件，或发送 /cancel 取消。"))
        await reply(update, f"{describe(refused, t)}\n{again}", edit=False)
        return State.IMPORT_FILE
    context.user_data[IMPORT_KEY] = Volatile(class_id=class_id, preview=preview)
    await _show_preview(update, context, class_id, preview)
    if preview.wrong:
        explained = {
            row: {c: describe(refused, t) for c, refused in columns.items()}
            for row, columns in preview.problems.items()
        }
        heading = target.heading
        marked = await scores.annotate(_workbooks(context), heading, data, doc.file_name, explained)
        await update.effective_chat.send_document(
            marked,
            filename=attachment_name(t(N_("成绩-错误标注")), heading.class_name),
            caption=t(N_("有错误的单元格已标红，并在批注中说明原因。改正后把文件再发给我即可。")),
        )
    return State.IMPORT_CONFIRM


async def _with_progress(
    update: Update, t: Translator, progress: scores.ImportProgress, work: Awaitable[T]
) -> T:
    """Runs ``work``; past a moment, one message shows rows checked so far, edited as it goes."""
    task = asyncio.ensure_future(work)
    message: Message | None = None
    shown = ""
    while True:
        done, _ = await asyncio.wait({task}, timeout=PROGRESS_EVERY)
        if done:
            break
        text = _progress_text(progress, t)
        if text == shown:
            continue
        with contextlib.suppress(TelegramError):  # progress is a courtesy, never a failure
            if message is None:
                message = await reply(update, text, edit=False)
            else:
                await message.edit_text(text)
            shown = text
    result = task.result()
    if message is not None:
        with contextlib.suppress(TelegramError):
            await message.edit_text(
                t(N_("已校验 {checked} 行，校验完成。"), checked=f"{progress.checked:,}")
            )
    return result


def _progress_text(progress: scores.ImportProgress, t: Translator) -> str:
    if progress.total:
        return t(
            N_("正在校验：已校验 {checked} / {total} 行"),
            checked=f"{progress.checked:,}",
            total=f"{progress.total:,}",
        )
    return t(N_("正在校验：已校验 {checked} 行"), checked=f"{progress.checked:,}")


async def _show_preview(
    update: Update, context: Ctx, class_id: int, preview: ImportPreview
) -> None:
    t = tr(update, context)
    lines = [
        t(
            N_(
                "文件已校验，共 {rows} 行：新增 {new} 名，修改 {changed} 名，"
                "不变 {unchanged} 名，有错误 {wrong} 行。"
            ),
            rows=preview.rows_read,
            new=len(preview.new),
            changed=len(preview.changed),
            unchanged=preview.unchanged,
            wrong=preview.wrong,
        )
    ]
    if preview.changed:
        lines.append(t(N_("成绩有变化的学员：")))
        for old, new in preview.changed[:PREVIEW_LINES]:
            lines.append(
                t(
                    N_("{name}：{old} → {new}"),
                    name=new.name,
                    old=_summary(LearnerScore.of(old), t),
                    new=_summary(new, t),
                )
            )
        if len(preview.changed) > PREVIEW_LINES:
            lines.append(t(N_("……等 {count} 名"), count=len(preview.changed)))
    if preview.problems:
        lines.append(t(N_("有错误的行（不会保存）：")))
        for row, columns in list(preview.problems.items())[:PREVIEW_LINES]:
            for col, refused in columns.items():
                lines.append(
                    t(
                        N_("第 {row} 行 {column}：{reason}"),
                        row=row,
                        column=t(COLUMN_LABELS[col]),
                        reason=describe(refused, t),
                    )
                )
        if preview.wrong > PREVIEW_LINES:
            lines.append(t(N_("……共 {count} 行有错误，详见返回的文件。"), count=preview.wrong))
    store = len(preview.to_store)
    buttons = []
    if store:
        lines.append(
            t(
                N_("确认后将保存 {count} 名学员的成绩；有错误的行改正后可再次发送文件。"),
                count=store,
            )
        )
        buttons.append(
            button(t(N_("确认导入 {count} 名学员"), count=store), CONFIRM.encode(class_id))
        )
    else:
        lines.append(t(N_("没有可以保存的新记录。请改正后重新发送文件。")))
    buttons.append(button(t(N_("取消")), SHEET.encode(class_id)))
    text = "\n".join(lines)
    await reply(update, text[:4000], column(buttons), edit=False)


def _summary(learner: LearnerScore, t: Translator) -> str:
    return t(
        N_("{result}，{hours} 学时"),
        result=_result_text(learner.score, learner.passed, t),
        hours=learner.hours,
    )


async def on_confirm(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None and context.user_data is not None
    class_id = CONFIRM.parse_id(update.callback_query.data)
    pending = context.user_data.get(IMPORT_KEY)
    t = tr(update, context)
    if not isinstance(pending, dict) or pending.get("class_id") != class_id:
        await update.callback_query.answer()
        await reply(
            update,
            t(N_("这次导入已经失效（可能是机器人重启过），请重新发送文件。")),
            column([button(t(N_("返回成绩表")), SHEET.encode(class_id))]),
        )
        return ConversationHandler.END
    svc = services(context)
    # Answered before storing: Telegram refuses an answer after 15 s, and 100,000 rows take
    # longer; the sheet shown afterwards is the answer the admin reads.
    await update.callback_query.answer()
    async with acting(update, context) as (uow, actor):
        stored = await scores.confirm_import(uow, svc.clock, actor, class_id, pending["preview"])
    conversation.drop_drafts(context)
    await show_sheet(
        update, context, class_id, t(N_("已导入 {count} 名学员的成绩。"), count=stored)
    )
    return ConversationHandler.END


async def leave_to_sheet(update: Update, context: Ctx) -> int:
    """取消 or another sheet button while a step waits: the step is abandoned."""
    conversation.drop_drafts(context)
    await on_sheet(update, context)
    return ConversationHandler.END


# --- helpers -----------------------------------------------------------------------------------


def _workbooks(context: Ctx) -> ScoreWorkbooks:
    return services(context).workbooks


def attachment_name(kind: str, class_name: str) -> str:
    safe = "".join(ch for ch in class_name if ch not in '\\/:*?"<>|')[:60]
    return f"{kind}-{safe}.xlsx"


def build() -> ConversationHandler:  # type: ignore[type-arg]
    text = filters.TEXT & ~filters.COMMAND
    to_sheet = CallbackQueryHandler(leave_to_sheet, pattern=SHEET.pattern)
    return ConversationHandler(
        name="scores",
        persistent=True,
        entry_points=[
            CallbackQueryHandler(start_import, pattern=IMPORT.pattern),
            CallbackQueryHandler(start_add, pattern=ADD.pattern),
            CallbackQueryHandler(start_edit, pattern=EDIT.pattern),
            CallbackQueryHandler(start_find, pattern=FIND.pattern),
        ],
        states={
            State.IMPORT_FILE: [MessageHandler(filters.Document.ALL, on_file), to_sheet],
            State.IMPORT_CONFIRM: [
                CallbackQueryHandler(on_confirm, pattern=CONFIRM.pattern),
                MessageHandler(filters.Document.ALL, on_file),
                to_sheet,
            ],
            State.ADD: [
                MessageHandler(text, on_typed),
                CallbackQueryHandler(on_choice, pattern=VALUE.pattern),
                to_sheet,
            ],
            State.EDIT: [
                MessageHandler(text, on_typed),
                CallbackQueryHandler(on_choice, pattern=VALUE.pattern),
                to_sheet,
            ],
            State.FIND: [MessageHandler(text, on_find), to_sheet],
            **conversation.timeout_handlers(),
        },
        fallbacks=conversation.fallbacks(),
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(build())
    app.add_handler(CommandHandler("scores", show))
    app.add_handler(CallbackQueryHandler(show, pattern=f"^{MENU_OPEN.encode('scores')}$"))
    for action, callback in (
        (LIST, on_list),
        (SHEET, on_sheet),
        (TEMPLATE, on_template),
        (EXPORT, on_export),
        (SUBMIT, on_submit),
        (SUBMIT_OK, on_submit_ok),
        (WITHDRAW, on_withdraw),
        (LEARNERS, on_learners),
        (LEARNER, on_learner),
        (DELETE, on_delete),
        (DELETE_OK, on_delete_ok),
    ):
        app.add_handler(CallbackQueryHandler(callback, pattern=action.pattern))
