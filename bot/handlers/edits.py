"""A person editing a message they sent earlier: not new input, and nothing is done with it.

Every step of every conversation reads ``update.message``, the new message it asked for; an
edit arrives as ``edited_message`` instead, and an old message changed in place is no answer to
the question asked now (editing yesterday's class name must not become today's password). So
edits stop here, before any conversation or command sees them, without an answer: the person's
next message is what the bot reads.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from bot.runtime import App, Ctx

GROUP = -1
"""Before the default group, where conversations and commands live."""


async def ignore_edit(update: Update, context: Ctx) -> None:
    raise ApplicationHandlerStop


def register(app: App) -> None:
    app.add_handler(MessageHandler(filters.UpdateType.EDITED, ignore_edit), group=GROUP)
