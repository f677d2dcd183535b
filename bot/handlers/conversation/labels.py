"""Typed text as a button press: text equal to a button label of the current screen works as
pressing it, on every screen, in a conversation or not."""

from __future__ import annotations

import unicodedata
from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.ext import ApplicationHandlerStop

from bot.runtime import SCREEN_KEY, Ctx

LABEL_GROUP = -2


def _plain(text: str) -> str:
    """A label as a person would type it: no emoji, arrows or spaces, case-folded."""
    return "".join(
        ch
        for ch in unicodedata.normalize("NFKC", text)
        if not unicodedata.category(ch).startswith(("S", "Z", "C"))
    ).casefold()


def matching_button(typed: str, buttons: list[tuple[str, str]]) -> str | None:
    """The callback data of the button ``typed`` names: its label exactly (emoji and spaces
    aside), or else the one label it begins (two characters at least: 确认 for ✅ 确认注册)."""
    wanted = _plain(typed)
    if not wanted:
        return None
    exact = [data for label, data in buttons if _plain(label) == wanted]
    if exact:
        return exact[0] if len(set(exact)) == 1 else None
    if len(wanted) < 2:
        return None
    begun = {data for label, data in buttons if _plain(label).startswith(wanted)}
    return begun.pop() if len(begun) == 1 else None


class TypedPress(CallbackQuery):
    """A press made by typing a button's label: there is no query at Telegram to answer, so
    an answer's text (an alert) is sent to the chat instead."""

    async def answer(self, text: str | None = None, *args: Any, **kwargs: Any) -> bool:
        if text and self.message is not None:
            await self.get_bot().send_message(self.message.chat.id, text)
        return True


async def typed_label(update: Update, context: Ctx) -> None:
    """Text equal to a button of the current screen (``runtime.SCREEN_KEY``, the last keyboard
    ``reply`` showed in this chat) is handled as that button's press: same callback data,
    checked again by its handler as every press is. Other text goes on as usual."""
    message = update.message
    if message is None or message.text is None or context.chat_data is None:
        return
    screen = context.chat_data.get(SCREEN_KEY)
    if not isinstance(screen, dict) or update.effective_user is None:
        return
    buttons = [(str(label), str(data)) for label, data in screen.get("buttons", [])]
    data = matching_button(message.text, buttons)
    if data is None:
        return
    shown = Message(message_id=int(screen["message_id"]), date=message.date, chat=message.chat)
    shown.set_bot(context.bot)
    press = TypedPress(
        id=f"typed-{update.update_id}",
        from_user=update.effective_user,
        chat_instance=str(message.chat.id),
        message=shown,
        data=data,
    )
    press.set_bot(context.bot)
    await context.application.process_update(Update(update.update_id, callback_query=press))
    raise ApplicationHandlerStop
