"""aiosqlite with one trip to its thread per statement instead of four.

aiosqlite runs every sqlite3 call in a thread of its own and hands each result back to the event
loop: a trip of about 60 µs (a queue, a thread wake-up, a wake-up of the loop). SQLAlchemy's
aiosqlite adapter makes four per statement (create a cursor, execute, fetch all rows, close the
cursor), so a screen's five statements cost twenty trips, more than the SQL. The cursor here does
all four in the thread at once and keeps what SQLAlchemy reads afterwards (the rows, the
description, the row count, the last row id); SQLAlchemy fetches every row right after executing
anyway, except for a server-side cursor, which gets them from memory here (nothing in cebot
streams from SQLite).

Only the cursor and the trips of BEGIN, COMMIT and ROLLBACK change (see ``OneTripConnection``);
everything else (closing, the thread) is aiosqlite's own. It plugs in through the aiosqlite
dialect's ``async_creator_fn`` connect argument (``storage.db``).

aiosqlite has no public way to run a function of ours in its thread, so this leans on two private
members, ``Connection._execute`` and ``Connection._thread``; ``pyproject.toml`` pins the minor
release they were tested with, and ``tests/storage/test_sqlite_driver.py`` checks what each must
still do (docs/decisions.md, "The SQLite driver and aiosqlite's private members").
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

Row = tuple[Any, ...]
Description = tuple[tuple[Any, ...], ...] | None
Statement = tuple[Description, int, int | None, list[Row]]


def _execute(
    connection: sqlite3.Connection, begin: str | None, sql: str, parameters: Any, many: bool
) -> Statement:
    """In aiosqlite's thread: the transaction's BEGIN if it is still to come, then the whole
    statement, rows and all."""
    cursor = connection.cursor()
    try:
        if begin is not None:
            cursor.execute(begin)
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor:
    """What SQLAlchemy's adapter uses of an aiosqlite cursor, with the results already in hand."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self.description: Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: deque[Row] = deque()

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = None) -> OneTripCursor:
        return await self._run(sql, () if parameters is None else parameters, many=False)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        return await self._run(sql, parameters, many=True)

    async def _run(self, sql: str, parameters: Any, *, many: bool) -> OneTripCursor:
        self._rows.clear()
        if self._connection.holds_back(sql, parameters):
            self.description, self.rowcount, self.lastrowid = None, -1, None
            return self
        found = await self._connection.run(_execute, sql, parameters, many)
        self.description, self.rowcount, self.lastrowid, rows = found
        self._rows = deque(rows)
        return self

    async def fetchone(self) -> Row | None:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Row]:
        count = self.arraysize if size is None else size
        return [self._rows.popleft() for _ in range(min(count, len(self._rows)))]

    async def fetchall(self) -> list[Row]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *_sizes: Sequence[Any]) -> None:
        return None


class OneTripConnection(aiosqlite.Connection):
    """A BEGIN travels with the transaction's first statement, and COMMIT or ROLLBACK make a trip
    only when there is a transaction to end: a unit of work of two reads makes three trips, not
    six.

    Nothing can happen on a connection between its BEGIN and its first statement, so running
    them together changes no outcome; a BEGIN IMMEDIATE that finds the database locked fails
    with the first statement instead, with the same error.
    """

    _begin: str | None = None

    def __init__(self, database: str | Path, iter_chunk_size: int, **kwargs: Any) -> None:
        self._sqlite: sqlite3.Connection | None = None

        def connector() -> sqlite3.Connection:
            """Run once, in aiosqlite's thread; keeps the connection for ``run`` (aiosqlite
            keeps it only behind a private name)."""
            self._sqlite = sqlite3.connect(str(database), **kwargs)
            return self._sqlite

        super().__init__(connector, iter_chunk_size)
        self._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)

    def holds_back(self, sql: str, parameters: Any) -> bool:
        """Keeps a BEGIN for the next statement's trip."""
        if parameters or sql.lstrip()[:5].upper() != "BEGIN" or self._begin is not None:
            return False
        self.hold_back(sql)
        return True

    def hold_back(self, begin: str) -> None:
        """``begin`` goes with the next statement (``storage.db`` calls this directly: SQLAlchemy's
        way of executing even a BEGIN costs more than the rest of a short unit of work)."""
        self._begin = begin

    async def run(
        self, statement: Callable[..., Statement], sql: str, parameters: Any, many: bool
    ) -> Statement:
        """``statement(sqlite3_connection, begin, ...)`` in aiosqlite's thread (in its order)."""
        begin, self._begin = self._begin, None
        run_in_thread: Callable[..., Awaitable[Statement]] = self._execute  # untyped upstream
        return await run_in_thread(statement, self._sqlite, begin, sql, parameters, many)

    def _no_transaction(self) -> bool:
        """Whether a COMMIT or ROLLBACK now would change nothing: its BEGIN never ran, or SQLite
        is not in a transaction (read without a trip; nothing else uses the connection while
        SQLAlchemy ends its transaction). The pool's reset after a rollback is such a case."""
        if self._begin is not None:
            self._begin = None
            return True
        return not self.in_transaction

    async def commit(self) -> None:
        if not self._no_transaction():
            await super().commit()

    async def rollback(self) -> None:
        if not self._no_transaction():
            await super().rollback()


def connect(database: str | Path, *, iter_chunk_size: int = 64, **kwargs: Any) -> OneTripConnection:
    """``aiosqlite.connect`` with the one-trip cursor; the same arguments."""
    return OneTripConnection(database, iter_chunk_size, **kwargs)
