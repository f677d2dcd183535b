"""What the add and hand-over conversations keep between messages, and how they end."""

from __future__ import annotations

from typing import Any, Final

from telegram import Update
from telegram.ext import ConversationHandler

from bot.handlers import conversation
from bot.handlers.admins.callbacks import DRAFT_KEY, SECRET_KEY
from bot.i18n import N_
from bot.runtime import Ctx, MemoryOnly
from domain.errors import DomainError

STEP_GONE: Final = N_("这一步已失效，请重新打开 /admins。")


def draft_of(context: Ctx, way: str) -> dict[str, Any]:
    """The step's draft; another way's, or none (ended, expired), refuses the step."""
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    if not isinstance(draft, dict) or draft.get("way") != way:
        raise DomainError(STEP_GONE)
    return draft


def secrets(context: Ctx) -> dict[str, str]:
    assert context.user_data is not None
    held = context.user_data.setdefault(SECRET_KEY, MemoryOnly())
    assert isinstance(held, dict)
    return held


def end(context: Ctx) -> int:
    conversation.drop_drafts(context)
    return ConversationHandler.END


async def abort(update: Update, context: Ctx) -> int:
    """The 取消 button inside a conversation: as /cancel."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    return await conversation.cancel(update, context)
