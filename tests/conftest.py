"""Fixtures shared by the whole suite: a real database, migrated, and what lives around it.

``database_url`` runs a test once per database: always ``[sqlite]`` (a fresh file in tmp_path),
and ``[postgresql]`` too when ``CEBOT_TEST_DATABASE_URL`` names a server, e.g.::

    CEBOT_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test pytest tests/storage

Each PostgreSQL test gets a schema of its own (``t_<uuid>``, dropped afterwards), named in the URL
as ``?search_path=t_...`` which ``storage.db.make_engine`` understands, so parallel runs on one
shared database never see each other. If the variable is set and the server cannot be reached,
the tests fail: a green run must mean PostgreSQL was exercised.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import FixedClock
from storage.crypto import FieldCipher, Keyring
from storage.db import make_engine
from storage.migrate import upgrade_engine
from storage.passwords import Argon2PasswordHasher
from storage.uow import UnitOfWorkFactory
from tests.storage.filled import Filled, fill

POSTGRES_URL = os.environ.get("CEBOT_TEST_DATABASE_URL")

DATABASES = [pytest.param("sqlite", id="sqlite")]
if POSTGRES_URL:
    DATABASES.append(pytest.param("postgresql", id="postgresql"))

# 2026-11-29 09:00 in Asia/Shanghai (UTC+8), held in UTC as everything stored is.
NOW = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)


@pytest.fixture(params=DATABASES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A URL of an empty database that exists only for this test."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'cebot.db'}"
        return
    assert POSTGRES_URL is not None
    schema = f"t_{uuid.uuid4().hex}"
    admin = make_engine(POSTGRES_URL)
    try:
        async with admin.begin() as conn:
            await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except Exception as error:
        await admin.dispose()
        pytest.fail(
            f"CEBOT_TEST_DATABASE_URL is set but PostgreSQL is unusable: {error!r}", pytrace=False
        )
    try:
        url = make_url(POSTGRES_URL).update_query_dict({"search_path": schema})
        yield url.render_as_string(hide_password=False)
    finally:
        async with admin.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.dispose()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The application's engine on that database, migrated to head by Alembic."""
    engine = make_engine(database_url)
    try:
        await upgrade_engine(engine)
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.generate()


@pytest.fixture
def cipher(keyring: Keyring) -> FieldCipher:
    return FieldCipher(keyring)


@pytest.fixture
def uow_factory(engine: AsyncEngine, cipher: FieldCipher) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(engine, cipher)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def hasher() -> Argon2PasswordHasher:
    """Deliberately cheap parameters (1 MiB, one pass) so tests stay fast; never use in prod."""
    return Argon2PasswordHasher(memory_cost=1024, iterations=1)


@pytest.fixture
async def filled(
    uow_factory: UnitOfWorkFactory,
    engine: AsyncEngine,
    tmp_path: Path,
    hasher: Argon2PasswordHasher,
    clock: FixedClock,
) -> Filled:
    """Every encrypted kind of data, under ``keyring``'s k1, in ``tmp_path / "data"``: see
    tests/storage/filled.py."""
    return await fill(uow_factory, engine, tmp_path / "data", hasher, clock)
