"""Receiving a document for a step that awaits one: asked for, checked before and after download.

Files always arrive after a button says what they are for (上传 / 添加 / 替换), so a stray document
never lands in the wrong place: each awaited file is a conversation state of its own, and its
handler says with two service calls what checking and storing that file mean.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Update

from bot.errors import describe
from bot.handlers.submissions.callbacks import State
from bot.i18n import N_
from bot.keyboards import button, column
from bot.runtime import Ctx, acting, reply, tr
from domain.errors import Invalid
from domain.model import Actor
from domain.ports import UnitOfWork

T = TypeVar("T")

Check = Callable[[UnitOfWork, Actor, int | None], Awaitable[None]]
"""Refuses, before the download, what storing would refuse: permission, state, announced size."""
Store = Callable[[UnitOfWork, Actor, bytes, str | None], Awaitable[T]]
"""Stores the downloaded bytes under the name they were sent with."""


async def ask_file(update: Update, context: Ctx, back: str, awaiting: State) -> int:
    """The prompt for a file, 取消 leading to ``back``; the conversation waits in ``awaiting``."""
    t = tr(update, context)
    await reply(
        update,
        t(
            N_(
                "请把文件作为附件发给我（PDF、Word、Excel、WPS 或扫描图片，最大 20 MB）。"
                "发送 /cancel 取消。"
            )
        ),
        column([button(t(N_("取消")), back)]),
        edit=False,
    )
    return awaiting


async def receive(update: Update, context: Ctx, check: Check, store: Store[T]) -> T | None:
    """The message's document, checked, downloaded and stored; None when the file was refused
    (the admin is told why and may send another)."""
    assert update.message is not None and update.message.document is not None
    doc = update.message.document
    async with acting(update, context) as (uow, actor):
        await check(uow, actor, doc.file_size)
    data = bytes(await (await context.bot.get_file(doc.file_id)).download_as_bytearray())
    try:
        async with acting(update, context) as (uow, actor):
            return await store(uow, actor, data, doc.file_name)
    except Invalid as refused:
        t = tr(update, context)
        again = t(N_("请换一个文件发送，或发送 /cancel 取消。"))
        await reply(update, f"{describe(refused, t)}\n{again}", edit=False)
        return None
