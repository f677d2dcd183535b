"""选择年度: the year picker of the plan, the summary and the materials."""

from __future__ import annotations

from telegram import Update

from bot.handlers.submissions.callbacks import (
    MATERIAL_WORD,
    MLIST,
    OVERVIEW,
    YEARS,
    annual_kind,
)
from bot.i18n import N_
from bot.keyboards import button, rows
from bot.runtime import Ctx, acting, reply, services, tr
from domain.model import SubmissionKind
from domain.services import submissions


async def on_years(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    word = YEARS.parse_word(update.callback_query.data)
    t = tr(update, context)
    svc = services(context)
    kind = SubmissionKind.MATERIAL if word == MATERIAL_WORD else annual_kind(word)
    async with acting(update, context) as (uow, actor):
        years = await submissions.submission_years(uow, svc.clock, actor, kind)
    await update.callback_query.answer()
    choices = submissions.year_choices(submissions.this_year(svc.clock), years)
    if kind is SubmissionKind.MATERIAL:
        buttons = [button(str(y), MLIST.encode(y, 0)) for y in choices]
    else:
        buttons = [button(str(y), OVERVIEW.encode(y, kind.value)) for y in choices]
    await reply(update, t(N_("请选择年度：")), rows(buttons, per_row=3))
