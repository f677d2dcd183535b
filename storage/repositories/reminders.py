"""Deadlines, mutes and the outbox: the storage side of reminders (``domain.ports``).

Everything here goes through Core statements on the tables, not ORM rows: the outbox is written
and claimed in bulk and by several processes, and an identity map would only hand back rows as
they were when first seen. Insert-or-ignore and upserts use each dialect's own INSERT (``ON
CONFLICT``), which PostgreSQL and SQLite spell alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import NotFound
from domain.model import Deadline, DeadlineKind, OutboxMessage, OutboxState
from storage.db import dialect_insert
from storage.models import BlockedChatRow, DeadlineRow, Model, OutboxRow, ReminderMuteRow
from storage.repositories._common import guarded_write

BATCH = 500
"""Messages per INSERT. One compiled statement serves every batch (executemany, which SQLAlchemy's
"insertmanyvalues" sends as one multi-row INSERT … RETURNING): compiling a fresh multi-row VALUES
for each batch cost ten times more than the writing itself."""

OUTBOX_KEY = ("user_id", "subject", "occasion")

DEADLINES: Table = Model.metadata.tables[DeadlineRow.__tablename__]
MUTES: Table = Model.metadata.tables[ReminderMuteRow.__tablename__]
OUTBOX: Table = Model.metadata.tables[OutboxRow.__tablename__]
BLOCKED: Table = Model.metadata.tables[BlockedChatRow.__tablename__]


def is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


def _kind(value: str) -> DeadlineKind | None:
    """A stored kind; one no longer known (retired) reads as None and is passed over."""
    try:
        return DeadlineKind(value)
    except ValueError:
        return None


class SqlDeadlineRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def set(self, deadline: Deadline) -> Deadline:
        """One upsert on ``(year, kind)``: two operators setting the same deadline never clash."""
        values = {
            "year": deadline.year,
            "kind": deadline.kind.value,
            "due_at": deadline.due_at,
            "days_after_end": deadline.days_after_end,
        }
        insert = dialect_insert(self._session.get_bind().dialect, DEADLINES).values(values)
        statement = insert.on_conflict_do_update(
            index_elements=["year", "kind"],
            set_={
                "due_at": insert.excluded.due_at,
                "days_after_end": insert.excluded.days_after_end,
            },
        ).returning(DEADLINES.c.id, DEADLINES.c.due_at)
        async with guarded_write(self._session):
            deadline_id, due_at = (await self._session.execute(statement)).one()
        return Deadline(
            id=deadline_id,
            year=deadline.year,
            kind=deadline.kind,
            due_at=due_at,
            days_after_end=deadline.days_after_end,
        )

    async def list(self, *, year: int | None = None) -> list[Deadline]:
        """By year, then kind."""
        statement = select(DEADLINES).order_by(DEADLINES.c.year, DEADLINES.c.kind)
        if year is not None:
            statement = statement.where(DEADLINES.c.year == year)
        found = []
        for row in await self._session.execute(statement):
            kind = _kind(row.kind)
            if kind is not None:
                found.append(
                    Deadline(
                        id=row.id,
                        year=row.year,
                        kind=kind,
                        due_at=row.due_at,
                        days_after_end=row.days_after_end,
                    )
                )
        return found


class SqlMuteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def mute(self, user_id: int, kind: DeadlineKind) -> None:
        """Muting what is muted already changes nothing (and raises nothing)."""
        statement = (
            dialect_insert(self._session.get_bind().dialect, MUTES)
            .values(user_id=user_id, kind=kind.value)
            .on_conflict_do_nothing(index_elements=["user_id", "kind"])
        )
        async with guarded_write(self._session):
            await self._session.execute(statement)

    async def unmute(self, user_id: int, kind: DeadlineKind) -> None:
        async with guarded_write(self._session):
            await self._session.execute(
                delete(MUTES).where(MUTES.c.user_id == user_id, MUTES.c.kind == kind.value)
            )

    async def for_user(self, user_id: int) -> set[DeadlineKind]:
        kinds = await self._session.scalars(select(MUTES.c.kind).where(MUTES.c.user_id == user_id))
        return {kind for kind in map(_kind, kinds) if kind is not None}

    async def all(self) -> set[tuple[int, DeadlineKind]]:
        found = set()
        for user_id, value in await self._session.execute(select(MUTES.c.user_id, MUTES.c.kind)):
            kind = _kind(value)
            if kind is not None:
                found.add((user_id, kind))
        return found


class SqlBlockedChatRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def block(self, telegram_user_id: int, at: datetime, reason: str) -> None:
        """Blocking again keeps the first moment: the chat has been unreachable since then."""
        statement = (
            dialect_insert(self._session.get_bind().dialect, BLOCKED)
            .values(telegram_user_id=telegram_user_id, blocked_at=at, reason=reason[:500])
            .on_conflict_do_nothing(index_elements=["telegram_user_id"])
        )
        async with guarded_write(self._session):
            await self._session.execute(statement)

    async def unblock(self, telegram_user_id: int) -> bool:
        async with guarded_write(self._session):
            result = await self._session.execute(
                delete(BLOCKED).where(BLOCKED.c.telegram_user_id == telegram_user_id)
            )
        return _rowcount(result) > 0

    async def blocked_among(self, telegram_user_ids: Sequence[int]) -> set[int]:
        if not telegram_user_ids:
            return set()
        found = await self._session.scalars(
            select(BLOCKED.c.telegram_user_id).where(
                BLOCKED.c.telegram_user_id.in_(sorted(set(telegram_user_ids)))
            )
        )
        return set(found)


class SqlOutboxRepository:
    """Claims are leases: ``claimed_until`` keeps a row from other dispatchers after the claiming
    transaction commits, and a dispatcher that dies lets its rows go when the lease runs out."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_many(self, messages: Sequence[OutboxMessage]) -> int:
        """Insert-or-ignore on ``(user_id, subject, occasion)``, in batches; RETURNING yields only
        the rows inserted, so the count is exact on both databases."""
        rows = list(_unique(_values(message) for message in messages))
        if not rows:
            return 0
        statement = (
            dialect_insert(self._session.get_bind().dialect, OUTBOX)
            .on_conflict_do_nothing(index_elements=list(OUTBOX_KEY))
            .returning(OUTBOX.c.id)
        )
        added = 0
        async with guarded_write(self._session):
            for start in range(0, len(rows), BATCH):
                batch = rows[start : start + BATCH]
                added += len((await self._session.execute(statement, batch)).all())
        return added

    async def claim(self, now: datetime, *, limit: int, lease: timedelta) -> list[OutboxMessage]:
        """Oldest due first. PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so a concurrent claimer
        passes over these rows instead of waiting for them; SQLite: a writing unit of work holds
        the database's write lock from BEGIN IMMEDIATE, so claimers take turns anyway."""
        if limit <= 0:
            return []
        statement = (
            select(OUTBOX)
            .where(
                OUTBOX.c.state == OutboxState.PENDING.value,
                OUTBOX.c.not_before <= now,
                or_(OUTBOX.c.claimed_until.is_(None), OUTBOX.c.claimed_until < now),
            )
            .order_by(OUTBOX.c.not_before, OUTBOX.c.id)
            .limit(limit)
        )
        if is_postgresql(self._session):
            statement = statement.with_for_update(skip_locked=True)
        rows = (await self._session.execute(statement)).all()
        if not rows:
            return []
        await self._session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_([row.id for row in rows]))
            .values(claimed_until=now + lease)
        )
        return [_message(row) for row in rows]

    async def release(self, message_ids: Sequence[int]) -> None:
        """Claimed rows handed back unsent, for any dispatcher to claim at once."""
        if message_ids:
            async with guarded_write(self._session):
                await self._session.execute(
                    update(OUTBOX)
                    .where(OUTBOX.c.id.in_(list(message_ids)))
                    .values(claimed_until=None)
                )

    async def mark_sent(self, message_id: int, at: datetime) -> None:
        await self._change(message_id, state=OutboxState.SENT.value, sent_at=at, claimed_until=None)

    async def mark_failed(self, message_id: int, error: str) -> None:
        await self._change(
            message_id, state=OutboxState.FAILED.value, last_error=error, claimed_until=None
        )

    async def retry_later(self, message_id: int, at: datetime, error: str) -> None:
        await self._change(
            message_id,
            state=OutboxState.PENDING.value,
            not_before=at,
            attempts=OUTBOX.c.attempts + 1,
            last_error=error,
            claimed_until=None,
        )

    async def counts(self) -> dict[OutboxState, int]:
        """Every state, zero included."""
        found = dict.fromkeys(OutboxState, 0)
        statement = select(OUTBOX.c.state, func.count()).group_by(OUTBOX.c.state)
        for state, count in await self._session.execute(statement):
            if state in found:
                found[OutboxState(state)] = count
        return found

    async def _change(self, message_id: int, **values: Any) -> None:
        async with guarded_write(self._session):
            result = await self._session.execute(
                update(OUTBOX).where(OUTBOX.c.id == message_id).values(**values)
            )
        if _rowcount(result) == 0:
            raise NotFound()


def _values(message: OutboxMessage) -> dict[str, Any]:
    return {
        "user_id": message.user_id,
        "subject": message.subject,
        "occasion": message.occasion,
        "kind": message.kind,
        "text_key": message.text_key,
        "params": dict(message.params),
        "button_key": message.button_key,
        "link": message.link,
        "state": message.state.value,
        "attempts": message.attempts,
        "not_before": message.not_before,
        "claimed_until": None,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
        "last_error": message.last_error,
    }


def _unique(rows: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    """The first of each key: the database would keep the first too, but a batch never asks it."""
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        key = tuple(row[name] for name in OUTBOX_KEY)
        if key not in seen:
            seen.add(key)
            yield row


def _message(row: Any) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        user_id=row.user_id,
        subject=row.subject,
        occasion=row.occasion,
        kind=row.kind,
        text_key=row.text_key,
        params={str(key): str(value) for key, value in (row.params or {}).items()},
        button_key=row.button_key,
        link=row.link,
        state=OutboxState(row.state),
        attempts=row.attempts,
        not_before=row.not_before,
        created_at=row.created_at,
        sent_at=row.sent_at,
        last_error=row.last_error,
    )
