"""Every ``cebot run`` announces itself in ``bot_processes``: the keys it holds, and that it lives.

The lease (``bot/lease.py``) shows only the *active* process, and only to a command that tries to
take it. Operator commands need more: ``cebot keys rotate`` must know that every running process,
standbys included, can read what it is about to write; ``cebot restore`` and ``cebot keys
reindex`` must know that no process at all is running. So each process writes a row at start,
refreshes ``seen_at`` every few seconds, and deletes the row at a clean stop.

A process killed with SIGKILL (or cut off from the database) leaves its row behind: a row not
refreshed for :data:`MISSED_HEARTBEATS` of its own heartbeats counts as dead and is ignored, and
rows dead for a day are deleted when a process registers. Every time is the database's (``now()``
on PostgreSQL; SQLite is one machine, whose clock the processes share), so hosts whose clocks
disagree do not take each other for dead.

What a row says about keys: their ids and a fingerprint of each key, never key material. The
fingerprint is a truncated SHA-256 of a label and the 256-bit key, so it tells nothing about the
key, yet tells apart two hosts that each made their own ``k2``.
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import RowMapping, Table, delete, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.crypto import Keyring
from storage.db import dialect_insert, write_engine
from storage.models import BotProcessRow, Model
from storage.writers import writing

HEARTBEAT_SECONDS: Final = 5.0
"""How often a running process refreshes its row (``cebot run`` may be given another interval)."""
MISSED_HEARTBEATS: Final = 3
"""A row not refreshed for this many of its heartbeats belongs to a dead process."""
FORGET_AFTER: Final = timedelta(days=1)
"""Rows dead this long are deleted when a process registers (kept until then for the curious)."""

ACTIVE: Final = "active"
STANDBY: Final = "standby"

_FINGERPRINT_LABEL: Final = b"cebot key fingerprint\x00"
_FINGERPRINT_HEX: Final = 16
_TABLE: Final[Table] = Model.metadata.tables[BotProcessRow.__tablename__]


def fingerprint(key: bytes) -> str:
    """64 bits of SHA-256 over a label and the key: tells keys apart, reveals nothing of them."""
    return hashlib.sha256(_FINGERPRINT_LABEL + key).hexdigest()[:_FINGERPRINT_HEX]


@dataclass(frozen=True)
class HeldKeys:
    """What a keyring holds, without its material: ids, fingerprints, which key encrypts."""

    active_key_id: str
    keys: Mapping[str, str]
    """Encryption key id -> fingerprint."""
    index: str
    """The blind-index key's fingerprint (it has no id)."""

    @classmethod
    def of(cls, keyring: Keyring) -> HeldKeys:
        return cls(
            active_key_id=keyring.active_key_id,
            keys={k: fingerprint(v) for k, v in sorted(keyring.encryption_keys.items())},
            index=fingerprint(keyring.index_key),
        )


def new_process_id() -> str:
    """``host:pid:random``: readable for the operator, unique even when a pid is reused (the
    host name cut to fit the column)."""
    return f"{socket.gethostname()[:160]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class ProcessRecord:
    process_id: str
    role: str
    keys: HeldKeys
    heartbeat: timedelta
    started_at: datetime
    seen_at: datetime

    def silent_for(self, now: datetime) -> timedelta:
        return now - self.seen_at

    def alive_at(self, now: datetime) -> bool:
        return self.silent_for(now) <= self.heartbeat * MISSED_HEARTBEATS


@dataclass(frozen=True)
class Census:
    """The rows of ``bot_processes`` at the database's ``now``, the live ones and the dead."""

    now: datetime
    live: list[ProcessRecord]
    dead: list[ProcessRecord]


async def _now(conn: AsyncConnection) -> datetime:
    """The database's time on PostgreSQL (one clock for every host), the machine's on SQLite."""
    if conn.dialect.name == "postgresql":
        value = (await conn.execute(select(func.now()))).scalar_one()
        assert isinstance(value, datetime)
        return value.astimezone(UTC)
    return datetime.now(UTC)


async def announce(
    engine: AsyncEngine,
    process_id: str,
    role: str,
    keys: HeldKeys,
    *,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
    forget_dead: bool = False,
) -> None:
    """Writes this process's row, or refreshes it: role, keys and ``seen_at`` now.

    One statement in one short write transaction (on SQLite behind this process's other writers,
    in ``storage.writers``' queue): an upsert of one row by its key, so a row deleted as dead
    while its process was paused comes back. ``forget_dead`` (at registration) also deletes rows
    dead for :data:`FORGET_AFTER`.
    """
    if role not in (ACTIVE, STANDBY):
        raise ValueError(f"unknown role {role!r}")
    values: dict[str, Any] = {
        "role": role,
        "active_key_id": keys.active_key_id,
        "key_fingerprints": dict(keys.keys),
        "index_fingerprint": keys.index,
        "heartbeat_ms": max(1, round(heartbeat_seconds * 1000)),
    }
    async with writing(engine), write_engine(engine).begin() as conn:
        postgresql = conn.dialect.name == "postgresql"
        # PostgreSQL's clock for every host; SQLite's processes share one machine's clock.
        now: Any = func.now() if postgresql else datetime.now(UTC)
        if forget_dead:
            await conn.execute(delete(_TABLE).where(_TABLE.c.seen_at < now - FORGET_AFTER))
        statement = dialect_insert(conn.dialect, _TABLE).values(
            process_id=process_id, **values, started_at=now, seen_at=now
        )
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=[_TABLE.c.process_id], set_={**values, "seen_at": now}
            )
        )


async def withdraw(engine: AsyncEngine, process_id: str) -> None:
    """Deletes this process's row: it is stopping cleanly."""
    async with writing(engine), write_engine(engine).begin() as conn:
        await conn.execute(delete(_TABLE).where(_TABLE.c.process_id == process_id))


async def census(engine: AsyncEngine) -> Census | None:
    """Every announced process, live or dead; None if the database has no ``bot_processes`` yet
    (not migrated to 0008: processes of an older cebot may run unannounced)."""
    async with engine.connect() as conn:
        present = await conn.run_sync(lambda sync: inspect(sync).has_table(_TABLE.name))
        if not present:
            return None
        now = await _now(conn)
        rows = (await conn.execute(select(_TABLE).order_by(_TABLE.c.started_at))).mappings()
        records = [_record(row) for row in rows]
    return Census(
        now=now,
        live=[r for r in records if r.alive_at(now)],
        dead=[r for r in records if not r.alive_at(now)],
    )


def _record(row: RowMapping) -> ProcessRecord:
    return ProcessRecord(
        process_id=row["process_id"],
        role=row["role"],
        keys=HeldKeys(
            row["active_key_id"], dict(row["key_fingerprints"]), row["index_fingerprint"]
        ),
        heartbeat=timedelta(milliseconds=row["heartbeat_ms"]),
        started_at=row["started_at"],
        seen_at=row["seen_at"],
    )


def unfit_for_rotation(
    processes: Sequence[ProcessRecord], keys: HeldKeys
) -> list[tuple[ProcessRecord, str]]:
    """The processes that would be hurt by re-encrypting under ``keys``' active key, and why.

    A process must hold that key (the same key, not another under the same id) to read what the
    rotation writes, and must encrypt under it too, or it keeps writing what the rotation just
    moved away from the old key.
    """
    active = keys.active_key_id
    wanted = keys.keys[active]
    unfit: list[tuple[ProcessRecord, str]] = []
    for process in processes:
        held = process.keys.keys.get(active)
        if held is None:
            unfit.append((process, f"does not hold {active}"))
        elif held != wanted:
            unfit.append((process, f"holds another key named {active} (fingerprints differ)"))
        elif process.keys.active_key_id != active:
            unfit.append((process, f"encrypts new data under {process.keys.active_key_id}"))
    return unfit
