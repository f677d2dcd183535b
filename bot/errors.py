"""The one place that turns an exception into a polite answer; the process never crashes on one.

Domain errors are expected (a wrong password, a forged button): they are answered with their own
message. Anything else is logged with the update's context and answered with an apology.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError

from bot.answering import answer_if_open
from bot.callbacks import BadCallbackData
from bot.i18n import N_, Translator
from bot.runtime import Ctx, tr
from domain.errors import DomainError, Invalid, InvalidTransition
from domain.workflow import Action, Status

log = logging.getLogger("cebot.errors")

STALE_BUTTON = N_("这个按钮已失效或不属于您，操作未执行。请重新打开菜单：/menu")
APOLOGY = N_(
    "抱歉，处理您的请求时出错了，我们已记录此问题。您输入的内容没有丢失，请稍后重试或发送 /menu。"
)
TRY_AGAIN = N_("请重新输入：")


async def on_error(update: object, context: Ctx) -> None:
    error = context.error
    if isinstance(error, Forbidden):
        log.info("bot blocked by user: %s", _where(update))
        return
    if isinstance(error, RetryAfter | NetworkError):
        # Telegram is out of reach or asks us to slow down: an apology would not get through.
        log.warning("Bot API trouble at %s: %s", _where(update), error)
        return
    t = tr(update, context)
    if isinstance(error, Invalid):
        text = describe(error, t) + "\n" + t(TRY_AGAIN)
    elif isinstance(error, DomainError):
        text = describe(error, t)
    elif isinstance(error, BadCallbackData):
        log.info("refused callback data at %s", _where(update))
        text = t(STALE_BUTTON)
    else:
        log.error("unhandled error at %s", _where(update), exc_info=error)
        text = t(APOLOGY)
    if isinstance(update, Update):
        await _tell(update, text)


EXTRA_ACTION_LABELS: dict[str, str] = {"edit": N_("修改"), "delete": N_("删除")}


def describe(error: DomainError, t: Translator) -> str:
    """A domain error in the user's language, its placeholders filled.

    A refused transition names the state and the step in words, not their code values; a text
    parameter that is itself a msgid (a state's label) is translated, any other text is unchanged.
    """
    params = {key: t.label(value) for key, value in error.params.items()}
    if isinstance(error, InvalidTransition):
        if error.current in Status.__members__.values():
            params["current"] = t(Status(error.current).label)
        if error.action in Action.__members__.values():
            params["action"] = t(Action(error.action).label)
        elif error.action in EXTRA_ACTION_LABELS:
            params["action"] = t(EXTRA_ACTION_LABELS[error.action])
    return t(error.key, **params)


async def _tell(update: Update, text: str) -> None:
    try:
        await answer_if_open(update)
        if update.effective_chat is not None:
            await update.effective_chat.send_message(text)
    except TelegramError as exc:
        log.warning("could not tell the user about an error: %s", exc)


def _where(update: object) -> str:
    """Update id and Telegram user id: enough to find the trail, never the message content."""
    if not isinstance(update, Update):
        return "no update"
    user = update.effective_user.id if update.effective_user else None
    return f"update={update.update_id} user={user}"
