"""Importing a score file: asked for, checked row by row with progress shown, previewed, confirmed.

The checked rows wait in ``user_data[IMPORT_KEY]`` (memory only: thousands of learners' ID-card
numbers are not written to the conversation store); after a restart the admin is asked to send
the file again. Nothing is stored before 确认导入.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Final, TypeVar

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ConversationHandler

from bot.errors import describe
from bot.handlers import conversation
from bot.handlers.scores.callbacks import (
    CONFIRM,
    DRAFT_KEY,
    IMPORT,
    IMPORT_KEY,
    SHEET,
    State,
    draft_of,
)
from bot.handlers.scores.render import COLUMN_LABELS, attachment_name, result_text, workbooks
from bot.handlers.scores.sheet import show_sheet
from bot.i18n import N_, Translator
from bot.keyboards import button, column
from bot.runtime import Ctx, MemoryOnly, acting, reply, services, tr
from domain.errors import Invalid
from domain.scores import ImportPreview, LearnerScore
from domain.scoresheet import ClassHeading
from domain.services import scores
from domain.uploads import check_announced_size

T = TypeVar("T")

PREVIEW_LINES: Final = 10
PROGRESS_EVERY: Final = 2.0
"""Seconds between edits of the progress message: well inside Telegram's edit limits."""


async def start_import(update: Update, context: Ctx) -> int:
    assert update.callback_query is not None and context.user_data is not None
    class_id = IMPORT.parse_id(update.callback_query.data)
    async with acting(update, context) as (uow, actor):
        await scores.editable_class(uow, actor, class_id)
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {"class_id": class_id}
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
    assert context.user_data is not None
    class_id = draft_of(context)["class_id"]
    doc = update.message.document
    check_announced_size(doc.file_size)
    async with acting(update, context) as (uow, actor):
        target = await scores.prepare_import(uow, actor, class_id)
    data = bytes(await (await context.bot.get_file(doc.file_id)).download_as_bytearray())
    t = tr(update, context)
    try:
        preview = await _checked(update, context, target, data, doc.file_name)
    except Invalid as refused:
        again = t(N_("请改正后重新发送文件，或发送 /cancel 取消。"))
        await reply(update, f"{describe(refused, t)}\n{again}", edit=False)
        return State.IMPORT_FILE
    context.user_data[IMPORT_KEY] = MemoryOnly(class_id=class_id, preview=preview)
    await _show_preview(update, context, class_id, preview)
    if preview.wrong:
        await _send_marked(update, context, target.heading, preview, data, doc.file_name)
    return State.IMPORT_CONFIRM


async def _checked(
    update: Update, context: Ctx, target: scores.ImportTarget, data: bytes, name: str | None
) -> ImportPreview:
    svc = services(context)
    progress = scores.ImportProgress()
    today = svc.clock.now().astimezone(svc.settings.timezone).date()
    checking = scores.check_file(target, workbooks(context), today, data, name, progress)
    return await _with_progress(update, tr(update, context), progress, checking)


async def _send_marked(
    update: Update,
    context: Ctx,
    heading: ClassHeading,
    preview: ImportPreview,
    data: bytes,
    name: str | None,
) -> None:
    """The file back with each wrong cell red and explained in a comment."""
    assert update.effective_chat is not None
    t = tr(update, context)
    explained = {
        row: {c: describe(refused, t) for c, refused in columns.items()}
        for row, columns in preview.problems.items()
    }
    marked = await scores.annotate(workbooks(context), heading, data, name, explained)
    await update.effective_chat.send_document(
        marked,
        filename=attachment_name(t(N_("成绩-错误标注")), heading.class_name),
        caption=t(N_("有错误的单元格已标红，并在批注中说明原因。改正后把文件再发给我即可。")),
    )


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


# --- the preview -------------------------------------------------------------------------------


async def _show_preview(
    update: Update, context: Ctx, class_id: int, preview: ImportPreview
) -> None:
    """Counts, changes and wrong rows; 确认导入 only when something can be stored."""
    t = tr(update, context)
    lines = [_counts_line(preview, t), *_changed_lines(preview, t), *_problem_lines(preview, t)]
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


def _counts_line(preview: ImportPreview, t: Translator) -> str:
    return t(
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


def _changed_lines(preview: ImportPreview, t: Translator) -> list[str]:
    """The first learners whose result changes, old → new."""
    if not preview.changed:
        return []
    lines = [t(N_("成绩有变化的学员："))]
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
    return lines


def _problem_lines(preview: ImportPreview, t: Translator) -> list[str]:
    """The first wrong rows, each wrong cell with its reason; the marked file has them all."""
    if not preview.problems:
        return []
    lines = [t(N_("有错误的行（不会保存）："))]
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
    return lines


def _summary(learner: LearnerScore, t: Translator) -> str:
    return t(
        N_("{result}，{hours} 学时"),
        result=result_text(learner.score, learner.passed, t),
        hours=learner.hours,
    )


# --- confirming --------------------------------------------------------------------------------


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
