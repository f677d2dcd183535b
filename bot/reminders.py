"""The outbox's sender over python-telegram-bot: each message in its recipient's language.

Telegram's errors become the dispatcher's: 403 (blocked, deactivated) and a 400 "chat not found"
mean the chat is unreachable; any other 400 refuses this one message; 429 says how long to wait; a
network error or a 5xx is worth a retry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.i18n import Translator, pick_language
from bot.keyboards import button, column
from bot.links import callback_data
from bot.retrying import OWN_POLICY
from bot.runtime import LANGUAGE_KEY, App, Services
from domain.model import OutboxMessage
from scheduler import dispatch


class TelegramSender:
    def __init__(self, app: App, services: Services) -> None:
        self._app = app
        self._services = services

    def translator(self, chat_id: int) -> Translator:
        chosen = self._app.user_data.get(chat_id, {}).get(LANGUAGE_KEY)
        return Translator(pick_language(chosen, None), self._services.settings.timezone)

    async def send(self, chat_id: int, message: OutboxMessage) -> None:
        t = self.translator(chat_id)
        # Parameter values may be msgids themselves (a module's name): translated, never formatted.
        params = {key: t.label(value) for key, value in message.params.items()}
        text = t(message.text_key, **params)
        markup = None
        data = callback_data(message.link)
        if message.button_key and data:
            markup = column([button(t(message.button_key), data)])
        # The outbox backs off and counts attempts itself: no quick network retries here.
        own = OWN_POLICY if self._app.bot.rate_limiter else None
        try:
            await self._app.bot.send_message(
                chat_id, text, reply_markup=markup, rate_limit_args=own
            )
        except Forbidden as refused:
            raise dispatch.Blocked(str(refused)) from refused
        except RetryAfter as wait:
            seconds = wait.retry_after
            delay = seconds.total_seconds() if hasattr(seconds, "total_seconds") else float(seconds)
            raise dispatch.RetryAfter(delay) from wait
        except BadRequest as bad:
            if "chat not found" in str(bad).lower():
                raise dispatch.Blocked(str(bad)) from bad
            raise dispatch.Undeliverable(str(bad)) from bad
        except (NetworkError, TelegramError) as failure:
            raise dispatch.Transient(str(failure)) from failure


if TYPE_CHECKING:
    # mypy's proof that the adapter satisfies the dispatcher's port.
    _satisfies_the_port: type[dispatch.Sender] = TelegramSender
