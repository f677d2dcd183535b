"""One active ``cebot run`` at a time: the others stand by until the active one dies.

python-telegram-bot keeps conversation state in memory and loads it from the database once, at
start-up; two processes handling updates at once would each keep their own, diverging copy. So
exactly one process is active: it holds a lease, and a standby takes the lease (and only then
loads the conversations) when the active process is gone.

- PostgreSQL: a session-level advisory lock on a connection of its own. PostgreSQL drops it the
  moment that connection ends, so a process killed with SIGKILL frees it at once; a standby
  retries every ``poll`` seconds. The active process checks its connection every few seconds and
  stops if it was lost (its lock is gone, and a standby may already be active).
- SQLite (one machine): an exclusive ``flock`` on a file beside the database, which the kernel
  releases when the process dies.

The composition root (``bot.bootstrap.lease_for``) picks the one that fits the database.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger("cebot.lease")

POLL_SECONDS = 2.0
"""How often a standby asks for the lease: take-over within a few seconds of a death."""
CHECK_SECONDS = 3.0
"""How often the active process checks that it still holds the lease."""


class Lease(Protocol):
    async def try_acquire(self) -> bool: ...
    async def still_held(self) -> bool: ...
    async def release(self) -> None: ...


async def acquire(
    lease: Lease, *, poll: float = POLL_SECONDS, on_standby: Callable[[], None] | None = None
) -> None:
    """Waits until ``lease`` is ours; ``on_standby`` is called once if we have to wait."""
    waited = False
    while not await lease.try_acquire():
        if not waited and on_standby is not None:
            on_standby()
        waited = True
        await asyncio.sleep(poll)


def lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key from a name (the schema, so tests do not collide)."""
    return int.from_bytes(hashlib.sha256(f"cebot:{name}".encode()).digest()[:8], "big", signed=True)


class AdvisoryLease:
    """PostgreSQL's advisory lock ``lock_key(name)``, held on a connection of ``engine``."""

    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self._engine = engine
        self._key = lock_key(name)
        self._connection: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        if self._connection is None:
            connection = await self._engine.connect()
            self._connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        try:
            result = await self._connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
            )
            return bool(result.scalar())
        except Exception:
            await self._drop()
            raise

    async def still_held(self) -> bool:
        """The lock lives as long as its connection: a connection that still answers holds it."""
        if self._connection is None:
            return False
        try:
            await asyncio.wait_for(self._connection.execute(text("SELECT 1")), CHECK_SECONDS)
        except Exception:  # any failure means the session, and so the lock, may be gone
            log.exception("the lease's connection failed")
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        if self._connection is not None:
            try:
                await self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": self._key}
                )
            finally:
                await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:  # the connection is already broken: nothing left to close
                log.debug("closing a broken lease connection", exc_info=True)


class FileLease:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    async def try_acquire(self) -> bool:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    async def still_held(self) -> bool:
        return self._fd is not None

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
