"""The engine factory: SQLite that really begins transactions, PostgreSQL URLs and schemas."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.model import User
from storage.crypto import FieldCipher
from storage.db import engine_schema, is_sqlite, make_engine
from storage.migrate import upgrade_engine
from storage.models import BaseRow
from storage.uow import UnitOfWorkFactory
from tests.storage.test_repositories import T0, a_base, a_user


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated SQLite file, for behaviour that only SQLite has to be taught."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'dir' / 'cebot.db'}")
    try:
        await upgrade_engine(engine)
        yield engine
    finally:
        await engine.dispose()


async def test_sqlite_connections_get_the_pragmas(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.connect() as conn:
        journal = await conn.scalar(text("PRAGMA journal_mode"))
        foreign_keys = await conn.scalar(text("PRAGMA foreign_keys"))
        busy_timeout = await conn.scalar(text("PRAGMA busy_timeout"))
        synchronous = await conn.scalar(text("PRAGMA synchronous"))
    assert (journal, foreign_keys, busy_timeout, synchronous) == ("wal", 1, 10_000, 1)


async def test_sqlite_parent_directory_is_created(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 'c.db'}")
    try:
        assert engine.url.drivername == "sqlite+aiosqlite"
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()
    assert (tmp_path / "a" / "b" / "c.db").is_file()


async def test_postgresql_urls_are_made_async_and_carry_a_schema() -> None:
    engine = make_engine("postgresql://cebot:secret@db.example:5432/cebot?search_path=t_1")
    try:
        assert engine.url.drivername == "postgresql+asyncpg"
        assert "search_path" not in engine.url.query
        assert engine_schema(engine) == "t_1"
        assert not is_sqlite(engine)
    finally:
        await engine.dispose()
    assert is_sqlite("sqlite+aiosqlite:///x.db")
    assert not is_sqlite("postgresql+asyncpg://h/db")
    with pytest.raises(ValueError, match="no schemas"):
        make_engine("sqlite:///x.db", schema="t_1")


async def test_readonly_unit_of_work_reads_one_snapshot(
    sqlite_engine: AsyncEngine, cipher: FieldCipher
) -> None:
    """Without our own BEGIN, sqlite3 runs each SELECT in autocommit and sees the other commit."""
    factory = UnitOfWorkFactory(sqlite_engine, cipher)
    async with factory() as uow:
        base = await uow.bases.add(a_base(name="改名前"))
        await uow.commit()
    query = select(BaseRow.name).where(BaseRow.id == base.id)
    async with factory(readonly=True) as reader:
        before = await reader.session.scalar(query)
        async with sqlite_engine.begin() as writer:
            await writer.execute(text("UPDATE bases SET name = '改名后'"))
        during = await reader.session.scalar(query)
    async with factory(readonly=True) as reader:
        after = await reader.session.scalar(query)
    assert (before, during, after) == ("改名前", "改名前", "改名后")


async def test_savepoint_released_first_still_rolls_back_with_the_transaction(
    engine: AsyncEngine, cipher: FieldCipher
) -> None:
    """sqlite3's legacy mode lets a SAVEPOINT sent before any BEGIN commit on its own."""
    factory = UnitOfWorkFactory(engine, cipher)
    async with factory() as uow:
        async with uow.session.begin_nested():
            uow.session.add(BaseRow(**_base_columns(1)))
        async with uow.session.begin_nested() as inner:
            uow.session.add(BaseRow(**_base_columns(2)))
            await uow.session.flush()
            await inner.rollback()
        names = (await uow.session.scalars(select(BaseRow.name))).all()
        assert names == ["基地1"]
        await uow.rollback()
    async with factory(readonly=True) as uow:
        assert (await uow.session.scalars(select(BaseRow.name))).all() == []


async def test_concurrent_read_then_write_units_of_work_never_lock(
    sqlite_engine: AsyncEngine, cipher: FieldCipher
) -> None:
    """BEGIN IMMEDIATE queues writers; with DEFERRED the second would get SQLITE_BUSY at once."""
    factory = UnitOfWorkFactory(sqlite_engine, cipher)
    async with factory() as uow:
        user = await uow.users.add(a_user())
        await uow.commit()
    assert user.id is not None
    user_id = user.id

    async def increment() -> None:
        async with factory() as uow:
            loaded = await uow.users.get(user_id)
            assert loaded is not None
            await asyncio.sleep(0.01)  # let the other task start and reach the database
            loaded.failed_logins += 1
            await uow.users.update(loaded)
            await uow.commit()

    await asyncio.gather(*(increment() for _ in range(8)))
    async with factory(readonly=True) as uow:
        final = await uow.users.get(user_id)
    assert isinstance(final, User) and final.failed_logins == 8


def _base_columns(n: int) -> dict[str, object]:
    base = a_base(n, name=f"基地{n}")
    return {
        "name": base.name,
        "credit_code": base.credit_code,
        "region": base.region,
        "address": base.address,
        "contact_person": base.contact_person,
        "contact_phone": base.contact_phone,
        "created_at": T0,
    }
