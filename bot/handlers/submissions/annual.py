"""年度培训计划 (/plan) and 年度工作总结 (/summary): one per year, in versions.

The year's screen shows the current version, the earlier versions and the history; a new upload
while it is a draft or returned becomes the next version. Every press re-resolves the admin and
lets the services check the permission, the base and the state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, Update
from telegram.ext import ConversationHandler

from bot.callbacks import CallbackAction
from bot.handlers.classes import history_text
from bot.handlers.menu import MENU_SHOW
from bot.handlers.submissions.callbacks import (
    DRAFT_KEY,
    OVERVIEW,
    SUBMIT,
    UPLOAD,
    VERSION,
    WITHDRAW,
    YEARS,
    State,
    annual_kind,
    draft_of,
    drop_draft,
)
from bot.handlers.submissions.render import VERSIONS_SHOWN, file_line
from bot.handlers.submissions.uploads import ask_file, receive
from bot.i18n import N_, Translator
from bot.keyboards import button, rows
from bot.runtime import Ctx, acting, reply, services, tr
from domain.clock import Clock
from domain.model import Actor, SubmissionKind
from domain.ports import UnitOfWork
from domain.services import submissions

AnnualStep = Callable[[UnitOfWork, Clock, Actor, SubmissionKind, int], Awaitable[object]]


async def show_plan(update: Update, context: Ctx) -> None:
    await _open(update, context, SubmissionKind.PLAN)


async def show_summary(update: Update, context: Ctx) -> None:
    await _open(update, context, SubmissionKind.SUMMARY)


async def _open(update: Update, context: Ctx, kind: SubmissionKind) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()
    await show_annual(update, context, kind, submissions.this_year(services(context).clock))


async def on_overview(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    year, word = OVERVIEW.parse(update.callback_query.data)
    assert isinstance(year, int)
    kind = annual_kind(word)
    await update.callback_query.answer()
    await show_annual(update, context, kind, year)


async def show_annual(
    update: Update, context: Ctx, kind: SubmissionKind, year: int, note: str = ""
) -> None:
    t = tr(update, context)
    async with acting(update, context, readonly=True) as (uow, actor):
        view = await submissions.overview(uow, actor, kind, year)
    text = "\n".join(_annual_lines(view, t))
    buttons = _annual_buttons(view, t)
    await reply(update, f"{note}\n\n{text}" if note else text, rows(buttons, per_row=2))


def _annual_lines(view: submissions.SubmissionView, t: Translator) -> list[str]:
    lines = [t(N_("{kind} · {year} 年"), kind=t(view.kind.label), year=view.year)]
    if view.submission is None:
        lines.append(t(N_("状态：尚未上传")))
    else:
        lines.append(t(N_("状态：{status}"), status=t(view.status.label)))
    current = view.current
    if current is not None:
        lines.append(
            t(
                N_("当前版本：第 {number} 版 {file}"),
                number=current.number,
                file=file_line(current, view, t),
            )
        )
    earlier = [v for v in view.versions if current is None or v.id != current.id]
    if earlier:
        lines.append(t(N_("历次版本：")))
        lines += [
            t(N_("第 {number} 版 {file}"), number=v.number, file=file_line(v, view, t))
            for v in earlier[:VERSIONS_SHOWN]
        ]
    if view.submission is not None and view.history:
        lines.append(history_text(view.submission, view.names, t))
    if view.is_editable:
        lines.append(t(N_("点击“上传文件”后发送文件；新文件成为新版本，旧版本保留在历史中。")))
    return lines


def _annual_buttons(view: submissions.SubmissionView, t: Translator) -> list[InlineKeyboardButton]:
    year, word = view.year, view.kind.value
    buttons: list[InlineKeyboardButton] = []
    if view.is_editable:
        buttons.append(button(t(N_("上传文件")), UPLOAD.encode(year, word)))
    for v in view.versions[: VERSIONS_SHOWN + 1]:
        buttons.append(
            button(
                t(N_("下载第 {number} 版"), number=v.number),
                VERSION.encode(year, v.number, word),
            )
        )
    if view.can_submit:
        buttons.append(button(t(N_("提交审核")), SUBMIT.encode(year, word)))
    if view.can_withdraw:
        buttons.append(button(t(N_("撤回")), WITHDRAW.encode(year, word)))
    buttons.append(button(t(N_("选择年度")), YEARS.encode(word)))
    buttons.append(button(t(N_("返回功能列表")), MENU_SHOW.encode()))
    return buttons


async def on_version(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None and update.effective_chat is not None
    year, number, word = VERSION.parse(update.callback_query.data)
    assert isinstance(year, int) and isinstance(number, int)
    kind = annual_kind(word)
    svc = services(context)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        stored, data = await submissions.open_version(
            uow, svc.blobs, svc.clock, actor, kind, year, number
        )
    await update.callback_query.answer()
    await update.effective_chat.send_document(
        data,
        filename=stored.original_name,
        caption=t(
            N_("{year} 年{kind} 第 {number} 版"), year=year, kind=t(kind.label), number=number
        ),
    )


async def on_submit(update: Update, context: Ctx) -> None:
    await _review_step(update, context, SUBMIT, submissions.submit, N_("已提交审核。"))


async def on_withdraw(update: Update, context: Ctx) -> None:
    await _review_step(
        update, context, WITHDRAW, submissions.withdraw, N_("已撤回，可以修改后重新提交。")
    )


async def _review_step(
    update: Update, context: Ctx, action: CallbackAction, step: AnnualStep, done: str
) -> None:
    """提交审核 or 撤回 by the service's ``step``; the year's screen shows it under ``done``."""
    assert update.callback_query is not None
    year, word = action.parse(update.callback_query.data)
    assert isinstance(year, int)
    kind = annual_kind(word)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        await step(uow, svc.clock, actor, kind, year)
    await update.callback_query.answer()
    await show_annual(update, context, kind, year, tr(update, context)(done))


# --- a new version -----------------------------------------------------------------------------


async def start_upload(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None and context.user_data is not None
    year, word = UPLOAD.parse(update.callback_query.data)
    assert isinstance(year, int)
    kind = annual_kind(word)
    async with acting(update, context) as (uow, actor):
        await submissions.prepare_upload(uow, actor, kind, year)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {"kind": kind.value, "year": year}
    return await ask_file(update, context, OVERVIEW.encode(year, kind.value), State.ANNUAL_FILE)


async def on_file(update: Update, context: Ctx) -> int:
    """The new version: stored, then the year's screen shows it as current."""
    assert update.message is not None and update.message.document is not None
    draft = draft_of(context, "kind", "year")
    kind, year = annual_kind(draft["kind"]), int(draft["year"])
    svc = services(context)
    uploaded = await receive(
        update,
        context,
        lambda uow, actor, size: submissions.prepare_upload(uow, actor, kind, year, size=size),
        lambda uow, actor, data, name: submissions.upload(
            uow, svc.blobs, svc.clock, actor, kind, year, data, name
        ),
    )
    if uploaded is None:
        return State.ANNUAL_FILE
    drop_draft(context)
    name = update.message.document.file_name or ""
    note = tr(update, context)(N_("文件“{name}”已上传。"), name=name)
    await show_annual(update, context, kind, year, note)
    return ConversationHandler.END
