"""The reviewer's screens: 待审核事项 (a count per kind), a kind's queue, an item's card, a file.

Only reviewers get here; every press resolves the reviewer afresh and lets the domain check
that the item is submitted and of the reviewer's regions, so a forged or stale id changes
nothing. The screens read in a read-only unit of work; a download writes the base's audit trail.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.handlers.review.buttons import OVERVIEW, ids
from bot.handlers.review.guard import reviewing
from bot.handlers.review.kinds import KINDS
from bot.handlers.review.view import KindView
from bot.i18n import N_, Translator
from bot.keyboards import button, column, page_count, page_turns
from bot.runtime import Ctx, reply, services, tr

PAGE_SIZE = 8

View = KindView[Any, Any]


async def command(update: Update, context: Ctx) -> None:
    """/review or the welcome button: the overview, as a new message."""
    await show_overview(update, context)


async def from_menu(update: Update, context: Ctx) -> None:
    """The reviewer's function list, or 返回 under a queue: the overview, in place."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    await show_overview(update, context)


async def show_overview(update: Update, context: Ctx) -> None:
    t = tr(update, context)
    async with reviewing(update, context, readonly=True) as (uow, reviewer):
        counts = [(view, await view.kind.count(uow, reviewer)) for view in KINDS]
    total = sum(count for _, count in counts)
    if not total:
        await reply(update, t(N_("目前没有待审核的事项。")))
        return
    keyboard = column(
        [
            button(t(view.texts.button, count=count), view.buttons.queue.encode(0))
            for view, count in counts
        ]
    )
    await reply(update, t(N_("待审核事项：共 {total} 项，请选择："), total=total), keyboard)


async def queue_page(view: View, update: Update, context: Ctx) -> None:
    """A kind's button in the overview, ◀ ▶ and 返回队列."""
    assert update.callback_query is not None
    page = view.buttons.queue.parse_id(update.callback_query.data)
    await update.callback_query.answer()
    await show_queue(update, context, view, page)


async def show_queue(update: Update, context: Ctx, view: View, page: int) -> None:
    t = tr(update, context)
    async with reviewing(update, context, readonly=True) as (uow, reviewer):
        items, total = await view.kind.queue(
            uow, reviewer, offset=page * PAGE_SIZE, limit=PAGE_SIZE
        )
        if not items and page > 0:  # the page emptied since: show the last one there is
            page = page_count(total, PAGE_SIZE) - 1
            items, total = await view.kind.queue(
                uow, reviewer, offset=page * PAGE_SIZE, limit=PAGE_SIZE
            )
    if not items:
        await reply(update, t(view.texts.empty), InlineKeyboardMarkup([_back(t)]))
        return
    await reply(update, *_queue_page(view, items, total, page, t))


def _queue_page(
    view: View, items: list[Any], total: int, page: int, t: Translator
) -> tuple[str, InlineKeyboardMarkup]:
    """The page's lines numbered across pages, a button to each item, ◀ ▶ and 返回."""
    entries = [
        view.entry(item, number, t) for number, item in enumerate(items, page * PAGE_SIZE + 1)
    ]
    pages = page_count(total, PAGE_SIZE)
    lines = [
        t(view.texts.heading, total=total, page=page + 1, pages=pages),
        *(entry.line for entry in entries),
        t(view.texts.hint),
    ]
    grid = [[button(e.label, view.buttons.open.encode(e.item_id))] for e in entries]
    navigation = page_turns(page, page + 1 < pages, view.buttons.queue.encode)
    if navigation:
        grid.append(navigation)
    grid.append(_back(t))
    return "\n".join(lines), InlineKeyboardMarkup(grid)


def _back(t: Translator) -> list[InlineKeyboardButton]:
    return [button(t(N_("返回")), OVERVIEW.encode())]


async def open_item(view: View, update: Update, context: Ctx) -> None:
    """An item's card: its downloads, 审核通过, 退回 and 返回队列."""
    assert update.callback_query is not None
    item_id = view.buttons.open.parse_id(update.callback_query.data)
    async with reviewing(update, context, readonly=True) as (uow, reviewer):
        item = await view.kind.get(uow, reviewer, item_id)
    await update.callback_query.answer()
    t = tr(update, context)
    keyboard = column(
        [
            *(
                button(label, view.buttons.download.encode(*at))
                for label, at in view.files(item, t)
            ),
            button(t(N_("审核通过")), view.buttons.approve.encode(item_id)),
            button(t(N_("退回")), view.buttons.give_back.encode(item_id)),
            button(t(N_("返回队列")), view.buttons.queue.encode(0)),
        ]
    )
    await reply(update, view.card(item, t), keyboard)


async def download(view: View, update: Update, context: Ctx) -> None:
    """A download button of a card: the file as the base uploaded it, as a document."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    pressed = ids(view.buttons.download, query.data)
    t = tr(update, context)
    async with reviewing(update, context) as (uow, reviewer):
        sent = await view.download(uow, services(context), reviewer, pressed, t)
    await query.answer()
    await update.effective_chat.send_document(
        sent.data, filename=sent.filename, caption=sent.caption
    )
