"""The draft of a role being named or given permissions, and which presses belong to it.

A toggle, save or cancel counts only on the keyboard message of the current draft and for its
role; anything else is a stale or forged press and changes nothing.
"""

from __future__ import annotations

from typing import Any, Final

from telegram import Update

from bot.handlers.roles.callbacks import DRAFT_KEY
from bot.i18n import N_
from bot.runtime import Ctx, tr
from domain.permissions import Permission, parse_permissions

STALE_DRAFT: Final = N_(
    "这个按钮已失效：该编辑已取消、已保存或已过期，操作未执行。请发送 /roles 重新开始。"
)


def draft_of(context: Ctx) -> dict[str, Any] | None:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    return draft if isinstance(draft, dict) else None


def start_draft(context: Ctx, **values: Any) -> dict[str, Any]:
    assert context.user_data is not None
    draft: dict[str, Any] = {"permissions": [], "message_id": None, **values}
    context.user_data[DRAFT_KEY] = draft
    return draft


def drop_draft(context: Ctx) -> None:
    assert context.user_data is not None
    context.user_data.pop(DRAFT_KEY, None)


def chosen(draft: dict[str, Any]) -> frozenset[Permission]:
    """The permissions ticked in a draft."""
    return parse_permissions(list(draft.get("permissions", [])))


def pressed_draft(update: Update, context: Ctx, role_id: int) -> dict[str, Any] | None:
    """The draft a toggle, save or cancel belongs to; None for another message or another role."""
    query = update.callback_query
    draft = draft_of(context)
    if (
        query is None
        or query.message is None
        or draft is None
        or draft.get("mode") not in ("create", "edit")
        or draft.get("role_id") != role_id
        or draft.get("message_id") != query.message.message_id
    ):
        return None
    return draft


async def refuse_stale(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer(tr(update, context)(STALE_DRAFT), show_alert=True)


async def answer(update: Update) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()
