"""One class's learners: the list, one learner's card, deleting a learner.

ID-card numbers are shown masked; the full number leaves cebot only in an export.
"""

from __future__ import annotations

from typing import Final

from telegram import InlineKeyboardMarkup, Update

from bot.handlers.scores.callbacks import DELETE, DELETE_OK, EDIT, LEARNER, LEARNERS, SHEET
from bot.handlers.scores.render import COLUMN_LABELS, result_text
from bot.handlers.scores.sheet import show_sheet
from bot.i18n import N_, Translator
from bot.keyboards import button, column, page_count, page_turns, rows
from bot.runtime import Ctx, acting, reply, services, tr
from domain import validators
from domain.model import ScoreRecord
from domain.scores import EDITABLE
from domain.services import scores

PER_PAGE: Final = 10


async def on_learners(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id, page = LEARNERS.parse(update.callback_query.data)
    assert isinstance(class_id, int) and isinstance(page, int)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        items, total = await scores.list_learners(
            uow, actor, class_id, offset=page * PER_PAGE, limit=PER_PAGE
        )
    await update.callback_query.answer()
    lines = [
        t(
            N_("学员名单：共 {total} 名（第 {page}/{pages} 页）"),
            total=total,
            page=page + 1,
            pages=page_count(total, PER_PAGE),
        )
    ]
    if not items:
        lines.append(t(N_("还没有学员。可以下载模板批量导入，或逐个添加。")))
    first = page * PER_PAGE + 1
    lines += [f"{n}. {_learner_line(r, t)}" for n, r in enumerate(items, start=first)]
    keyboard = [
        [button(f"{n}. {r.learner_name}"[:40], LEARNER.encode(class_id, r.id or 0))]
        for n, r in enumerate(items, start=first)
    ]
    paging = page_turns(page, (page + 1) * PER_PAGE < total, lambda p: LEARNERS.encode(class_id, p))
    if paging:
        keyboard.append(paging)
    keyboard.append([button(t(N_("返回成绩表")), SHEET.encode(class_id))])
    await reply(update, "\n".join(lines), InlineKeyboardMarkup(keyboard))


def _learner_line(r: ScoreRecord, t: Translator) -> str:
    return t(
        N_("{name} {id_number} · {result} · {hours} 学时"),
        name=r.learner_name,
        id_number=validators.mask_id_number(r.id_number),
        result=result_text(r.score, r.passed, t),
        hours=r.hours,
    )


async def on_learner(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id, record_id = LEARNER.parse(update.callback_query.data)
    assert isinstance(class_id, int) and isinstance(record_id, int)
    await update.callback_query.answer()
    await show_learner(update, context, class_id, record_id)


async def show_learner(
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
    text = _card_text(record, t)
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


def _card_text(record: ScoreRecord, t: Translator) -> str:
    return t(
        N_(
            "学员：{name}\n身份证号：{id_number}\n成绩：{result}\n获得学时：{hours}\n"
            "证书编号：{certificate}\n备注：{remark}"
        ),
        name=record.learner_name,
        id_number=validators.mask_id_number(record.id_number),
        result=result_text(record.score, record.passed, t),
        hours=record.hours,
        certificate=record.certificate_no or t(N_("（无）")),
        remark=record.remark or t(N_("（无）")),
    )


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
