"""年度工作材料报送 (/materials): a year's materials, one material's card, what its buttons do.

Materials are many per year, each with a kind, a title and one or more files that can be added,
replaced or removed while editable (the steps that await a file or a text are in
:mod:`.material_steps`). Every press re-resolves the admin and lets the services check the
permission, the base and the state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.callbacks import CallbackAction
from bot.handlers.classes import history_text
from bot.handlers.menu import MENU_SHOW
from bot.handlers.submissions.callbacks import (
    MADD,
    MATERIAL,
    MATERIAL_WORD,
    MDELETE,
    MDELETE_OK,
    MFILE,
    MKINDASK,
    MLIST,
    MNEW,
    MREMOVE,
    MREPLACE,
    MSUBMIT,
    MTITLE,
    MWITHDRAW,
    YEARS,
)
from bot.handlers.submissions.render import VERSIONS_SHOWN, file_line
from bot.i18n import N_, Translator
from bot.keyboards import button, column, page_count, page_turns, rows
from bot.runtime import Ctx, acting, reply, services, tr
from domain.clock import Clock
from domain.model import Actor, SubmissionFile
from domain.ports import UnitOfWork
from domain.services import submissions

PER_PAGE: Final = 8

MaterialStep = Callable[[UnitOfWork, Clock, Actor, int], Awaitable[object]]


# --- the year's materials ----------------------------------------------------------------------


async def show_materials(update: Update, context: Ctx) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()
    await _material_list(update, context, submissions.this_year(services(context).clock), 0)


async def on_material_list(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    year, page = MLIST.parse(update.callback_query.data)
    assert isinstance(year, int) and isinstance(page, int)
    await update.callback_query.answer()
    await _material_list(update, context, year, page)


async def _material_list(update: Update, context: Ctx, year: int, page: int) -> None:
    t = tr(update, context)
    async with acting(update, context, readonly=True) as (uow, actor):
        items, total = await submissions.list_materials(
            uow, actor, year, offset=page * PER_PAGE, limit=PER_PAGE
        )
    lines = [
        t(
            N_("{year} 年度工作材料：共 {total} 份（第 {page}/{pages} 页）"),
            year=year,
            total=total,
            page=page + 1,
            pages=page_count(total, PER_PAGE),
        )
    ]
    if not items:
        lines.append(t(N_("还没有材料。点击“新增材料”报送学习指南、工作通知等材料。")))
    for m in items:
        lines.append(
            t(
                N_("[{kind}] {title} · {status} · {count} 个文件"),
                kind=t(m.material_kind.label) if m.material_kind else "",
                title=m.title,
                status=t(m.status.label),
                count=len(m.current_files),
            )
        )
    keyboard = [[button(m.title[:50], MATERIAL.encode(m.id or 0))] for m in items]
    paging = page_turns(page, (page + 1) * PER_PAGE < total, lambda p: MLIST.encode(year, p))
    if paging:
        keyboard.append(paging)
    keyboard.append(
        [
            button(t(N_("新增材料")), MNEW.encode(year)),
            button(t(N_("选择年度")), YEARS.encode(MATERIAL_WORD)),
        ]
    )
    keyboard.append([button(t(N_("返回功能列表")), MENU_SHOW.encode())])
    await reply(update, "\n".join(lines), InlineKeyboardMarkup(keyboard))


# --- one material ------------------------------------------------------------------------------


async def on_material(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    material_id = MATERIAL.parse_id(update.callback_query.data)
    await update.callback_query.answer()
    await show_material(update, context, material_id)


async def show_material(
    update: Update, context: Ctx, material_id: int, note: str = "", *, edit: bool = True
) -> None:
    t = tr(update, context)
    async with acting(update, context, readonly=True) as (uow, actor):
        view = await submissions.get_material(uow, actor, material_id)
    text = "\n".join(_card_lines(view, t))
    buttons = _card_buttons(view, material_id, t)
    await reply(update, f"{note}\n\n{text}" if note else text, rows(buttons, per_row=3), edit=edit)


def _card_lines(view: submissions.SubmissionView, t: Translator) -> list[str]:
    m = view.submission
    assert m is not None
    lines = [
        t(
            N_("年度工作材料：{title}\n年度：{year} · 类别：{kind} · 状态：{status}"),
            title=m.title,
            year=m.year,
            kind=t(m.material_kind.label) if m.material_kind else "",
            status=t(m.status.label),
        ),
        t(N_("文件：")),
    ]
    lines += [f"{f.number}. {file_line(f, view, t)}" for f in view.current_files]
    ended = [f for f in view.versions if not f.is_current]
    if ended:
        lines.append(t(N_("已替换或移除的文件：")))
        lines += [f"· {file_line(f, view, t)}" for f in ended[:VERSIONS_SHOWN]]
    if view.history:
        lines.append(history_text(m, view.names, t))
    return lines


def _card_buttons(
    view: submissions.SubmissionView, material_id: int, t: Translator
) -> list[InlineKeyboardButton]:
    assert view.submission is not None
    buttons = [b for f in view.current_files for b in _file_buttons(view, material_id, f, t)]
    if view.is_editable:
        buttons += [
            button(t(N_("添加文件")), MADD.encode(material_id)),
            button(t(N_("修改标题")), MTITLE.encode(material_id)),
            button(t(N_("修改类别")), MKINDASK.encode(material_id)),
        ]
    if view.can_delete:
        buttons.append(button(t(N_("删除")), MDELETE.encode(material_id)))
    if view.can_submit:
        buttons.append(button(t(N_("提交审核")), MSUBMIT.encode(material_id)))
    if view.can_withdraw:
        buttons.append(button(t(N_("撤回")), MWITHDRAW.encode(material_id)))
    buttons.append(button(t(N_("返回材料列表")), MLIST.encode(view.submission.year, 0)))
    return buttons


def _file_buttons(
    view: submissions.SubmissionView, material_id: int, f: SubmissionFile, t: Translator
) -> list[InlineKeyboardButton]:
    """下载 always; 替换 while editable; 移除 while editable and not the last file."""
    entry_id = f.id or 0
    buttons = [button(t(N_("下载 {number}"), number=f.number), MFILE.encode(material_id, entry_id))]
    if view.is_editable:
        buttons.append(
            button(t(N_("替换 {number}"), number=f.number), MREPLACE.encode(material_id, entry_id))
        )
    if view.can_remove_files:
        buttons.append(
            button(t(N_("移除 {number}"), number=f.number), MREMOVE.encode(material_id, entry_id))
        )
    return buttons


# --- what the card's buttons do ----------------------------------------------------------------


async def on_download(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None and update.effective_chat is not None
    material_id, entry_id = MFILE.parse(update.callback_query.data)
    assert isinstance(material_id, int) and isinstance(entry_id, int)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        stored, data = await submissions.open_material_file(
            uow, svc.blobs, svc.clock, actor, material_id, entry_id
        )
    await update.callback_query.answer()
    await update.effective_chat.send_document(data, filename=stored.original_name)


async def on_remove(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    material_id, entry_id = MREMOVE.parse(update.callback_query.data)
    assert isinstance(material_id, int) and isinstance(entry_id, int)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        await submissions.remove_file(uow, svc.clock, actor, material_id, entry_id)
    await update.callback_query.answer()
    t = tr(update, context)
    await show_material(update, context, material_id, t(N_("文件已移除（保留在历史中）。")))


async def on_delete(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    material_id = MDELETE.parse_id(update.callback_query.data)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        view = await submissions.get_material(uow, actor, material_id)
    await update.callback_query.answer()
    assert view.submission is not None
    keyboard = column(
        [
            button(t(N_("确认删除")), MDELETE_OK.encode(material_id)),
            button(t(N_("取消")), MATERIAL.encode(material_id)),
        ]
    )
    await reply(update, t(N_("确定删除材料“{title}”吗？"), title=view.submission.title), keyboard)


async def on_delete_ok(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    material_id = MDELETE_OK.parse_id(update.callback_query.data)
    svc = services(context)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        deleted = await submissions.delete_material(uow, svc.clock, actor, material_id)
    await update.callback_query.answer()
    back = column([button(t(N_("返回材料列表")), MLIST.encode(deleted.year, 0))])
    await reply(update, t(N_("材料“{title}”已删除。"), title=deleted.title), back)


async def on_submit(update: Update, context: Ctx) -> None:
    await _review_step(update, context, MSUBMIT, submissions.submit_material, N_("已提交审核。"))


async def on_withdraw(update: Update, context: Ctx) -> None:
    note = N_("已撤回，可以修改后重新提交。")
    await _review_step(update, context, MWITHDRAW, submissions.withdraw_material, note)


async def _review_step(
    update: Update, context: Ctx, action: CallbackAction, step: MaterialStep, done: str
) -> None:
    """提交审核 or 撤回 by the service's ``step``; the card shows the new state under ``done``."""
    assert update.callback_query is not None
    material_id = action.parse_id(update.callback_query.data)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        await step(uow, svc.clock, actor, material_id)
    await update.callback_query.answer()
    await show_material(update, context, material_id, tr(update, context)(done))
