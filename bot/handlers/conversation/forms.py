"""A form's draft: declared once per form, kept in ``user_data``, touched at each step.

A *form* (registration, a class declaration) is a conversation of several fields whose draft
survives a slip (``domain.drafts``); what opens it again, leaves it or ends it lives in the
sibling modules, all through the accessors here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.handlers.conversation.callbacks import BACK
from bot.i18n import N_, Translator
from bot.keyboards import button
from bot.runtime import Ctx, reply, services, tr
from domain import drafts

META = "form"
"""The key of a form's draft that holds when it last changed and which step is open."""


@dataclass(frozen=True)
class Form:
    """A conversation whose draft ``user_data["draft:<name>"]`` survives a slip."""

    name: str
    """The ConversationHandler's name."""
    title: str
    """What it is, a msgid (注册继续教育基地)."""
    reopen: str
    """How to open it again, a msgid (发送 /register)."""
    filled: Callable[[dict[str, Any]], int]
    """How many fields the draft holds; an empty draft is not offered back."""
    resume: Callable[[Update, Ctx], Awaitable[object]]
    """Checks the draft again (the data may have changed under it) and asks its open step."""
    restart: Callable[[Update, Ctx, str], Awaitable[object]]
    """Starts afresh from the entry the person used (``Meta.entry``)."""
    back: Callable[[Update, Ctx], Awaitable[object]]
    """Asks the step before the open one (◀ 上一项)."""

    @property
    def key(self) -> str:
        return f"draft:{self.name}"


FORMS: dict[str, Form] = {}


def form(**fields: Any) -> Form:
    """Declares a form (once, where its conversation is built)."""
    declared = Form(**fields)
    FORMS[declared.name] = declared
    return declared


def now(context: Ctx) -> datetime:
    return services(context).clock.now()


def start_draft(context: Ctx, form: Form, draft: dict[str, Any], entry: str) -> dict[str, Any]:
    """A fresh draft for ``form``, opened through ``entry`` (a command or a button's data)."""
    assert context.user_data is not None
    draft[META] = {"touched": now(context).isoformat(), "step": "", "label": "", "entry": entry}
    context.user_data[form.key] = draft
    return draft


def draft_of(context: Ctx, form: Form) -> dict[str, Any] | None:
    if context.user_data is None:
        return None
    draft = context.user_data.get(form.key)
    return draft if isinstance(draft, dict) and isinstance(draft.get(META), dict) else None


def touch(context: Ctx, form: Form, step: str, label: str) -> None:
    """The form now asks ``step`` (its words: ``label``, a msgid); the draft changed now."""
    draft = draft_of(context, form)
    if draft is not None:
        draft[META].update(touched=now(context).isoformat(), step=step, label=label)


def open_step(context: Ctx, form: Form) -> str:
    draft = draft_of(context, form)
    return str(draft[META]["step"]) if draft is not None else ""


def forget(context: Ctx, form: Form) -> None:
    """The form is done with its draft (saved, cancelled, given up)."""
    if context.user_data is not None:
        context.user_data.pop(form.key, None)


def touched_at(draft: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(draft[META]["touched"]))


def back_button(t: Translator, form: Form, step: str) -> InlineKeyboardButton:
    return button(t(N_("◀ 上一项")), BACK.encode(form.name, step))


def with_back(
    keyboard: InlineKeyboardMarkup | None, t: Translator, form: Form, step: str
) -> InlineKeyboardMarkup:
    """``keyboard`` (or none) with ◀ 上一项 as its last row."""
    existing = [list(row) for row in keyboard.inline_keyboard] if keyboard is not None else []
    return InlineKeyboardMarkup([*existing, [back_button(t, form, step)]])


def kept_note(update: Update, context: Ctx, form: Form | None) -> str:
    """ "草稿已保留…" when leaving a form whose draft is worth offering back, else ""."""
    if form is None:
        return ""
    draft = draft_of(context, form)
    if draft is None or form.filled(draft) == 0:
        return ""
    t = tr(update, context)
    return t(
        N_("“{title}”的草稿已保留至 {until}；需要时{reopen}，即可继续填写。"),
        title=t(form.title),
        until=drafts.expires_at(touched_at(draft)),
        reopen=t(form.reopen),
    )


async def gone(update: Update, context: Ctx, form: Form) -> int:
    """A press for a draft no longer there (saved, given up or expired meanwhile)."""
    t = tr(update, context)
    await reply(
        update,
        t(
            N_("这份草稿已不存在（已保存、已放弃或已过期）。需要时请{reopen}。"),
            reopen=t(form.reopen),
        ),
        edit=False,
    )
    return ConversationHandler.END
