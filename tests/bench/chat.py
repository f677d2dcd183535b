"""The whole bot and a bare python-telegram-bot echo, each polling an emulator, and people chatting.

Both Applications talk HTTP to an ``Emulator`` on loopback and are started the way the end-to-end
tests start ours (``bot.lifecycle.start_polling``: what ``run_polling`` does, in a running loop);
the simulated people, the emulator and the bot share one process and one event loop, so whatever
the emulator and the people cost is in the reference's figures as much as in ours.

A person's update is timed from the moment it is put on the emulator's queue until the bot's
answer (the first message the bot sends or edits in that chat afterwards, which must read as
expected) has arrived: what the person waits for.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeAlias

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.app import build_application
from bot.bootstrap import Overrides
from bot.config import Settings as BotSettings
from bot.emulator import BotSilent, ChatMessage, Emulator, SimUser
from bot.lifecycle import start_polling, stop
from bot.runtime import App
from domain.clock import FixedClock
from storage.crypto import Keyring
from tests.bench.arrange import cheap_hasher
from tests.bench.arrange_reminders import NOW

ANSWER_TIMEOUT_S = 30.0
POLL_TIMEOUT_S = 10
"""getUpdates' long-poll timeout, as ``cebot run`` polls."""
BareApp: TypeAlias = Application[Any, Any, Any, Any, Any, Any]
"""python-telegram-bot's defaults without a rate limiter, unlike ``App``: ``bot.lifecycle.stop``
touches only what every Application has, so the reference is stopped the same way."""


async def start_ours(
    emu: Emulator,
    engine: AsyncEngine,
    database_url: str,
    keyring: Keyring,
    data_dir: Path,
    *,
    rate_limiter: bool = True,
) -> App:
    """``build_application`` on an arranged database (borrowed engine, no migration), polling."""
    settings = BotSettings.from_mapping(
        {
            "CEBOT_DATABASE_URL": database_url,
            "CEBOT_DATA_DIR": str(data_dir),
            "CEBOT_SECRET_KEYS": keyring.to_json(),
        }
    )
    overrides = Overrides(
        clock=FixedClock(NOW),
        hasher=cheap_hasher(),
        token=emu.token,
        bot_api_url=emu.root_url,
        rate_limiter=rate_limiter,
        migrate=False,
        engine=engine,
    )
    app = build_application(settings, overrides)
    await start_polling(app, poll_timeout=POLL_TIMEOUT_S)
    return app


ECHO_BUTTONS = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("回声", callback_data="echo:1"),
            InlineKeyboardButton("▶", callback_data="echo:2"),
        ]
    ]
)
"""The echo's buttons: a press is answered and the message edited, as our buttons are."""


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text, reply_markup=ECHO_BUTTONS)


async def echo_press(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_text(f"按下了 {query.data}", reply_markup=ECHO_BUTTONS)


async def start_bare_echo(emu: Emulator) -> BareApp:
    """The reference: python-telegram-bot echoing and nothing else (no database, no persistence,
    no rate limiter), updates handled concurrently so none waits for another. A text is sent
    back with two buttons; a press is answered and its message edited: the Bot API calls our
    bot makes for the same updates, so the ratio is what we add to them."""
    app = (
        ApplicationBuilder()
        .token(emu.token)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .concurrent_updates(True)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(echo_press))
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(
        poll_interval=0.0, timeout=POLL_TIMEOUT_S, allowed_updates=Update.ALL_TYPES
    )
    await app.start()
    return app


async def stop_app(app: App | BareApp) -> None:
    await stop(app)


# --- what a person does ---------------------------------------------------------------------------


class WrongAnswer(AssertionError):
    """The bot answered, but not what the step asks for (an error message, say)."""


async def answer(user: SimUser, expected: str) -> ChatMessage:
    """The bot's next message in this chat, which must contain ``expected``: an error answer
    fails at once instead of waiting for a right one that will never come."""
    shown = await user.wait_for_bot_message(timeout=ANSWER_TIMEOUT_S)
    if expected not in (shown.text or ""):
        raise WrongAnswer(f"wanted {expected!r}, the bot said {shown.text!r}")
    return shown


class Script(Protocol):
    """One person's updates, one at a time; ``act`` returns the seconds until the answer."""

    updates_per_round: int

    async def act(self, user: SimUser, step: int) -> float: ...


@dataclass
class AdminScript:
    """The typical update of a logged-in admin: /menu, the 权限管理 button, ▶ to the next page."""

    updates_per_round: int = 3
    shown: ChatMessage | None = None

    async def act(self, user: SimUser, step: int) -> float:
        which = step % 3
        start = time.perf_counter()
        if which == 0:
            await user.send_text("/menu")
            expected = "功能列表"
        else:
            assert self.shown is not None
            await user.press(self.shown, "权限管理" if which == 1 else "▶")
            expected = "权限管理：" if which == 1 else "（第 2/"
        self.shown = await answer(user, expected)
        return time.perf_counter() - start


@dataclass
class MenuScript:
    """/menu, again and again (the other admin of the head-of-line row)."""

    updates_per_round: int = 1

    async def act(self, user: SimUser, step: int) -> float:
        start = time.perf_counter()
        await user.send_text("/menu")
        await answer(user, "功能列表")
        return time.perf_counter() - start


@dataclass
class EchoScript:
    """The reference's person, in step with ``AdminScript``: a line of text, then two presses of
    the echo's buttons (each answered and the message edited)."""

    updates_per_round: int = 3
    shown: ChatMessage | None = None

    async def act(self, user: SimUser, step: int) -> float:
        which = step % 3
        start = time.perf_counter()
        if which == 0:
            expected = f"你好，第 {step} 条"
            await user.send_text(expected)
        else:
            assert self.shown is not None
            await user.press(self.shown, "回声" if which == 1 else "▶")
            expected = f"按下了 echo:{which}"
        self.shown = await answer(user, expected)
        return time.perf_counter() - start


async def one_after_another(user: SimUser, script: Script, updates: int) -> float:
    """``updates`` updates, each sent once the previous one was answered: seconds in all."""
    start = time.perf_counter()
    for step in range(updates):
        await script.act(user, step)
    return time.perf_counter() - start


# --- many people at once --------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """How many people, how many updates each, and their pace."""

    people: int
    updates_each: int
    think_s: tuple[float, float]
    """A person's pause between an answer and the next update, drawn uniformly."""
    stagger_s: float
    """People start within this many seconds of each other."""
    seed: int = 2026


@dataclass
class Latencies:
    samples: list[float] = field(default_factory=list)
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    """Updates not answered in time or answered wrongly (that person stopped there)."""

    @property
    def updates(self) -> int:
        return len(self.samples)

    def quantile(self, q: float) -> float:
        return quantile(self.samples, q)


def quantile(samples: Sequence[float], q: float) -> float:
    """The nearest-rank quantile: p99 of 500 samples is the 5th slowest, a sample that happened."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, -(-int(q * 1000) * len(ordered) // 1000))
    return ordered[min(rank, len(ordered)) - 1]


async def all_at_once(users: Sequence[SimUser], scripts: Sequence[Script], load: Load) -> Latencies:
    """Every person runs their script at their pace at the same time; every answer is timed."""
    chance = random.Random(load.seed)
    plans = [
        (
            chance.uniform(0, load.stagger_s),
            [chance.uniform(*load.think_s) for _ in range(load.updates_each)],
        )
        for _ in users
    ]
    found = Latencies()

    async def person(user: SimUser, script: Script, delay: float, pauses: list[float]) -> None:
        await asyncio.sleep(delay)
        for step, pause in enumerate(pauses):
            try:
                found.samples.append(await script.act(user, step))
            except (BotSilent, WrongAnswer) as failed:  # the rest of this script cannot follow
                found.failures.append(str(failed).splitlines()[0][:200])
                return
            await asyncio.sleep(pause)

    start = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for user, script, (delay, pauses) in zip(users, scripts, plans, strict=True):
            group.create_task(person(user, script, delay, pauses))
    found.seconds = time.perf_counter() - start
    return found
