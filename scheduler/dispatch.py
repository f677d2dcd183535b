"""Sending what the outbox holds: claim, send at Telegram's pace, mark, one message at a time.

Telegram has no idempotency key, so a crash between a send and its mark sends that one message
again after the lease runs out: delivery is at-least-once, and the window is one message wide
(each mark is committed right after its send, never in a batch). A 429 holds the chat (or
everyone) for ``retry_after`` and puts the message back; a network error or a 5xx backs off
exponentially; a 403 (the user blocked the bot) fails the message for good and records the chat as
blocked, and later reminders to a blocked chat are failed without trying Telegram again, until
the person unblocks the bot (Telegram's ``my_chat_member`` update) or logs in again. Decisions of
reviewers are still tried: they are rare, and say something the base must learn.

The sender is a port: ``bot/`` adapts python-telegram-bot to it and maps Telegram's errors to the
exceptions below, so nothing here knows Telegram.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from domain.clock import Clock
from domain.model import OutboxMessage
from domain.ports import UnitOfWork
from scheduler.pacing import Pacer

log = logging.getLogger("cebot.dispatch")

LEASE = timedelta(minutes=2)
"""How long a claim keeps rows from other dispatchers; a dispatcher that dies holds its rows
this long at most, then the standby (or the restarted process) sends them."""
LEASE_MARGIN = timedelta(seconds=15)
"""A dispatcher stops sending its batch this long before its claim runs out and hands the rest
back: past the lease another dispatcher may have claimed them."""
MAX_ATTEMPTS = 8
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
REMINDER_PREFIX = "reminder:"
BLOCKED_CHAT = "chat blocked the bot: not tried"


class Blocked(Exception):
    """The recipient blocked the bot or the chat is gone: no reminder gets through any more."""


class Undeliverable(Exception):
    """Telegram refuses this one message for good (a 400): the next one may go through."""


class RetryAfter(Exception):
    def __init__(self, seconds: float, *, everyone: bool = False) -> None:
        super().__init__(seconds)
        self.seconds = seconds
        self.everyone = everyone


class Transient(Exception):
    """A network error or a 5xx: worth another try later."""


class Sender(Protocol):
    async def send(self, chat_id: int, message: OutboxMessage) -> None: ...


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    released: int = 0
    """Claimed but handed back unsent: the claim was running out."""
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        """Messages claimed, whatever became of them."""
        return self.sent + self.failed + self.retried + self.released

    def add(self, other: DispatchReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.retried += other.retried
        self.released += other.released
        self.errors.extend(other.errors)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … at most an hour: a Telegram outage is ridden out, not hammered."""
    factor: int = 2 ** min(max(attempts, 0), 20)
    return min(BACKOFF_FIRST * factor, BACKOFF_MAX)


async def dispatch_once(
    units: Callable[[], UnitOfWork],
    clock: Clock,
    sender: Sender,
    pacer: Pacer,
    *,
    limit: int = 100,
    lease: timedelta = LEASE,
) -> DispatchReport:
    """Claims up to ``limit`` due messages and sends each; returns what happened.

    Messages to one chat are spaced by the pacer, so a batch may outlast its claim: what is not
    sent by ``lease - LEASE_MARGIN`` is released, unsent, for the next claim.
    """
    report = DispatchReport()
    claimed_at = clock.now()
    async with units() as uow:
        claimed = await uow.outbox.claim(claimed_at, limit=limit, lease=lease)
        chats = await uow.sessions.latest_telegram_user_ids(sorted({m.user_id for m in claimed}))
        blocked = await uow.blocked_chats.blocked_among(list(chats.values()))
    send_until = claimed_at + max(lease - LEASE_MARGIN, lease / 2)
    for index, message in enumerate(claimed):
        if clock.now() >= send_until:
            async with units() as uow:
                await uow.outbox.release([m.id or 0 for m in claimed[index:]])
            report.released = len(claimed) - index
            break
        chat_id = chats.get(message.user_id)
        if chat_id in blocked and is_reminder(message):
            await _failed(units, message.id or 0, BLOCKED_CHAT)
            report.failed += 1
            continue
        await _send_one(units, clock, sender, pacer, message, chat_id, report)
    return report


def is_reminder(message: OutboxMessage) -> bool:
    return message.kind.startswith(REMINDER_PREFIX)


async def dispatch_due(
    units: Callable[[], UnitOfWork],
    clock: Clock,
    sender: Sender,
    pacer: Pacer,
    *,
    batch: int = 100,
    lease: timedelta = LEASE,
) -> DispatchReport:
    """Batch after batch until nothing more is due: the pacer, not a timer's tick, sets the
    rate. One batch per tick of a 5-second job would cap sending at 20 a second, under
    Telegram's 30. Rows put back for later (429, back-off) are not due again at once, so this
    ends when a batch comes back short."""
    total = DispatchReport()
    while True:
        report = await dispatch_once(units, clock, sender, pacer, limit=batch, lease=lease)
        total.add(report)
        if report.handled < batch:
            return total


async def _send_one(
    units: Callable[[], UnitOfWork],
    clock: Clock,
    sender: Sender,
    pacer: Pacer,
    message: OutboxMessage,
    chat_id: int | None,
    report: DispatchReport,
) -> None:
    message_id = message.id or 0
    if chat_id is None:  # never logged in since: nowhere to write
        await _failed(units, message_id, "no chat")
        report.failed += 1
        return
    await pacer.turn(chat_id)
    try:
        await sender.send(chat_id, message)
    except Blocked as blocked:
        reason = str(blocked) or "blocked"
        async with units() as uow:
            await uow.outbox.mark_failed(message_id, reason[:500])
            await uow.blocked_chats.block(chat_id, clock.now(), reason)
        report.failed += 1
    except Undeliverable as refused:
        await _failed(units, message_id, str(refused) or "refused")
        report.failed += 1
    except RetryAfter as wait:
        if wait.everyone:
            pacer.hold_all(wait.seconds)
        else:
            pacer.hold(chat_id, wait.seconds)
        await _later(units, message_id, clock.now() + timedelta(seconds=wait.seconds), "429")
        report.retried += 1
    except Transient as failure:
        report.errors.append(str(failure))
        if message.attempts + 1 >= MAX_ATTEMPTS:
            await _failed(units, message_id, str(failure))
            report.failed += 1
        else:
            await _later(units, message_id, clock.now() + backoff(message.attempts), str(failure))
            report.retried += 1
    else:
        async with units() as uow:
            await uow.outbox.mark_sent(message_id, clock.now())
        report.sent += 1


async def _failed(units: Callable[[], UnitOfWork], message_id: int, error: str) -> None:
    async with units() as uow:
        await uow.outbox.mark_failed(message_id, error[:500])


async def _later(
    units: Callable[[], UnitOfWork], message_id: int, at: datetime, error: str
) -> None:
    async with units() as uow:
        await uow.outbox.retry_later(message_id, at, error[:500])
