"""Inline keyboards shared by several features."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup


def button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def rows(buttons: Sequence[InlineKeyboardButton], per_row: int = 2) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]
    )


def column(buttons: Sequence[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return rows(buttons, per_row=1)


def page_count(total: int, per_page: int) -> int:
    """At least one page, so "page 1 of 1" reads right for an empty list."""
    return max(1, -(-total // per_page))


def page_turns(
    page: int, has_next: bool, encode: Callable[[int], str]
) -> list[InlineKeyboardButton]:
    """◀ and ▶ for a paged list; ``encode`` turns a page number into that list's callback data."""
    turns = []
    if page > 0:
        turns.append(button("◀", encode(page - 1)))
    if has_next:
        turns.append(button("▶", encode(page + 1)))
    return turns
