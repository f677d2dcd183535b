"""/review (主管部门审核): the queue of submitted classes, a class's card, approve or return.

Only reviewers get here; every press resolves the reviewer afresh and lets the domain check that
the class is submitted and of the reviewer's regions, so a forged or stale id changes nothing.
After a decision the base's class managers are told at once, where they last logged in; someone
who blocked the bot is skipped, the decision stays.
"""

from __future__ import annotations

import logging
from enum import IntEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import CallbackAction
from bot.handlers import conversation
from bot.handlers.classes import CARD as CLASS_CARD
from bot.handlers.classes import history_text
from bot.handlers.menu import REVIEW_QUEUE
from bot.i18n import N_, Translator, pick_language
from bot.keyboards import button, column, page_count, page_turns
from bot.runtime import LANGUAGE_KEY, Ctx, reply, services, telegram_user_id, tr
from domain.model import ReviewerActor, TrainingClass
from domain.ports import UnitOfWork
from domain.services import review
from domain.services.notify import notification_targets
from domain.services.sessions import resolve_reviewer
from domain.workflow import Action

log = logging.getLogger("cebot.review")

PAGE_SIZE = 8
DRAFT_KEY = "draft:review"

QUEUE = CallbackAction("rv:q", ids=1)
"""A page of the queue: the page number is the only id."""
OPEN = CallbackAction("rv:o", ids=1)
APPROVE = CallbackAction("rv:ok", ids=1)
RETURN = CallbackAction("rv:ret", ids=1)
PLAN = CallbackAction("rv:plan", ids=1)


class State(IntEnum):
    REASON = 0


async def _reviewer(update: Update, context: Ctx, uow: UnitOfWork) -> ReviewerActor:
    svc = services(context)
    return await resolve_reviewer(uow, svc.clock, telegram_user_id(update), svc.session_policy)


# --- the queue ---------------------------------------------------------------------------------


async def command(update: Update, context: Ctx) -> None:
    """/review or the welcome button: the first page, as a new message."""
    await _show_queue(update, context, 0)


async def from_menu(update: Update, context: Ctx) -> None:
    """待审核的培训班 in the reviewer's function list: the first page, in place."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await _show_queue(update, context, 0)


async def queue_page(update: Update, context: Ctx) -> None:
    """◀ ▶ and 返回队列."""
    assert update.callback_query is not None
    page = QUEUE.parse_id(update.callback_query.data)
    await update.callback_query.answer()
    await _show_queue(update, context, page)


async def _show_queue(update: Update, context: Ctx, page: int) -> None:
    svc = services(context)
    t = tr(update, context)
    async with svc.uow() as uow:
        reviewer = await _reviewer(update, context, uow)
        items, total = await review.review_queue(
            uow, reviewer, offset=page * PAGE_SIZE, limit=PAGE_SIZE
        )
        if not items and page > 0:  # the page emptied since: show the last one there is
            page = max(0, -(-total // PAGE_SIZE) - 1)
            items, total = await review.review_queue(
                uow, reviewer, offset=page * PAGE_SIZE, limit=PAGE_SIZE
            )
        await uow.commit()
    pages = page_count(total, PAGE_SIZE)
    if not items:
        await reply(
            update, t(N_("目前没有待审核的培训班。")), edit=update.callback_query is not None
        )
        return
    lines = [
        t(
            N_("待审核的培训班：共 {total} 个（第 {page}/{pages} 页），先提交的在前。"),
            total=total,
            page=page + 1,
            pages=pages,
        )
    ]
    for number, item in enumerate(items, start=page * PAGE_SIZE + 1):
        lines.append(
            t(
                N_("{number}. {base} · {region} · {name} · 提交于 {at}"),
                number=number,
                base=item.base_name,
                region=item.base_region,
                name=item.training_class.name,
                at=item.training_class.submitted_at or item.training_class.created_at,
            )
        )
    lines.append(t(N_("点击培训班查看详情并审核。")))
    grid: list[list[InlineKeyboardButton]] = [
        [button(f"{n}. {item.training_class.name}"[:60], OPEN.encode(item.training_class.id or 0))]
        for n, item in enumerate(items, start=page * PAGE_SIZE + 1)
    ]
    navigation = page_turns(page, page + 1 < pages, QUEUE.encode)
    if navigation:
        grid.append(navigation)
    await reply(update, "\n".join(lines), InlineKeyboardMarkup(grid))


# --- a class -----------------------------------------------------------------------------------


async def open_class(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id = OPEN.parse_id(update.callback_query.data)
    svc = services(context)
    async with svc.uow() as uow:
        reviewer = await _reviewer(update, context, uow)
        item = await review.get_for_review(uow, reviewer, class_id)
        await uow.commit()
    await update.callback_query.answer()
    t = tr(update, context)
    choices = []
    if item.training_class.plan_file_id is not None:
        choices.append(button(t(N_("下载培训方案")), PLAN.encode(class_id)))
    keyboard = column(
        [
            *choices,
            button(t(N_("审核通过")), APPROVE.encode(class_id)),
            button(t(N_("退回")), RETURN.encode(class_id)),
            button(t(N_("返回队列")), QUEUE.encode(0)),
        ]
    )
    await reply(update, _card_text(item, t), keyboard)


async def download_plan(update: Update, context: Ctx) -> None:
    """下载培训方案: the file as the base uploaded it; the download goes into the base's trail."""
    assert update.callback_query is not None and update.effective_chat is not None
    class_id = PLAN.parse_id(update.callback_query.data)
    svc = services(context)
    async with svc.uow() as uow:
        reviewer = await _reviewer(update, context, uow)
        training_class, stored, data = await review.open_plan(
            uow, svc.blobs, svc.clock, reviewer, class_id
        )
    await update.callback_query.answer()
    t = tr(update, context)
    await update.effective_chat.send_document(
        data,
        filename=stored.original_name,
        caption=t(N_("培训方案：{name}"), name=training_class.name),
    )


def _card_text(item: review.ReviewItem, t: Translator) -> str:
    c = item.training_class
    text = t(
        N_(
            "培训班详情（{status}）\n"
            "继续教育基地：{base}（{region}）\n"
            "培训班名称：{name}\n"
            "年度：{year}\n"
            "培训类别：{category}\n"
            "培训方式：{mode}\n"
            "培训日期：{start} 至 {end}\n"
            "培训地点：{location}\n"
            "学时：{hours}\n"
            "计划人数：{capacity}\n"
            "收费标准（元/人）：{fee}\n"
            "培训对象：{audience}\n"
            "培训简介：{description}"
        ),
        status=t(c.status.label),
        base=item.base_name,
        region=item.base_region,
        name=c.name,
        year=c.year,
        category=t(c.category.label),
        mode=t(c.mode.label),
        start=c.start_date,
        end=c.end_date,
        location=c.location or t(N_("（无）")),
        hours=c.hours,
        capacity=c.capacity,
        fee=c.fee,
        audience=c.audience or t(N_("（无）")),
        description=c.description or t(N_("（无）")),
    )
    return "\n\n".join([text, _plan_text(c, t), history_text(c, item.names, t)])


def _plan_text(c: TrainingClass, t: Translator) -> str:
    if c.plan_text:
        return t(N_("培训方案：\n{plan}"), plan=c.plan_text)
    if c.plan_file_id is not None:
        return t(N_("培训方案：已上传文件，请点击“下载培训方案”查看。"))
    return t(N_("培训方案：（无）"))


# --- decisions ---------------------------------------------------------------------------------


async def approve(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id = APPROVE.parse_id(update.callback_query.data)
    svc = services(context)
    async with svc.uow() as uow:
        reviewer = await _reviewer(update, context, uow)
        decision = await review.approve(uow, svc.clock, reviewer, class_id)
    await update.callback_query.answer()
    await _decided(update, context, decision)


async def ask_reason(update: Update, context: Ctx) -> int:
    """退回: the class is checked before the reviewer types anything."""
    assert update.callback_query is not None and context.user_data is not None
    class_id = RETURN.parse_id(update.callback_query.data)
    svc = services(context)
    async with svc.uow() as uow:
        reviewer = await _reviewer(update, context, uow)
        item = await review.get_for_review(uow, reviewer, class_id)
        await uow.commit()
    await update.callback_query.answer()
    context.user_data[DRAFT_KEY] = {"class_id": class_id}
    t = tr(update, context)
    await reply(
        update,
        t(
            N_("退回“{name}”：请输入退回原因（必填，最多 500 个字），发送 /cancel 取消。"),
            name=item.training_class.name,
        ),
        edit=False,
    )
    return State.REASON


async def typed_reason(update: Update, context: Ctx) -> int:
    """REASON: an empty or too long reason is refused by the domain; the step stays."""
    assert update.message is not None and update.message.text is not None
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY) or {}
    class_id = draft.get("class_id")
    if not isinstance(class_id, int):
        context.user_data.pop(DRAFT_KEY, None)
        await command(update, context)
        return ConversationHandler.END
    svc = services(context)
    async with svc.uow() as uow:
        reviewer = await _reviewer(update, context, uow)
        decision = await review.return_class(
            uow, svc.clock, reviewer, class_id, update.message.text
        )
    context.user_data.pop(DRAFT_KEY, None)
    await _decided(update, context, decision)
    return ConversationHandler.END


async def leave_to_queue(update: Update, context: Ctx) -> int:
    """A queue or class button while a reason is asked for: the return is abandoned."""
    conversation.drop_drafts(context)
    assert update.callback_query is not None
    if _is(OPEN, update):
        await open_class(update, context)
    else:
        await queue_page(update, context)
    return ConversationHandler.END


def _is(action: CallbackAction, update: Update) -> bool:
    data = update.callback_query.data if update.callback_query else None
    return data is not None and data.startswith(action.prefix + ":")


async def _decided(update: Update, context: Ctx, decision: review.Decision) -> None:
    t = tr(update, context)
    name = decision.training_class.name
    if decision.action is Action.APPROVE:
        text = t(
            N_("已审核通过：{name}（{base}）。已通知该基地的管理员。"),
            name=name,
            base=decision.base_name,
        )
    else:
        text = t(
            N_("已退回：{name}（{base}）。退回原因：{reason}\n已通知该基地的管理员。"),
            name=name,
            base=decision.base_name,
            reason=decision.reason or "",
        )
    await reply(update, text, column([button(t(N_("返回队列")), QUEUE.encode(0))]), edit=False)
    await notify(context, decision)


async def notify(context: Ctx, decision: review.Decision) -> None:
    """Each recipient in their own language; a failure to reach one never undoes anything."""
    svc = services(context)
    async with svc.uow(readonly=True) as uow:
        targets = await notification_targets(uow, decision.recipients)
    for chat_id in targets:
        chosen = context.application.user_data.get(chat_id, {}).get(LANGUAGE_KEY)
        t = Translator(pick_language(chosen, None), svc.settings.timezone)
        if decision.action is Action.APPROVE:
            text = t(
                N_("审核结果：您基地的培训班“{name}”已通过主管部门审核。"),
                name=decision.training_class.name,
            )
        else:
            text = t(
                N_(
                    "审核结果：您基地的培训班“{name}”已被主管部门退回。\n退回原因：{reason}\n请修改后重新提交。"
                ),
                name=decision.training_class.name,
                reason=decision.reason or "",
            )
        keyboard = column(
            [button(t(N_("查看培训班")), CLASS_CARD.encode(decision.training_class.id or 0))]
        )
        try:
            await context.bot.send_message(chat_id, text, reply_markup=keyboard)
        except Forbidden:
            log.info("review notice not delivered, bot blocked: user=%s", chat_id)
        except TelegramError as exc:
            log.warning("review notice not delivered to user=%s: %s", chat_id, exc)


def build() -> ConversationHandler:  # type: ignore[type-arg]
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        name="review",
        persistent=True,
        entry_points=[CallbackQueryHandler(ask_reason, pattern=RETURN.pattern)],
        states={
            State.REASON: [
                MessageHandler(text, typed_reason),
                CallbackQueryHandler(leave_to_queue, pattern=QUEUE.pattern),
                CallbackQueryHandler(leave_to_queue, pattern=OPEN.pattern),
            ],
            **conversation.timeout_handlers(),
        },
        fallbacks=conversation.fallbacks(),
        conversation_timeout=conversation.TIMEOUT,
        allow_reentry=True,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(build())
    app.add_handler(CommandHandler("review", command))
    app.add_handler(CallbackQueryHandler(from_menu, pattern=f"^{REVIEW_QUEUE}$"))
    app.add_handler(CallbackQueryHandler(download_plan, pattern=PLAN.pattern))
    app.add_handler(CallbackQueryHandler(queue_page, pattern=QUEUE.pattern))
    app.add_handler(CallbackQueryHandler(open_class, pattern=OPEN.pattern))
    app.add_handler(CallbackQueryHandler(approve, pattern=APPROVE.pattern))
