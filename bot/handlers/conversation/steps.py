"""One conversation at a time, and the open steps a restart forgot.

Starting a conversation ends any other one (``one_at_a_time``); before anything else sees an
update of a person, the ``sweep`` drops their forms' expired drafts and ends a step left open
longer than ``TIMEOUT`` (python-telegram-bot's time-outs live in memory only).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import ConversationHandler

import bot.handlers.conversation as package
from bot.handlers.conversation.forms import FORMS, draft_of, forget, kept_note, now, touched_at
from bot.handlers.conversation.leaving import drop_drafts, drop_other_drafts
from bot.i18n import N_
from bot.runtime import App, Ctx, application, show_screens_in, tr
from domain import drafts

SEEN_KEY = "conversation:seen"
"""``user_data``: when this person's last update arrived (ISO), to end a step left open by a
restart (python-telegram-bot's time-outs live in memory only)."""
SEEN_EVERY = timedelta(minutes=5)
SWEEP_GROUP = -3


def _conversations(app: App) -> list[ConversationHandler[Ctx]]:
    return [
        h
        for handlers in app.handlers.values()
        for h in handlers
        if isinstance(h, ConversationHandler) and h.name
    ]


def _end_state(handler: ConversationHandler[Ctx], update: Update) -> bool:
    """Ends ``handler``'s conversation with the person of ``update``; whether one was open.

    python-telegram-bot offers no public way to end a conversation from outside it; its own
    time-out does exactly this (``_update_state(END, key)``, persisted on the next write).
    """
    key = handler._get_key(update)
    if handler._conversations.get(key) is None:
        return False
    job = handler.timeout_jobs.pop(key, None)
    if job is not None:
        job.schedule_removal()
    handler._update_state(ConversationHandler.END, key)
    return True


def one_at_a_time(app: App) -> None:
    """Starting a conversation ends any other one (a form's draft is kept).

    PTB hands an update to the first conversation that claims it, in the order they were added:
    a command or button that starts /password (added early) never reaches the review
    conversation (added late) waiting for a reason, whose fallback would have ended it. That step
    stayed open, and the reviewer's next message, whatever it said, became the reason. Now the
    other conversation is ended when this one starts, and its draft dropped (a form's kept).
    Applied to every conversation's entry points once all are added (``install``).
    """
    handlers = _conversations(app)
    for handler in handlers:
        others = [h for h in handlers if h is not handler]
        for entry in handler.entry_points:
            entry.callback = _first_leaving_others(handler.name or "", others, entry.callback)


def _first_leaving_others(
    name: str,
    others: list[ConversationHandler[Ctx]],
    callback: Callable[[Update, Ctx], Awaitable[object]],
) -> Callable[[Update, Ctx], Coroutine[Any, Any, object]]:
    async def entered(update: Update, context: Ctx) -> object:
        for other in others:
            _end_state(other, update)
        drop_other_drafts(context, name)
        if context.user_data is not None:
            context.user_data[SEEN_KEY] = now(context).isoformat()
        return await callback(update, context)

    return entered


def _end_idle_steps(
    update: Update,
    context: Ctx,
    handlers: list[ConversationHandler[Ctx]],
    now: datetime,
) -> list[str]:
    """Ends the person's open step when their last update in it is older than ``TIMEOUT``.

    ``SEEN_KEY`` is set when a conversation starts (every entry point, ``one_at_a_time``) and
    refreshed at most every ``SEEN_EVERY`` while it is open, so a screen outside any
    conversation writes nothing (a write would queue behind any writer of the database).
    ``TIMEOUT`` is read from the package when used, as the conversations read it when built, so
    one value (a test's shortened one too) holds for both.
    """
    assert context.user_data is not None
    open_now = [h for h in handlers if h._conversations.get(h._get_key(update)) is not None]
    seen = context.user_data.get(SEEN_KEY)
    if not open_now:
        return []  # left as it is: an update outside any conversation writes nothing
    last = datetime.fromisoformat(seen) if isinstance(seen, str) else None
    if last is None or now - last >= SEEN_EVERY:
        context.user_data[SEEN_KEY] = now.isoformat()
    if last is None or now - last < package.TIMEOUT:
        return []
    for handler in open_now:
        _end_state(handler, update)
    context.user_data.pop(SEEN_KEY, None)
    drop_drafts(context)
    t = tr(update, context)
    kept = [kept_note(update, context, FORMS.get(h.name or "")) for h in open_now]
    return ["\n".join(filter(None, [t(N_("上次的操作长时间未继续，已结束。")), *kept]))]


def _drop_expired_drafts(
    update: Update, context: Ctx, handlers: list[ConversationHandler[Ctx]], now: datetime
) -> list[str]:
    """Drops the person's expired form drafts (ending their conversations); what to tell."""
    notes: list[str] = []
    t = tr(update, context)
    for found in FORMS.values():
        draft = draft_of(context, found)
        if draft is not None and drafts.age(touched_at(draft), now) is drafts.DraftAge.EXPIRED:
            forget(context, found)
            for handler in handlers:
                if handler.name == found.name and update.effective_chat is not None:
                    _end_state(handler, update)
            if found.filled(draft):
                notes.append(
                    t(
                        N_("您未完成的“{title}”草稿已超过三天未修改，已自动放弃。"),
                        title=t(found.title),
                    )
                )
    return notes


async def sweep(update: Update, context: Ctx) -> None:
    """Before anything else sees an update of a person (``SWEEP_GROUP``): drops their forms'
    expired drafts, and ends a step left open longer than ``TIMEOUT`` (a restart loses
    python-telegram-bot's time-outs, which would leave it open for ever). Also points
    ``reply`` at the chat's record of its current screen (``typed_label``)."""
    if context.chat_data is not None:
        show_screens_in(context.chat_data)
    if context.user_data is None or update.effective_user is None:
        return
    moment = now(context)
    handlers = _conversations(application(context))
    notes = _drop_expired_drafts(update, context, handlers, moment)
    if update.effective_chat is not None:
        notes += _end_idle_steps(update, context, handlers, moment)
    if notes and update.effective_chat is not None:
        await update.effective_chat.send_message("\n".join(notes))
