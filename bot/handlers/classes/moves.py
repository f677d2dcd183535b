"""What the card's buttons do to a class: submit, withdraw, delete (after asking), copy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.callbacks import CallbackAction
from bot.handlers.classes.callbacks import (
    CARD,
    COPY,
    COPY_TO,
    DELETE,
    DELETE_OK,
    LIST,
    SUBMIT,
    WITHDRAW,
)
from bot.handlers.classes.card import show_card
from bot.i18n import N_
from bot.keyboards import button, column, rows
from bot.runtime import Ctx, acting, reply, services, tr
from domain.clock import Clock
from domain.model import Actor, TrainingClass
from domain.ports import UnitOfWork
from domain.services import classes

Move = Callable[[UnitOfWork, Clock, Actor, int], Awaitable[TrainingClass]]


async def on_submit(update: Update, context: Ctx) -> None:
    await _move(update, context, SUBMIT, classes.submit_class, N_("已提交审核。"))


async def on_withdraw(update: Update, context: Ctx) -> None:
    await _move(
        update, context, WITHDRAW, classes.withdraw_class, N_("已撤回，培训班回到草稿状态。")
    )


async def _move(
    update: Update, context: Ctx, action: CallbackAction, move: Move, done: str
) -> None:
    """A step through review; the card again under ``done``."""
    assert update.callback_query is not None
    class_id = action.parse_id(update.callback_query.data)
    svc = services(context)
    async with acting(update, context) as (uow, actor):
        await move(uow, svc.clock, actor, class_id)
    await update.callback_query.answer()
    await show_card(update, context, class_id, tr(update, context)(done))


async def on_delete(update: Update, context: Ctx) -> None:
    """Asks first; the class is checked now so a refusal comes before the question."""
    assert update.callback_query is not None
    class_id = DELETE.parse_id(update.callback_query.data)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        c = await classes.deletion_preview(uow, actor, class_id)
    await update.callback_query.answer()
    keyboard = column(
        [
            button(t(N_("确认删除")), DELETE_OK.encode(class_id)),
            button(t(N_("取消")), CARD.encode(class_id)),
        ]
    )
    await reply(update, t(N_("确定删除培训班“{name}”吗？删除后不能恢复。"), name=c.name), keyboard)


async def on_delete_ok(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id = DELETE_OK.parse_id(update.callback_query.data)
    svc = services(context)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        deleted = await classes.delete_class(uow, svc.clock, actor, class_id)
    await update.callback_query.answer()
    back = column([button(t(N_("返回培训班列表")), LIST.encode(0, 0, 0))])
    await reply(update, t(N_("培训班“{name}”已删除。"), name=deleted.name), back)


async def on_copy(update: Update, context: Ctx) -> None:
    """复制为新草稿: the years the domain offers for the copy."""
    assert update.callback_query is not None
    class_id = COPY.parse_id(update.callback_query.data)
    svc = services(context)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        c = await classes.get_class(uow, actor, class_id)
    await update.callback_query.answer()
    this_year = svc.clock.now().astimezone(svc.settings.timezone).year
    choices = [
        button(str(y), COPY_TO.encode(class_id, y)) for y in classes.copy_years(c, this_year)
    ]
    choices.append(button(t(N_("取消")), CARD.encode(class_id)))
    await reply(
        update, t(N_("复制“{name}”为新草稿：请选择新培训班的年度。"), name=c.name), rows(choices, 3)
    )


async def on_copy_to(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    class_id, year = COPY_TO.parse(update.callback_query.data)
    assert isinstance(class_id, int) and isinstance(year, int)
    svc = services(context)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        copy = await classes.copy_class(uow, svc.clock, actor, class_id, year=year)
    await update.callback_query.answer()
    await show_card(update, context, copy.id or 0, t(N_("已复制为新草稿，请核对日期后提交。")))
