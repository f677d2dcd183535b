"""Opening a form again: a draft worth keeping is offered back (继续填写 / 放弃); an empty or
expired one is dropped and the form starts afresh."""

from __future__ import annotations

from functools import partial

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.handlers.conversation.callbacks import DISCARD, RESUME, RESUME_STATE, Handlers
from bot.handlers.conversation.forms import (
    META,
    Form,
    draft_of,
    forget,
    now,
    touched_at,
)
from bot.handlers.conversation.older_buttons import resume_pressed, unexpected
from bot.i18n import N_
from bot.keyboards import button, rows
from bot.runtime import Ctx, reply, tr
from domain import drafts


async def offer_resume(update: Update, context: Ctx, form: Form, entry: str) -> object | None:
    """When opening ``form`` finds a draft worth keeping, asks 继续填写 / 放弃 and returns the
    state to wait in; otherwise (no draft, an empty or expired one) None, and the caller starts
    afresh. ``entry`` is what 放弃 then opens (the command or button the person used now)."""
    draft = draft_of(context, form)
    if draft is None:
        return None
    touched = touched_at(draft)
    if form.filled(draft) == 0 or drafts.age(touched, now(context)) is drafts.DraftAge.EXPIRED:
        forget(context, form)
        return None
    draft[META]["entry"] = entry
    t = tr(update, context)
    text = t(
        N_(
            "您有一份未完成的“{title}”：已填写 {count} 项，最后修改于 {touched}，"
            "保留至 {until}。要继续填写吗？"
        ),
        title=t(form.title),
        count=form.filled(draft),
        touched=touched,
        until=drafts.expires_at(touched),
    )
    keyboard = rows(
        [
            button(t(N_("继续填写")), RESUME.encode(form.name)),
            button(t(N_("放弃，重新开始")), DISCARD.encode(form.name)),
        ]
    )
    if update.callback_query is not None:
        await update.callback_query.answer()
    await reply(update, text, keyboard, edit=False)
    return RESUME_STATE


async def _resume(form: Form, update: Update, context: Ctx) -> object:
    return await resume_pressed(RESUME, update, context, form)


async def _discard(form: Form, update: Update, context: Ctx) -> object:
    assert update.callback_query is not None
    if DISCARD.parse_word(update.callback_query.data) != form.name:
        await unexpected(update, context, form)
        return None
    await update.callback_query.answer()
    draft = draft_of(context, form)
    entry = str(draft[META].get("entry", "")) if draft is not None else ""
    forget(context, form)
    await reply(update, tr(update, context)(N_("已放弃草稿。")), edit=False)
    return await form.restart(update, context, entry)


def resume_states(form: Form) -> dict[object, Handlers]:
    """The state in which ``offer_resume`` waits, for the form's ``states``."""
    return {
        RESUME_STATE: [
            CallbackQueryHandler(partial(_resume, form), pattern=RESUME.pattern),
            CallbackQueryHandler(partial(_discard, form), pattern=DISCARD.pattern),
        ]
    }
