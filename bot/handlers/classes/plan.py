"""The plan file: sent while declaring (checked by content, 20 MB at most), fetched by the card."""

from __future__ import annotations

from telegram import Update

from bot.handlers import conversation
from bot.handlers.classes.callbacks import PLAN, State
from bot.handlers.classes.form import FORM, draft_of, summary
from bot.i18n import N_
from bot.runtime import Ctx, acting, services, tr
from domain.services import classes, files
from domain.uploads import check_announced_size


async def on_document(update: Update, context: Ctx) -> int:
    """A plan file: its announced size is checked before anything is downloaded."""
    assert update.message is not None and update.message.document is not None
    draft = draft_of(context)
    if draft["field"] != "plan_text":
        await conversation.unexpected(update, context, FORM)
        return State.ASK
    doc = update.message.document
    check_announced_size(doc.file_size)
    svc = services(context)
    async with acting(update, context) as (_uow, actor):
        classes.ensure_manager(actor)
    data = bytes(await (await context.bot.get_file(doc.file_id)).download_as_bytearray())
    async with svc.uow() as uow:
        stored = await classes.store_plan_file(
            uow, svc.blobs, svc.clock, actor, data, doc.file_name
        )
    draft["plan_file_id"], draft["plan_file_name"] = stored.id, stored.original_name
    draft["fields"]["plan_text"] = ""
    return await summary(update, context)


async def on_plan(update: Update, context: Ctx) -> None:
    """下载计划: the plan file, with the name it was uploaded under."""
    assert update.callback_query is not None and update.effective_chat is not None
    class_id = PLAN.parse_id(update.callback_query.data)
    svc = services(context)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        c = await classes.get_class(uow, actor, class_id)
        if c.plan_file_id is None:
            await update.callback_query.answer(t(N_("这个培训班没有上传培训方案文件。")))
            return
        stored, data = await files.open_file(uow, svc.blobs, actor, c.plan_file_id)
    await update.callback_query.answer()
    await update.effective_chat.send_document(
        data, filename=stored.original_name, caption=t(N_("培训方案：{name}"), name=c.name)
    )
