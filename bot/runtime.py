"""What every handler needs: the services container, the user's translator, replying, deleting.

The container lives in ``application.bot_data`` (never persisted), built once by bot/app.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar, cast

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ContextTypes, ExtBot, JobQueue

from bot.config import Settings
from bot.i18n import Translator, pick_language
from bot.retrying import RateLimitArgs
from domain.clock import Clock
from domain.model import Actor, ReviewerActor
from domain.ports import BlobStore, PasswordHasher, UnitOfWork
from domain.scoresheet import ScoreWorkbooks
from domain.services.auth import LoginPolicy
from domain.services.sessions import (
    SessionPolicy,
    SessionWriteNeeded,
    resolve_actor,
    resolve_home,
)

Ctx: TypeAlias = ContextTypes.DEFAULT_TYPE
App: TypeAlias = Application[
    ExtBot[RateLimitArgs], Ctx, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[Ctx]
]
"""The Application ``bot.app`` builds: python-telegram-bot's default context types, and a bot
whose rate limiter, when it has one, is ``bot.retrying.RetryingRateLimiter``."""
Who = TypeVar("Who")
SERVICES_KEY = "cebot.services"
LANGUAGE_KEY = "language"
SCREEN_KEY = "_screen"
"""``chat_data``: the buttons of the chat's current screen, ``{"message_id", "buttons": [[label,
data], ...]}``, or none when the bot's last message had none; written by :func:`reply`, read by
``bot.handlers.conversation.typed_label`` (typed text equal to a label works as the press).
Memory only (a "_" key): a restart forgets it until the next screen with buttons."""
_screens: ContextVar[dict[str, Any] | None] = ContextVar("cebot_screens", default=None)


@dataclass
class Services:
    settings: Settings
    uow: Callable[..., UnitOfWork]
    hasher: PasswordHasher
    clock: Clock
    session_policy: SessionPolicy
    login_policy: LoginPolicy
    prepare_database: Callable[[], Awaitable[None]]
    """Runs before the Application initialises: migrates an embedded SQLite."""
    release_connections: Callable[[], Awaitable[None]]
    blobs: BlobStore
    """The bytes of uploaded files (encrypted, by SHA-256); their records are in the database."""
    workbooks: ScoreWorkbooks
    """Score templates, imports, marked-up files and exports (``storage.spreadsheets``)."""


class MemoryOnly(dict[str, Any]):
    """A ``user_data`` value under a "_" key: memory only, and never copied.

    python-telegram-bot deep-copies the user data of every update before handing it to the
    persistence, which then drops the "_" keys anyway. A 100,000-row import preview took over a
    second to copy, on the event loop, after each of that admin's updates (and under PTB's one
    persistence lock, so every other admin waited too). A copy of this is empty.
    """

    def __deepcopy__(self, _memo: dict[int, Any]) -> MemoryOnly:
        return MemoryOnly()


def application(context: Ctx) -> App:
    """The Application a handler or a job runs in. python-telegram-bot types
    ``CallbackContext.application`` with a type variable it never binds (and a bot without our
    rate limiter), so nothing precise comes out of it but through this cast."""
    return cast(App, context.application)


def services(context: Ctx) -> Services:
    return services_of(application(context))


def services_of(app: App) -> Services:
    found = app.bot_data[SERVICES_KEY]
    assert isinstance(found, Services)
    return found


def tr(update: object, context: Ctx) -> Translator:
    chosen = context.user_data.get(LANGUAGE_KEY) if context.user_data is not None else None
    code = None
    if isinstance(update, Update) and update.effective_user is not None:
        code = update.effective_user.language_code
    return Translator(pick_language(chosen, code), services(context).settings.timezone)


def telegram_user_id(update: Update) -> int:
    assert update.effective_user is not None
    return update.effective_user.id


async def current_actor(update: Update, context: Ctx, uow: UnitOfWork) -> Actor:
    """The guard's entry for handlers: session, base, fresh permissions."""
    svc = services(context)
    return await resolve_actor(uow, svc.clock, telegram_user_id(update), svc.session_policy)


async def current_home(update: Update, context: Ctx, uow: UnitOfWork) -> Actor | ReviewerActor:
    """The guard for screens a reviewer without a base sees too (the menu, the deadlines)."""
    svc = services(context)
    return await resolve_home(uow, svc.clock, telegram_user_id(update), svc.session_policy)


@asynccontextmanager
async def acting(
    update: Update, context: Ctx, *, readonly: bool = False
) -> AsyncIterator[tuple[UnitOfWork, Actor]]:
    """One unit of work as the logged-in admin: ``async with acting(u, c) as (uow, actor):``.

    Committed when the block ends (the guard may have touched the session), unless the body
    raised; ``readonly`` for screens that only show something. See :func:`guarded`.
    """
    async with guarded(context, lambda uow: current_actor(update, context, uow), readonly) as found:
        yield found


@asynccontextmanager
async def guarded(
    context: Ctx, guard: Callable[[UnitOfWork], Awaitable[Who]], readonly: bool
) -> AsyncIterator[tuple[UnitOfWork, Who]]:
    """A unit of work with who is acting, resolved by ``guard``: the action's one transaction.

    Leaving the block commits it, which is the only commit an action makes: services and
    handlers never commit. An exception from the body rolls it back, except a refusal marked
    ``domain.errors.recorded`` (a session ended by the guard itself, say), whose writes stand.

    Read-only, it never queues behind a writer (another admin's import holds the write lock for
    seconds on SQLite), unless the guard must touch or end the session: then, and only then,
    the guard runs again in a writing unit of work.
    """
    svc = services(context)
    if readonly:
        async with svc.uow(readonly=True) as uow:
            try:
                who = await guard(uow)
            except SessionWriteNeeded:
                pass
            else:
                yield uow, who
                return
    async with svc.uow() as uow:
        who = await guard(uow)
        yield uow, who


async def resolved(context: Ctx, guard: Callable[[UnitOfWork], Awaitable[Who]]) -> Who:
    """Who is acting and nothing else, read without queueing behind a writer."""
    async with guarded(context, guard, readonly=True) as (_uow, who):
        return who


def show_screens_in(chat_data: dict[str, Any]) -> None:
    """Where :func:`reply` records the current screen during this update (its own task)."""
    _screens.set(chat_data)


def _remember_screen(message: Message | None, keyboard: InlineKeyboardMarkup | None) -> None:
    chat_data = _screens.get()
    if chat_data is None:
        return
    if message is None or keyboard is None:
        chat_data.pop(SCREEN_KEY, None)
        return
    buttons = [
        [b.text, b.callback_data]
        for row in keyboard.inline_keyboard
        for b in row
        if isinstance(b.callback_data, str)
    ]
    chat_data[SCREEN_KEY] = {"message_id": message.message_id, "buttons": buttons}


async def reply(
    update: Update,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
    *,
    edit: bool = True,
    **kwargs: Any,
) -> Message | None:
    """Edits the message a pressed button belongs to, or sends a new message; either becomes
    the chat's current screen (``SCREEN_KEY``)."""
    query = update.callback_query
    if query is not None and edit and query.message is not None:
        try:
            result = await query.edit_message_text(text, reply_markup=keyboard, **kwargs)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise
            return None
        edited = result if isinstance(result, Message) else None
        _remember_screen(edited, keyboard)
        return edited
    chat = update.effective_chat
    assert chat is not None
    sent = await chat.send_message(text, reply_markup=keyboard, **kwargs)
    _remember_screen(sent, keyboard)
    return sent


async def delete_user_message(update: Update) -> bool:
    """Removes a message that carried a password or an ID-card number, right after reading it."""
    if update.effective_message is None:
        return False
    with contextlib.suppress(TelegramError):
        return await update.effective_message.delete()
    return False
