"""The one-trip aiosqlite cursor (``storage.sqlite_driver``) answers as aiosqlite's own does.

It is also the contract with aiosqlite's private members that the driver uses (``_execute`` and
``_thread``; ``pyproject.toml`` pins the minor release): an aiosqlite that changes what either does
fails here before it can change a trip in production.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from storage.crypto import FieldCipher
from storage.db import SQLITE_BEGIN, make_engine, write_engine
from storage.sqlite_driver import OneTripConnection, connect
from storage.uow import UnitOfWorkFactory


async def test_rows_counts_ids_streams_and_errors(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
    try:
        async with engine.begin() as conn:
            raw = await conn.get_raw_connection()
            assert isinstance(raw.driver_connection, OneTripConnection)
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
            inserted = await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
            assert inserted.lastrowid == 1
            many = await conn.execute(
                text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}]
            )
            assert many.rowcount == 2
            changed = await conn.execute(text("UPDATE t SET v = v || '!' WHERE id > 1"))
            assert changed.rowcount == 2
        async with engine.connect() as conn:
            streamed = await conn.stream(text("SELECT id, v FROM t ORDER BY id"))
            chunks = [list(chunk) async for chunk in streamed.partitions(2)]
            assert [[tuple(r) for r in c] for c in chunks] == [[(1, "a"), (2, "b!")], [(3, "c!")]]
            with pytest.raises(IntegrityError):
                await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
            await conn.rollback()
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 3
    finally:
        await engine.dispose()


async def test_a_held_back_begin_immediate_still_locks_before_the_first_statement(
    tmp_path: Path,
) -> None:
    """The BEGIN travels with the first statement: a second writer is refused as before, and a
    transaction in which nothing ran ends without touching the database."""
    path = tmp_path / "d.db"
    first = write_engine(make_engine(f"sqlite+aiosqlite:///{path}"))
    second = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with first.begin() as conn:
            await conn.execute(text("CREATE TABLE t (v TEXT)"))
        async with first.connect() as holder, second.connect() as other:
            await holder.begin()
            await holder.execute(text("SELECT count(*) FROM t"))  # BEGIN IMMEDIATE ran with it
            await other.exec_driver_sql("PRAGMA busy_timeout=50")
            await other.commit()
            await other.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            await other.begin()  # held back: nothing locked, no error yet
            with pytest.raises(OperationalError, match="locked"):
                await other.execute(text("SELECT 1"))
            await other.rollback()
            await holder.commit()
        async with write_engine(second).connect() as idle:
            await idle.begin()
            raw = (await idle.get_raw_connection()).driver_connection
            assert isinstance(raw, OneTripConnection)
            await idle.rollback()  # never ran a statement: no trip, no lock taken
            assert raw._begin is None
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_unit_of_work_makes_two_trips(tmp_path: Path, cipher: FieldCipher) -> None:
    """BEGIN with the first statement, then COMMIT or ROLLBACK; the second ROLLBACK that closing
    a session and returning its connection to the pool would make finds no transaction."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
    units = UnitOfWorkFactory(engine, cipher)
    trips: list[str] = []
    run_in_thread: Callable[..., Awaitable[Any]] = OneTripConnection._execute  # untyped upstream

    async def counted(self: OneTripConnection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", "?"))
        return await run_in_thread(self, fn, *args, **kwargs)

    try:
        async with units(readonly=True) as uow:  # connects: what that takes is not counted
            await uow.session.execute(text("SELECT 1"))
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(OneTripConnection, "_execute", counted)
            async with units(readonly=True) as uow:
                await uow.session.execute(text("SELECT 1"))
            assert trips == ["_execute", "rollback"]
            trips.clear()
            async with units() as uow:
                await uow.session.execute(text("SELECT 1"))
                await uow.commit()
            assert trips == ["_execute", "commit"]
    finally:
        await engine.dispose()


async def test_aiosqlites_private_members_still_do_what_the_driver_needs(tmp_path: Path) -> None:
    """``_thread`` is aiosqlite's one worker thread, not yet started, so it can still be made a
    daemon; ``_execute(fn, *args, **kwargs)`` runs ``fn`` in it, in the order asked, hands back
    its result or its exception, and refuses once the connection is closed."""
    connection = connect(tmp_path / "d.db")
    thread = connection._thread
    assert isinstance(thread, threading.Thread)
    assert thread.daemon and not thread.is_alive()
    ran: list[tuple[int, threading.Thread]] = []

    def note(sqlite: sqlite3.Connection, value: int, *, plus: int) -> int:
        assert sqlite.execute("SELECT 1").fetchone() == (1,)
        ran.append((value, threading.current_thread()))
        return value + plus

    def fail() -> None:
        raise sqlite3.OperationalError("refused in the thread")

    in_thread: Callable[..., Awaitable[Any]] = connection._execute  # untyped upstream
    async with connection:
        assert thread.is_alive()
        found = await asyncio.gather(
            *(in_thread(note, connection._sqlite, n, plus=10) for n in range(5))
        )
        assert found == [10, 11, 12, 13, 14]
        assert ran == [(n, thread) for n in range(5)]
        with pytest.raises(sqlite3.OperationalError, match="refused in the thread"):
            await in_thread(fail)
    with pytest.raises(ValueError):
        await in_thread(note, None, 0, plus=0)
    thread.join(timeout=5)
    assert not thread.is_alive()
