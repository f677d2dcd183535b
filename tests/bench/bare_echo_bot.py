"""The start-up row's reference: python-telegram-bot's ``run_polling`` with one echo handler.

Started as a process exactly as ``cebot run`` is (same interpreter, same environment: the token
and the API root from ``CEBOT_TELEGRAM_TOKEN`` and ``CEBOT_BOT_API_URL``), so the two start-ups
differ only in what each program does before its first answer.
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


def main() -> None:
    root = os.environ["CEBOT_BOT_API_URL"].rstrip("/")
    app = (
        ApplicationBuilder()
        .token(os.environ["CEBOT_TELEGRAM_TOKEN"])
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
