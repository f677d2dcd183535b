"""A pushed message's link (``domain/links.py``) as the callback data of today's screens.

Resolved when the message is sent, not when it is written, so a reminder queued before an
upgrade opens the upgraded screen. A link this bot does not know gives no button: the message
still goes out.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.callbacks import CallbackAction
from bot.handlers.classes.callbacks import CARD as CLASS_CARD
from bot.handlers.menu import MENU_OPEN, MODULES_BY_KEY
from bot.handlers.scores.callbacks import SHEET as SCORE_SHEET
from bot.handlers.submissions.callbacks import MATERIAL as SUBMITTED_MATERIAL
from bot.handlers.submissions.callbacks import OVERVIEW as SUBMITTED_ANNUAL
from domain.model import SubmissionKind

MAX_ID_DIGITS = 18
"""As ``bot.callbacks`` parses ids: anything longer is no id of ours."""


def _is_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS


def _one_id(action: CallbackAction) -> Callable[[list[str]], str | None]:
    def resolve(parts: list[str]) -> str | None:
        if len(parts) != 1 or not _is_id(parts[0]):
            return None
        return action.encode(int(parts[0]))

    return resolve


def _module(parts: list[str]) -> str | None:
    if len(parts) != 1 or parts[0] not in MODULES_BY_KEY:
        return None
    return MENU_OPEN.encode(parts[0])


def _annual(parts: list[str]) -> str | None:
    if len(parts) != 2 or not _is_id(parts[0]):
        return None
    if parts[1] not in (SubmissionKind.PLAN.value, SubmissionKind.SUMMARY.value):
        return None
    return SUBMITTED_ANNUAL.encode(int(parts[0]), parts[1])


RESOLVERS: dict[str, Callable[[list[str]], str | None]] = {
    "module": _module,
    "class": _one_id(CLASS_CARD),
    "scores": _one_id(SCORE_SHEET),
    "annual": _annual,
    "material": _one_id(SUBMITTED_MATERIAL),
}


def callback_data(link: str | None) -> str | None:
    if not link:
        return None
    kind, *parts = link.split(":")
    resolve = RESOLVERS.get(kind)
    return resolve(parts) if resolve else None
