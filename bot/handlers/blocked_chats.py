"""Telegram's word that a person blocked or unblocked the bot in their private chat.

Nothing is said back (a blocked chat cannot be written to, and an unblocking is followed by the
person's own message); the record only decides whether reminders try the chat.
"""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.ext import ChatMemberHandler

from bot.runtime import App, Ctx, services
from domain.services import blocked_chats

log = logging.getLogger("cebot.blocked_chats")


async def membership_changed(update: Update, context: Ctx) -> None:
    changed = update.my_chat_member
    if changed is None or changed.chat.type != ChatType.PRIVATE:
        return
    svc = services(context)
    status = changed.new_chat_member.status
    async with svc.uow() as uow:
        if status == ChatMember.BANNED:
            await blocked_chats.chat_blocked(uow, svc.clock, changed.chat.id)
            log.info("chat %s blocked the bot", changed.chat.id)
        elif status == ChatMember.MEMBER and await blocked_chats.chat_unblocked(
            uow, changed.chat.id
        ):
            log.info("chat %s unblocked the bot", changed.chat.id)


def register(app: App) -> None:
    app.add_handler(ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER))
