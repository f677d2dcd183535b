"""The reviewer's guard: every press resolves the reviewer afresh (session, password, regions)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from functools import partial

from telegram import Update

from bot.runtime import Ctx, guarded, services, telegram_user_id
from domain.model import ReviewerActor
from domain.ports import UnitOfWork
from domain.services.sessions import resolve_reviewer


async def current_reviewer(update: Update, context: Ctx, uow: UnitOfWork) -> ReviewerActor:
    svc = services(context)
    return await resolve_reviewer(uow, svc.clock, telegram_user_id(update), svc.session_policy)


def reviewing(
    update: Update, context: Ctx, *, readonly: bool = False
) -> AbstractAsyncContextManager[tuple[UnitOfWork, ReviewerActor]]:
    """One unit of work as the reviewer: ``async with reviewing(u, c) as (uow, reviewer):``.

    ``readonly`` for screens that only show something (the queue, a card, the return's prompt):
    they never wait behind another admin's import (see :func:`bot.runtime.guarded`). Decisions
    and downloads write (the base's audit trail), committed when the block ends.
    """
    return guarded(context, partial(current_reviewer, update, context), readonly)
