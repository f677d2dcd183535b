"""Whether a Telegram chat can be written to: a person may block the bot at any time.

Telegram tells the bot (a ``my_chat_member`` update) when it can, and answers 403 to a send
otherwise; either way the chat is recorded as blocked, so reminders stop trying it
(``scheduler/dispatch.py``). Unblocking the bot, or logging in from the chat, makes it reachable
again.
"""

from __future__ import annotations

from domain.clock import Clock
from domain.ports import UnitOfWork

BLOCKED_BY_USER = "the user blocked the bot"


async def chat_blocked(uow: UnitOfWork, clock: Clock, telegram_user_id: int) -> None:
    await uow.blocked_chats.block(telegram_user_id, clock.now(), BLOCKED_BY_USER)


async def chat_unblocked(uow: UnitOfWork, telegram_user_id: int) -> bool:
    """Whether the chat was recorded as blocked."""
    was_blocked = await uow.blocked_chats.unblock(telegram_user_id)
    return was_blocked
