"""Telegram misbehaving for minutes on end, and what cebot must still get right (issue #9, item 4).

The real Application talks HTTP to the emulator while the emulator fails a share of every
request (``FaultPlan``: 429, 500, 502, slow answers, dropped connections, replies lost after the
work was done; getUpdates included). Meanwhile:

- several people hold conversations at a person's pace: a stranger registers a base from the
  first question to the confirmation and logs out, a clerk logs out and in again, the boss opens
  the menu and starts declaring a class, the reviewer opens the queue;
- reminders keep arriving in the outbox and are dispatched as ``cebot run`` dispatches them
  (``scheduler.dispatch.dispatch_due`` through ``bot.reminders.TelegramSender``); the
  dispatcher's clock is moved past every back-off so a retried message is due again at once.

Judged at the end:

- no update lost: every action of every person got its answer within ``ANSWER_TIMEOUT``.
  Nobody repeats an action to make up for a missing answer; a missing one is recorded with the
  bot's failed calls for that chat since the action, then the person sends /cancel until the bot
  answers, so the next conversation starts clean;
- no reminder lost: every outbox row ends ``sent`` and its text reached its chat; a text that
  arrived twice is allowed only within the at-least-once window, i.e. no more duplicates than
  replies the emulator lost after sending;
- nothing stuck: with faults off, every person's /cancel and /menu are answered;
- no exception escaped a handler (bot/errors.py's "unhandled error" at ERROR).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.emulator import BotSilent, Emulator, FaultPlan, SimUser
from bot.emulator.limits import FAULT_KINDS
from bot.lifecycle import stop
from bot.reminders import TelegramSender
from domain import validators
from domain.clock import FixedClock
from domain.model import OutboxMessage, OutboxState
from scheduler.dispatch import dispatch_due
from scheduler.pacing import Pacer
from storage.db import make_engine
from tests.conftest import NOW
from tests.e2e.conftest import Stack
from tests.e2e.setup import services_of
from tests.fuzz.driver import ErrorLog
from tests.fuzz.invariants import violations
from tests.fuzz.scene import (
    BOSS,
    BOSS_ID,
    CLERK,
    CLERK_ID,
    PASSWORD,
    REVIEWER,
    REVIEWER_ID,
    Scene,
    build_scene,
    overrides_for,
    settings_for,
)

ANSWER_TIMEOUT = 30.0
"""Long enough for a 429's retry_after and a slow answer or two; a lost answer never comes."""
STRANGERS = (2001, 2002)
REMINDER_TEXT = "截止提醒：{what}将于 {due} 截止。"


@dataclass
class Loss:
    user: int
    action: str
    failures: list[str]

    def __str__(self) -> str:
        cause = "; ".join(self.failures) or "no failed call of the bot for this chat"
        return f"user {self.user}: no answer to {self.action!r} ({cause})"


@dataclass
class Report:
    seconds: float
    actions: int = 0
    losses: list[Loss] = field(default_factory=list)
    reminders: int = 0
    reminders_unsent: list[str] = field(default_factory=list)
    reminders_missing: list[str] = field(default_factory=list)
    duplicates: int = 0
    stuck: list[str] = field(default_factory=list)
    escaped: str = ""
    database: list[str] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    other_errors: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        lost_replies = self.faults.get("fault_lost_reply", 0)
        return not (
            self.losses
            or self.reminders_unsent
            or self.reminders_missing
            or self.duplicates > lost_replies
            or self.stuck
            or self.escaped
            or self.database
        )

    def summary(self) -> str:
        lines = [
            f"soak: {self.seconds:.0f} s, {self.actions} actions, {self.reminders} reminders, "
            f"faults injected: {dict(sorted(self.faults.items()))}",
            f"  answers lost: {len(self.losses)}",
            *(f"    {loss}" for loss in self.losses[:30]),
            f"  reminders not sent: {len(self.reminders_unsent)}, not received: "
            f"{len(self.reminders_missing)}, received twice: {self.duplicates} "
            f"(replies lost after sending: {self.faults.get('fault_lost_reply', 0)})",
            *(f"    {item}" for item in (self.reminders_unsent + self.reminders_missing)[:10]),
            f"  stuck at the end: {self.stuck or 'nobody'}",
            f"  database: {self.database or 'sound'}",
            f"  other ERROR log records: {sum(self.other_errors.values())}",
            *(f"    {n} x {what}" for what, n in self.other_errors.most_common(5)),
        ]
        if self.escaped:
            lines.append(f"  exceptions that escaped a handler:\n{self.escaped}")
        return "\n".join(lines)


def _id_number(serial: int) -> str:
    first17 = f"42010119850101{serial % 1000:03d}"
    return first17 + validators.id_number_check_char(first17)


def _credit_code(serial: int) -> str:
    first17 = f"9142010{serial:010d}"
    return first17 + validators.credit_code_check_char(first17)


class Person:
    """Acts, then waits for the answer; a missing answer is recorded, never retried away."""

    def __init__(self, soak: Soak, user: SimUser) -> None:
        self.soak = soak
        self.user = user

    async def say(self, text: str, expect: str | None = None) -> bool:
        await self.user.send_text(text)
        return await self._answered(text, expect)

    async def press(self, label: str, expect: str | None = None) -> bool:
        for message in reversed(self.user.bot_messages()):
            if message.reply_markup is None:
                continue
            for button in message.reply_markup.buttons:
                if label in button.text and button.callback_data:
                    await self.user.press_data(message.message_id, button.callback_data)
                    return await self._answered(f"[{label}]", expect)
        # The screen lacks the button: the previous answer went missing (already recorded).
        return False

    async def _answered(self, action: str, expect: str | None) -> bool:
        started = time.monotonic()  # the emulator stamps requests with the monotonic clock
        self.soak.report.actions += 1
        try:
            await self.user.wait_for_bot_message(contains=expect, timeout=ANSWER_TIMEOUT)
            return True
        except BotSilent:
            chat = str(self.user.chat_id)
            failures = [
                f"{r.method} {r.status} {r.description}"
                + ("" if "chat_id" in r.params else " (any chat)")
                for r in self.soak.emu.requests
                if not r.ok and r.at >= started and str(r.params.get("chat_id", chat)) == chat
            ]
            self.soak.report.losses.append(Loss(self.user.user_id, action, failures))
            await self.recover()
            return False

    async def recover(self) -> None:
        """/cancel until the bot answers: the loss is recorded, the next script starts clean."""
        while not self.soak.stopping:
            await self.user.send_text("/cancel")
            with contextlib.suppress(BotSilent):
                await self.user.wait_for_bot_message(timeout=ANSWER_TIMEOUT)
                return


class Soak:
    def __init__(self, scene: Scene, workdir: Path, seconds: float, rate: float, seed: int) -> None:
        self.scene = scene
        self.workdir = workdir
        self.seconds = seconds
        self.rate = rate
        self.rng = random.Random(seed)
        self.seed = seed
        self.report = Report(seconds)
        self.stopping = False
        self.serials = itertools.count(1)
        self.dispatch_clock = FixedClock(NOW)
        self.errors = ErrorLog()
        self.emu: Emulator
        self.stack: Stack

    # --- the people ----------------------------------------------------------------------------

    async def stranger(self, uid: int) -> None:
        person = Person(self, self.emu.user(user_id=uid, first_name="新基地"))
        while not self.stopping:
            serial = next(self.serials)
            answers: list[tuple[str, str | None]] = [
                ("/register", None),
                (f"武汉第{serial}职业培训学院", None),
                (_credit_code(serial), None),
            ]
            if not await self._script(person, answers):
                continue
            if not await person.press("武汉市"):
                await person.recover()
                continue
            more = [
                ("武汉市洪山区珞喻路 1 号", None),
                ("李明", None),
                ("027-87654321", None),
                ("王芳", None),
                (_id_number(serial), None),
                ("13812345678", None),
                (PASSWORD, None),
                (PASSWORD, "请核对注册信息"),
            ]
            if not await self._script(person, more):
                continue
            if await person.press("确认注册", "注册成功"):
                await person.say("/logout", "已退出登录")

    async def clerk(self) -> None:
        person = Person(self, self.emu.user(user_id=CLERK, first_name="李专员"))
        script = [
            ("/logout", "已退出登录"),
            ("/login", None),
            (CLERK_ID, None),
            (PASSWORD, "登录成功"),
            ("/menu", "功能列表"),
        ]
        while not self.stopping:
            await self._script(person, script)

    async def boss(self) -> None:
        person = Person(self, self.emu.user(user_id=BOSS, first_name="王芳"))
        while not self.stopping:
            if not await person.say("/menu", "功能列表"):
                continue
            if not await person.press("培训班管理"):
                continue
            if not await person.press("申报培训班", "请输入培训班名称"):
                continue
            if not await person.say("2026年武汉压力测试培训班"):
                continue
            await person.say("/cancel", "已取消")

    async def reviewer(self) -> None:
        person = Person(self, self.emu.user(user_id=REVIEWER, first_name="周审核"))
        while not self.stopping:
            await person.say("/review")
            await person.say("/menu")

    async def _script(self, person: Person, steps: list[tuple[str, str | None]]) -> bool:
        for text, expect in steps:
            if self.stopping:
                return False
            await asyncio.sleep(self.rng.uniform(0.05, 0.4))  # a person's pace
            if not await person.say(text, expect):
                return False
        return True

    # --- reminders -----------------------------------------------------------------------------

    async def reminders(self) -> None:
        svc = services_of(self.stack)
        recipients = []
        async with svc.uow() as uow:
            for id_number in (BOSS_ID, REVIEWER_ID):
                found = await uow.users.get_by_id_number(id_number)
                assert found is not None and found.id is not None
                recipients.append(found.id)
        number = 0
        while not self.stopping:
            async with svc.uow() as uow:
                now = self.dispatch_clock.now()
                batch = []
                for user_id in recipients:
                    number += 1
                    batch.append(reminder(user_id, number, now))
                await uow.outbox.add_many(batch)
            self.report.reminders = number
            await self.dispatch()
            await asyncio.sleep(2.0)

    async def dispatch(self) -> None:
        svc = services_of(self.stack)
        self.dispatch_clock.advance(timedelta(hours=2))  # past any back-off: due again at once
        await dispatch_due(
            svc.uow, self.dispatch_clock, TelegramSender(self.stack.app, svc), Pacer()
        )

    async def drain_outbox(self, limit: float = 120.0) -> None:
        svc = services_of(self.stack)
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            await self.dispatch()
            async with svc.uow(readonly=True) as uow:
                counts = await uow.outbox.counts()
            if not any(n for state, n in counts.items() if state is OutboxState.PENDING):
                return
            await asyncio.sleep(0.5)

    # --- the run -------------------------------------------------------------------------------

    async def run(self) -> Report:
        self.errors.install()
        url = self.scene.copy_to(self.workdir)
        async with Emulator() as emu:
            self.emu = emu
            settings = settings_for(url, self.workdir / "data", self.scene.keyring)
            self.stack = Stack(emu, settings, overrides_for(emu))
            await self.stack.start()
            try:
                await self._soak()
            finally:
                await stop(self.stack.app)
                self.errors.remove()
        engine = make_engine(url)
        try:
            self.report.database = await violations(engine)
        finally:
            await engine.dispose()
        return self.report

    async def _soak(self) -> None:
        self.emu.faults = FaultPlan(rate=self.rate, kinds=FAULT_KINDS, seed=self.seed)
        started = time.monotonic()
        tasks = [
            asyncio.create_task(self.boss()),
            asyncio.create_task(self.clerk()),
            asyncio.create_task(self.reviewer()),
            asyncio.create_task(self.reminders()),
            *(asyncio.create_task(self.stranger(uid)) for uid in STRANGERS),
        ]
        await asyncio.sleep(self.seconds)
        self.stopping = True
        await asyncio.wait(tasks, timeout=2 * ANSWER_TIMEOUT + 10)
        for task in tasks:
            task.cancel()
        for outcome in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(outcome, Exception):  # a harness bug must not pass for a quiet bot
                raise outcome
        await self.drain_outbox()
        self.report.seconds = time.monotonic() - started
        self.report.faults = Counter(
            {k: n for k, n in self.emu.stats.items() if k.startswith("fault_")}
        )
        self.emu.faults = None
        await self._check_reminders()
        await self._check_nobody_stuck()
        self._check_errors()

    async def _check_reminders(self) -> None:
        svc = services_of(self.stack)
        async with svc.uow(readonly=True) as uow:
            counts = await uow.outbox.counts()
        unsent = {state.value: n for state, n in counts.items() if n and state != OutboxState.SENT}
        if unsent:
            self.report.reminders_unsent.append(f"outbox states besides sent: {unsent}")
        received: Counter[str] = Counter()
        for uid in (BOSS, REVIEWER):
            for message in self.emu.user(user_id=uid).bot_messages(include_deleted=True):
                if message.text and "soak-reminder-" in message.text:
                    received[message.text] += 1
        for number in range(1, self.report.reminders + 1):
            tag = f"soak-reminder-{number} "
            count = sum(n for text, n in received.items() if tag in text)
            if count == 0:
                self.report.reminders_missing.append(tag.strip())
            self.report.duplicates += max(count - 1, 0)

    async def _check_nobody_stuck(self) -> None:
        for user in self.emu.users:
            for command in ("/cancel", "/menu"):
                await user.send_text(command)
                try:
                    await user.wait_for_bot_message(timeout=10)
                except BotSilent:
                    self.report.stuck.append(f"user {user.user_id} on {command}")

    def _check_errors(self) -> None:
        escaped = [r for r in self.errors.records if r.name == "cebot.errors"]
        self.report.other_errors = Counter(
            f"{r.name}: {r.getMessage()[:90]}" for r in self.errors.records if r not in escaped
        )
        if escaped:
            log = ErrorLog()
            log.records = escaped
            self.report.escaped = log.describe()


def reminder(user_id: int, number: int, now: Any) -> OutboxMessage:
    return OutboxMessage(
        user_id=user_id,
        subject=f"soak:{number}",
        occasion="soak",
        kind="reminder:annual_plan",
        text_key=REMINDER_TEXT,
        params={"what": f"soak-reminder-{number} ", "due": "2026-12-31 17:00"},
        button_key="立即处理",
        link="module:plan",
        not_before=now,
        created_at=now,
    )


async def soak(workdir: Path, seconds: float, *, rate: float = 0.1, seed: int = 9) -> Report:
    scene = await build_scene(workdir / "scene")
    return await Soak(scene, workdir / "run", seconds, rate, seed).run()
