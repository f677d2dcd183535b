"""The base's classes, paged, filtered by year and by state."""

from __future__ import annotations

from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.handlers.classes.callbacks import CARD, LIST, NEW, PICK_STATUS, PICK_YEAR
from bot.handlers.menu import MENU_SHOW
from bot.i18n import N_, Translator
from bot.keyboards import button, page_turns, rows
from bot.runtime import Ctx, acting, reply, tr
from domain.model import TrainingClass
from domain.services import classes
from domain.workflow import Status

PER_PAGE: Final = 8
STATUSES: Final[tuple[Status, ...]] = tuple(Status)
"""The state filter travels as an index + 1 into this tuple (0: all)."""


def _status_of(index: int) -> Status | None:
    return STATUSES[index - 1] if 1 <= index <= len(STATUSES) else None


async def show(update: Update, context: Ctx) -> None:
    """/classes, or the menu button: the first page, no filter."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    await _show_list(update, context, page=0, year=0, status_index=0)


async def on_list(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    page, year, status_index = LIST.parse(update.callback_query.data)
    assert isinstance(page, int) and isinstance(year, int) and isinstance(status_index, int)
    await update.callback_query.answer()
    await _show_list(update, context, page=page, year=year, status_index=status_index)


async def _show_list(
    update: Update, context: Ctx, *, page: int, year: int, status_index: int
) -> None:
    status = _status_of(status_index)
    status_index = 0 if status is None else status_index
    async with acting(update, context, readonly=True) as (uow, actor):
        items, total = await classes.list_classes(
            uow, actor, year=year or None, status=status, offset=page * PER_PAGE, limit=PER_PAGE
        )
    t = tr(update, context)
    has_next = (page + 1) * PER_PAGE < total
    keyboard = _list_keyboard(
        items, t, page=page, has_next=has_next, year=year, status_index=status_index
    )
    await reply(update, _list_text(items, total, t, year=year, status=status), keyboard)


def _list_text(
    items: list[TrainingClass], total: int, t: Translator, *, year: int, status: Status | None
) -> str:
    lines = [
        t(
            N_("培训班管理（共 {total} 个；年度：{year}；状态：{status}）"),
            total=total,
            year=year or t(N_("全部")),
            status=t(status.label) if status else t(N_("全部")),
        )
    ]
    if not items:
        lines.append(t(N_("还没有符合条件的培训班。点击“申报培训班”开始申报。")))
    for c in items:
        lines.append(
            t(N_("{name} · {year} · {status}"), name=c.name, year=c.year, status=t(c.status.label))
        )
    return "\n".join(lines)


def _list_keyboard(
    items: list[TrainingClass],
    t: Translator,
    *,
    page: int,
    has_next: bool,
    year: int,
    status_index: int,
) -> InlineKeyboardMarkup:
    keyboard: list[list[InlineKeyboardButton]] = [
        [button(c.name[:40], CARD.encode(c.id or 0))] for c in items
    ]
    paging = page_turns(page, has_next, lambda p: LIST.encode(p, year, status_index))
    if paging:
        keyboard.append(paging)
    keyboard.append(
        [
            button(t(N_("按年度筛选")), PICK_YEAR.encode(status_index)),
            button(t(N_("按状态筛选")), PICK_STATUS.encode(year)),
        ]
    )
    keyboard.append([button(t(N_("申报培训班")), NEW.encode())])
    keyboard.append([button(t(N_("返回功能列表")), MENU_SHOW.encode())])
    return InlineKeyboardMarkup(keyboard)


async def pick_year(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    status_index = PICK_YEAR.parse_id(update.callback_query.data)
    t = tr(update, context)
    async with acting(update, context) as (uow, actor):
        years = await classes.class_years(uow, actor)
    await update.callback_query.answer()
    choices = [button(t(N_("全部年度")), LIST.encode(0, 0, status_index))]
    choices += [button(str(y), LIST.encode(0, y, status_index)) for y in years]
    await reply(update, t(N_("请选择年度：")), rows(choices, per_row=3))


async def pick_status(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    year = PICK_STATUS.parse_id(update.callback_query.data)
    t = tr(update, context)
    async with acting(update, context) as (_uow, _actor):
        pass  # the guard alone: only someone logged in gets the choices
    await update.callback_query.answer()
    choices = [button(t(N_("全部状态")), LIST.encode(0, year, 0))]
    choices += [button(t(s.label), LIST.encode(0, year, i + 1)) for i, s in enumerate(STATUSES)]
    await reply(update, t(N_("请选择状态：")), rows(choices, per_row=3))
