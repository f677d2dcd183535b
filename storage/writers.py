"""On SQLite, this process's writers take turns in a queue before they meet SQLite's lock.

SQLite lets one writer at a time; the others wait in its busy handler, which polls with growing
sleeps: unfair and slow under load (with 100 admins active at once the slowest answers took 15 s,
with one writing connection 0.2 s; tests/bench/updates.py). A writing unit of work and a
persistence write therefore first take their turn here, first come first served; SQLite's own
lock then only ever meets writers of other processes (a standby does not write).

A task that already holds its turn (a nested unit of work) goes on without queueing: it would
otherwise wait for itself. Waiting is bounded like SQLite's busy timeout.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import Pool

from storage.db import SQLITE_BUSY_TIMEOUT_MS, is_sqlite


class WriterQueue:
    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            yield
            return
        async with asyncio.timeout(SQLITE_BUSY_TIMEOUT_MS / 1000):
            await self._lock.acquire()
        self._owner = task
        try:
            yield
        finally:
            self._owner = None
            self._lock.release()


_QUEUES: weakref.WeakKeyDictionary[
    Pool, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, WriterQueue]
] = weakref.WeakKeyDictionary()


def writer_queue(engine: AsyncEngine) -> WriterQueue | None:
    """The queue of ``engine``'s database (copies of an engine share it); None off SQLite."""
    if not is_sqlite(engine):
        return None
    per_loop = _QUEUES.setdefault(engine.sync_engine.pool, weakref.WeakKeyDictionary())
    loop = asyncio.get_running_loop()
    queue = per_loop.get(loop)
    if queue is None:
        queue = per_loop[loop] = WriterQueue()
    return queue


@asynccontextmanager
async def writing(engine: AsyncEngine) -> AsyncIterator[None]:
    """``async with writing(engine):`` around a write transaction; nothing to do off SQLite."""
    queue = writer_queue(engine)
    if queue is None:
        yield
        return
    async with queue.turn():
        yield
