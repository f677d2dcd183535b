"""Reminders (issue 8): planning for every base at once, and sending at Telegram's pace.

"Planning for 5,000 bases with 3 admins each and 4 deadline kinds finishes in under a second with
a constant number of queries; dispatching 3,000 reminders through the emulator (limits on)
sustains at least 27 messages a second (90% of Telegram's 30/s) with zero 429 answers."

``reminder_planning_5k``. Ours is what ``scheduler.gather.enqueue_due`` does before it writes, in
a read-only unit of work: the deadlines, ``gather`` (bases, filings, approved classes, memberships
with roles: one query each), the mutes, then the pure ``plan``. The reference replays the very
statements ours sent (captured on a first, unmeasured pass) through the standard library's
``sqlite3`` on the same file, fetching every row and doing nothing else: reading without
SQLAlchemy, aiosqlite's thread, domain objects or planning. Statements are counted on a database of
5,000 bases and on one of 50; the row misses if the counts differ. ``enqueue_due`` itself (the
reminders made into messages, inserted in batches, committed) runs once afterwards: a detail.

``reminder_dispatch_3k``. 3,000 pending reminders to 3,000 people, each with a chat of their own
(written by ``enqueue_due`` for 1,500 bases that owe their plan: two admins each), sent by
``dispatch_due`` (claims of 100, one after another until nothing is left, one ``Pacer``
throughout), as ``cebot run``'s dispatch job calls it, through the production sender
(``bot.reminders.TelegramSender`` on an Application
from ``bot.app.build_application``: python-telegram-bot's HTTP stack and its ``AIORateLimiter``)
to the emulator with flood control on, each send marked in SQLite as it goes.
Ours is messages a second from the first claim to the last mark. The reference is not measured: it
is Telegram's limit of 30 a second, since a faster sender would only be refused (the emulator says
429), so the ceiling of any compliant sender is the honest yardstick and the ratio reads as a share
of it. What the bare HTTP stack could do unpaced (a plain ``telegram.Bot.send_message`` loop, the
emulator's limits off) is measured after and shown in the details, with every 429 the emulator
answered; the row misses on a single 429 or an undelivered message.

Both rows arrange their databases with bulk inserts (``tests.bench.arrange_reminders``); arranging
is never measured.
"""

from __future__ import annotations

import asyncio
import gc
import math
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot

from bot.app import build_application
from bot.bootstrap import Overrides
from bot.config import Settings as BotSettings
from bot.emulator import Emulator
from bot.reminders import TelegramSender
from bot.runtime import SERVICES_KEY, Services
from domain.clock import FixedClock
from domain.model import OutboxMessage, OutboxState
from scheduler.dispatch import dispatch_due
from scheduler.gather import enqueue_due, gather, years_around
from scheduler.pacing import Pacer
from scheduler.planning import Reminder, plan
from storage.crypto import FieldCipher, Keyring
from storage.db import make_engine
from storage.migrate import upgrade_engine
from storage.uow import UnitOfWorkFactory
from tests.bench.arrange import PASSWORD, UnitsOfWork, cheap_hasher
from tests.bench.arrange_reminders import (
    FIRST_CHAT,
    NOW,
    RULES,
    Census,
    bases_with_admins,
    pending_outbox,
)
from tests.bench.harness import Benchmark, Result, Settings, Target, median, side_by_side, timed

PLANNING_LIMIT_S = 1.0
TELEGRAM_PER_SECOND = 30.0
DISPATCH_AT_LEAST = 27.0
"""90% of Telegram's 30 a second."""
BATCH = 100
"""Rows a claim takes, as ``cebot run``'s job claims them."""
WINDOW_S = 5.0


@dataclass(frozen=True)
class Sizes:
    bases: int
    small_bases: int
    messages: int
    bare_messages: int

    @classmethod
    def of(cls, settings: Settings) -> Sizes:
        if settings.quick:
            return cls(bases=50, small_bases=5, messages=60, bare_messages=60)
        return cls(bases=5_000, small_bases=50, messages=3_000, bare_messages=600)


# --- counting what reaches the database -----------------------------------------------------------


@contextmanager
def captured(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """Every statement sent to the driver (BEGIN included) with its parameters, as sent."""
    seen: list[tuple[str, Any]] = []

    def record(
        _conn: object,
        _cursor: object,
        statement: str,
        parameters: Any,
        _context: object,
        _executemany: bool,
    ) -> None:
        seen.append((statement, parameters))

    target = engine.sync_engine
    event.listen(target, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", record)


def verbs(statements: list[tuple[str, Any]]) -> dict[str, int]:
    return dict(Counter(sql.split(None, 1)[0].upper() for sql, _ in statements).most_common())


# --- 1. planning ----------------------------------------------------------------------------------


@dataclass(repr=False)
class Planned:
    """Not repr'd: on Python 3.11 ``asyncio.Runner.run`` formats its finished task (result
    included) when it restores the SIGINT handler, and 28,000 reminders take half a second."""

    reminders: list[Reminder]
    read: float
    planned: float

    @property
    def seconds(self) -> float:
        return self.read + self.planned


async def planning_pass(units: UnitsOfWork, clock: FixedClock) -> Planned:
    """``enqueue_due`` up to the reminders, in the same order, without writing them."""
    gc.collect()
    start = time.perf_counter()
    async with units(readonly=True) as uow:
        now = clock.now()
        years = years_around(now, RULES)
        deadlines = [d for d in await uow.deadlines.list() if d.year in years]
        found = await gather(uow, deadlines, RULES)
        mutes = await uow.mutes.all()
    read = time.perf_counter()
    reminders = plan(found.obligations, found.holders, mutes, now, RULES)
    return Planned(reminders, read - start, time.perf_counter() - read)


def replay(conn: sqlite3.Connection, statements: list[tuple[str, Any]]) -> int:
    """The reference: the same statements through bare sqlite3, every row fetched."""
    rows = 0
    for sql, parameters in statements:
        rows += len(conn.execute(sql, parameters).fetchall())
    if conn.in_transaction:
        conn.rollback()
    return rows


@dataclass
class PlanningDatabase:
    path: Path
    engine: AsyncEngine
    units: UnitsOfWork
    census: Census
    arranged_seconds: float


async def planning_database(path: Path, bases: int, password_hash: str) -> PlanningDatabase:
    path.unlink(missing_ok=True)  # noqa: ASYNC240 (before anything runs: nothing to block)
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    start = time.perf_counter()
    try:
        await upgrade_engine(engine)
        factory = UnitOfWorkFactory(engine, FieldCipher(Keyring.generate()))
        census = await bases_with_admins(engine, factory, password_hash, bases)
    except BaseException:
        await engine.dispose()
        raise
    # The cast as in ``tests.bench.arrange``: mypy compares the port's settable repository
    # attributes invariantly, so the concrete unit of work does not pass for the port unaided.
    units = cast(UnitsOfWork, factory)
    return PlanningDatabase(path, engine, units, census, time.perf_counter() - start)


def by_kind(reminders: list[Reminder]) -> dict[str, int]:
    return dict(sorted(Counter(r.kind.value for r in reminders).items()))


def planning(settings: Settings) -> Result:
    sizes = Sizes.of(settings)
    clock = FixedClock(NOW)
    with asyncio.Runner() as runner:  # one loop for all: the engine's connections belong to it
        password_hash = runner.run(cheap_hasher().hash(PASSWORD))

        small = runner.run(
            planning_database(
                settings.workdir / "planning-small.db", sizes.small_bases, password_hash
            )
        )
        try:
            with captured(small.engine) as small_statements:
                small_planned = runner.run(planning_pass(small.units, clock))
        finally:
            runner.run(small.engine.dispose())

        big = runner.run(
            planning_database(settings.workdir / "planning.db", sizes.bases, password_hash)
        )
        print(
            f"  arranged {sizes.bases:,} bases in {big.arranged_seconds:.1f} s",
            file=sys.stderr,
        )
        try:
            with captured(big.engine) as statements:
                first = runner.run(planning_pass(big.units, clock))
            expected = len(first.reminders)
            kinds = by_kind(first.reminders)
            if len(kinds) != 4:
                raise AssertionError(f"every deadline kind should remind someone, got {kinds}")
            steps: list[Planned] = []

            def ours() -> float:
                planned = runner.run(planning_pass(big.units, clock))
                if len(planned.reminders) != expected:
                    raise AssertionError(f"{len(planned.reminders)} reminders, then {expected}")
                steps.append(planned)
                return planned.seconds

            reference_rows: list[int] = []
            conn = sqlite3.connect(big.path, isolation_level=None)
            try:

                def reference() -> float:
                    return timed(lambda: reference_rows.append(replay(conn, statements)))

                references, ourselves = side_by_side(reference, ours, settings.repeats)
            finally:
                conn.close()

            with captured(big.engine) as enqueue_statements:
                start = time.perf_counter()
                added = runner.run(enqueue_once(big.units, clock))
                enqueue_seconds = time.perf_counter() - start
            if added != expected:
                raise AssertionError(f"enqueue_due added {added}, planning found {expected}")
        finally:
            runner.run(big.engine.dispose())

    counts = {sizes.bases: len(statements), sizes.small_bases: len(small_statements)}
    return Result(
        name="reminder_planning_5k",
        what=f"plan reminders for {sizes.bases:,} bases × 3 admins (read + plan) "
        "vs the same SELECTs in bare sqlite3",
        unit="s",
        ours=median(ourselves),
        reference=median(references),
        target=Target("ours", PLANNING_LIMIT_S, strict=True, unit="s"),
        checks={
            f"same statements for {sizes.bases:,} and {sizes.small_bases:,} bases": (
                len(statements) == len(small_statements)
            ),
        },
        details={
            "bases": sizes.bases,
            "arranged": vars(big.census),
            "arranged_seconds": big.arranged_seconds,
            "reminders": expected,
            "reminders_by_kind": kinds,
            "reminders_small": len(small_planned.reminders),
            "statements_by_bases": counts,
            "statements_by_verb": verbs(statements),
            "reference_rows_fetched": reference_rows[-1] if reference_rows else None,
            "repeats": settings.repeats,
            "ours_samples": ourselves,
            "reference_samples": references,
            "ours_steps_median": {
                "read": median([s.read for s in steps]),
                "plan": median([s.planned for s in steps]),
            },
            "enqueue_due_seconds": enqueue_seconds,
            "enqueue_due_added": added,
            "enqueue_due_statements": len(enqueue_statements),
            "enqueue_due_statements_by_verb": verbs(enqueue_statements),
        },
    )


async def enqueue_once(units: UnitsOfWork, clock: FixedClock) -> int:
    async with units() as uow:
        return await enqueue_due(uow, clock, RULES)


# --- 2. dispatch ----------------------------------------------------------------------------------


class Stamped:
    """The production sender, noting when each send came back (for the per-window rates)."""

    def __init__(self, inner: TelegramSender) -> None:
        self.inner = inner
        self.times: list[float] = []

    async def send(self, chat_id: int, message: OutboxMessage) -> None:
        await self.inner.send(chat_id, message)
        self.times.append(time.perf_counter())


@dataclass
class Dispatched:
    sent: int
    failed: int
    retried: int
    rounds: int
    seconds: float
    window_rates: list[float]
    states: dict[str, int]
    delivered: int
    refused: dict[str, int]
    bare_per_second: float
    bare_messages: int
    arranged_seconds: float

    @property
    def per_second(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def window_rates(times: list[float], start: float) -> list[float]:
    """Messages a second in each whole ``WINDOW_S`` window from the start (the last, partial one
    left out): sustained means every window, not the average."""
    if not times:
        return []
    counts = Counter(int((t - start) // WINDOW_S) for t in times)
    whole = int((times[-1] - start) // WINDOW_S)
    return [counts[i] / WINDOW_S for i in range(whole)]


async def drain(
    services: Services, clock: FixedClock, sender: Stamped
) -> tuple[int, int, int, int]:
    """``dispatch_due``, as ``cebot run``'s dispatch job calls it: batch after batch until
    nothing more is due; returns sent, failed, retried and how many batches it took."""
    report = await dispatch_due(services.uow, clock, sender, Pacer(), batch=BATCH)
    return report.sent, report.failed, report.retried, math.ceil(report.handled / BATCH)


async def bare_sends(emu: Emulator, chats: list[int]) -> float:
    """A plain Bot, no pacing, no database, the emulator's limits off: messages a second."""
    emu.limits_enabled = False
    try:
        async with Bot(emu.token, base_url=emu.base_url) as bot:
            start = time.perf_counter()
            for chat in chats:
                await bot.send_message(
                    chat, "截止提醒：湖北省继续教育基地的年度培训计划将于 2026-12-06 17:00 截止。"
                )
            seconds = time.perf_counter() - start
    finally:
        emu.limits_enabled = True
    return len(chats) / seconds


async def dispatch_all(workdir: Path, sizes: Sizes) -> Dispatched:
    database = workdir / "dispatch.db"
    database.unlink(missing_ok=True)
    keyring = Keyring.generate()
    engine = make_engine(f"sqlite+aiosqlite:///{database}")
    clock = FixedClock(NOW)
    try:
        begun = time.perf_counter()
        await upgrade_engine(engine)
        units = UnitOfWorkFactory(engine, FieldCipher(keyring))
        hasher = cheap_hasher()
        chats = await pending_outbox(engine, units, await hasher.hash(PASSWORD), sizes.messages)
        arranged_seconds = time.perf_counter() - begun
        async with Emulator() as emu:
            for chat in chats:
                emu.user(chat, f"管理员{chat - FIRST_CHAT}")
            settings = BotSettings.from_mapping(
                {
                    "CEBOT_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
                    "CEBOT_DATA_DIR": str(workdir / "dispatch-data"),
                    "CEBOT_SECRET_KEYS": keyring.to_json(),
                }
            )
            overrides = Overrides(
                clock=clock,
                hasher=hasher,
                token=emu.token,
                bot_api_url=emu.root_url,
                migrate=False,
                engine=engine,
            )
            app = build_application(settings, overrides)
            await app.initialize()  # getMe and the persistence; no polling, no jobs
            try:
                services: Services = app.bot_data[SERVICES_KEY]
                sender = Stamped(TelegramSender(app, services))
                before = Counter(emu.stats)
                gc.collect()
                start = time.perf_counter()
                sent, failed, retried, rounds = await drain(services, clock, sender)
                seconds = time.perf_counter() - start
                refused = Counter(emu.stats)
                refused.subtract(before)
                async with services.uow(readonly=True) as uow:
                    states = await uow.outbox.counts()
                delivered = sum(len(user.bot_messages()) for user in emu.users)
            finally:
                await app.shutdown()
            bare = await bare_sends(emu, chats[: sizes.bare_messages])
    finally:
        await engine.dispose()
    return Dispatched(
        sent=sent,
        failed=failed,
        retried=retried,
        rounds=rounds,
        seconds=seconds,
        window_rates=window_rates(sender.times, start),
        states={state.value: n for state, n in states.items()},
        delivered=delivered,
        refused={name: n for name, n in refused.items() if n},
        bare_per_second=bare,
        bare_messages=min(sizes.bare_messages, len(chats)),
        arranged_seconds=arranged_seconds,
    )


def dispatch(settings: Settings) -> Result:
    sizes = Sizes.of(settings)
    done = asyncio.run(dispatch_all(settings.workdir, sizes))
    too_many = done.refused.get("429", 0)
    windows = done.window_rates
    return Result(
        name="reminder_dispatch_3k",
        what=f"send {sizes.messages:,} reminders (dispatch_due + Pacer + PTB over HTTP, "
        "emulator limits on) vs Telegram's 30/s",
        unit="msg/s",
        ours=done.per_second,
        reference=TELEGRAM_PER_SECOND,
        target=Target("ours", DISPATCH_AT_LEAST, at_least=True, unit="msg/s"),
        checks={
            "no 429 answer": too_many == 0,
            "every message sent and delivered once": (
                done.sent == sizes.messages
                and done.delivered == sizes.messages
                and done.states.get(OutboxState.SENT.value) == sizes.messages
            ),
        },
        details={
            "messages": sizes.messages,
            "seconds": done.seconds,
            "sent": done.sent,
            "failed": done.failed,
            "retried": done.retried,
            "claims": done.rounds,
            "outbox_states": done.states,
            "delivered_in_emulator": done.delivered,
            "emulator_429": too_many,
            "emulator_refusals": done.refused,
            "window_seconds": WINDOW_S,
            "window_rates_min": min(windows) if windows else None,
            "window_rates_max": max(windows) if windows else None,
            "bare_unpaced_per_second": done.bare_per_second,
            "bare_messages": done.bare_messages,
            "arranged_seconds": done.arranged_seconds,
        },
    )


BENCHMARKS = (
    Benchmark("reminder_planning_5k", planning),
    Benchmark("reminder_dispatch_3k", dispatch),
)
