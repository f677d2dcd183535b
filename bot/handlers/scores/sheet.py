"""The score sheets: the approved classes, one class's sheet, template, export, submit, withdraw.

The sheet of a class is the hub: from there the admin downloads the template, sends the filled
file back (:mod:`.importing`), lists, finds, adds, edits or deletes one learner (:mod:`.learner`,
:mod:`.learner_form`), exports, and submits the scores for review. Every button re-resolves the
admin and lets the services check the class is their base's and approved, and that its scores are
not locked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.callbacks import CallbackAction
from bot.handlers import conversation
from bot.handlers.classes import history_text
from bot.handlers.menu import MENU_SHOW
from bot.handlers.scores.callbacks import (
    ADD,
    EXPORT,
    FIND,
    IMPORT,
    LEARNERS,
    LIST,
    SHEET,
    SUBMIT,
    SUBMIT_OK,
    TEMPLATE,
    WITHDRAW,
)
from bot.handlers.scores.render import attachment_name, workbooks
from bot.i18n import N_, Translator
from bot.keyboards import button, column, page_count, page_turns, rows
from bot.runtime import Ctx, acting, reply, services, tr
from domain.clock import Clock
from domain.model import Actor
from domain.ports import UnitOfWork
from domain.services import scores
from domain.workflow import Status

PER_PAGE: Final = 8

SheetStep = Callable[[UnitOfWork, Clock, Actor, int], Awaitable[object]]

SHEET_STATUS: Final[dict[Status, str]] = {
    Status.DRAFT: N_("未报送"),
    Status.SUBMITTED: N_("已报送，待审核"),
    Status.APPROVED: N_("审核通过"),
    Status.RETURNED: N_("已退回，请修改后重新报送"),
}


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


async def leave_to_sheet(update: Update, context: Ctx) -> int:
    """取消 or another sheet button while a step waits: the step is abandoned."""
    conversation.drop_drafts(context)
    await on_sheet(update, context)
    return ConversationHandler.END


async def show_sheet(update: Update, context: Ctx, class_id: int, note: str = "") -> None:
    t = tr(update, context)
    async with acting(update, context, readonly=True) as (uow, actor):
        view = await scores.open_sheet(uow, actor, class_id)
    text = _sheet_text(view, t)
    if note:
        text = f"{note}\n\n{text}"
    await reply(update, text, rows(_sheet_buttons(class_id, view, t), per_row=2))


def _sheet_text(view: scores.SheetView, t: Translator) -> str:
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
    return text


def _sheet_buttons(
    class_id: int, view: scores.SheetView, t: Translator
) -> list[InlineKeyboardButton]:
    """What the sheet offers: changes only while editable, withdrawal only while submitted."""
    editable = view.sheet.is_editable
    buttons = []
    if editable:
        buttons += [
            button(t(N_("下载成绩模板")), TEMPLATE.encode(class_id)),
            button(t(N_("导入成绩文件")), IMPORT.encode(class_id)),
        ]
    buttons += [
        button(t(N_("学员名单")), LEARNERS.encode(class_id, 0)),
        button(t(N_("查找学员")), FIND.encode(class_id)),
    ]
    if editable:
        buttons.append(button(t(N_("添加学员")), ADD.encode(class_id)))
    buttons.append(button(t(N_("导出成绩")), EXPORT.encode(class_id)))
    if editable:
        buttons.append(button(t(N_("报送成绩")), SUBMIT.encode(class_id)))
    if view.sheet.status is Status.SUBMITTED:
        buttons.append(button(t(N_("撤回报送")), WITHDRAW.encode(class_id)))
    buttons.append(button(t(N_("返回培训班列表")), LIST.encode(0)))
    return buttons


# --- what the sheet's buttons do ---------------------------------------------------------------


async def on_template(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None and update.effective_chat is not None
    class_id = TEMPLATE.parse_id(update.callback_query.data)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        made_for, data = await scores.template(uow, actor, workbooks(context), class_id)
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
        made_for, data = await scores.export(uow, svc.clock, actor, workbooks(context), class_id)
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
    await _review_step(
        update, context, SUBMIT_OK, scores.submit_scores, N_("成绩已报送，等待主管部门审核。")
    )


async def on_withdraw(update: Update, context: Ctx) -> None:
    await _review_step(
        update, context, WITHDRAW, scores.withdraw_scores, N_("已撤回报送，成绩可以修改。")
    )


async def _review_step(
    update: Update, context: Ctx, action: CallbackAction, step: SheetStep, done: str
) -> None:
    """报送 or 撤回 by the service's ``step``; the sheet shows the new state under ``done``."""
    assert update.callback_query is not None
    class_id = action.parse_id(update.callback_query.data)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        await step(uow, svc.clock, actor, class_id)
    await update.callback_query.answer()
    await show_sheet(update, context, class_id, tr(update, context)(done))
