"""Every button press is answered exactly once, whatever path its handler took.

A callback query left unanswered keeps a spinner on the person's phone; one answered twice is
refused by Telegram ("query is too old"), and the second answer's words are lost. So the bot
remembers, per update, which queries it answered (``AnsweringBot``), the error handler answers
only a query still open, and the update processor answers, with no text, any query the handlers
and the error handler left open (``answer_if_open``). A handler that answers itself (first, to
stop the spinner, or with a pop-up) is never answered over.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.retrying import RateLimitArgs

log = logging.getLogger("cebot.answering")

_answered: ContextVar[set[str] | None] = ContextVar("cebot_answered_queries", default=None)


@contextlib.contextmanager
def tracking() -> Iterator[set[str]]:
    """The queries answered while one update is handled (its task and the tasks it starts)."""
    answered: set[str] = set()
    token = _answered.set(answered)
    try:
        yield answered
    finally:
        _answered.reset(token)


def is_answered(update: object) -> bool:
    """Whether this update's callback query was answered (False outside ``tracking``)."""
    if not isinstance(update, Update) or update.callback_query is None:
        return False
    answered = _answered.get()
    return answered is not None and update.callback_query.id in answered


async def answer_if_open(update: object, text: str | None = None, **kwargs: Any) -> None:
    """Answers the update's callback query unless it was answered; never raises."""
    if not isinstance(update, Update) or update.callback_query is None or is_answered(update):
        return
    with contextlib.suppress(TelegramError):
        await update.callback_query.answer(text, **kwargs)


class AnsweringBot(ExtBot[RateLimitArgs]):
    """The bot, noting each callback query it answers in the update's ``tracking`` set."""

    async def answer_callback_query(
        self, callback_query_id: str, *args: Any, **kwargs: Any
    ) -> bool:
        answered = _answered.get()
        if answered is not None:
            if callback_query_id in answered:
                log.warning("callback query %s answered a second time", callback_query_id)
            answered.add(callback_query_id)
        return await super().answer_callback_query(callback_query_id, *args, **kwargs)
