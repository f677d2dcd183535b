"""Inline keyboards shared by several features."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup


def button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def rows(buttons: Sequence[InlineKeyboardButton], per_row: int = 2) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]
    )


def column(buttons: Sequence[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return rows(buttons, per_row=1)
