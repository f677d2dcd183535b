"""Fixtures shared by the whole suite: a real database, migrated, and what lives around it.

A test that takes ``database_url`` (or ``engine``, on it) runs once per database: always
``[sqlite]``, and ``[postgresql]`` too when ``CEBOT_TEST_DATABASE_URL`` names a server, e.g.::

    CEBOT_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test pytest tests/storage

``database_url`` is a database of the test's own, already migrated to head: a copy of one that
Alembic migrated once per pytest process (``tests/databases.py`` says how, and why). A test about
migrating, or about what meets an unmigrated database, takes ``empty_database_url`` instead.
On SQLite each is a file in ``tmp_path``; on PostgreSQL a schema of its own (``t_<uuid>``, dropped
afterwards), named in the URL as ``?search_path=t_...`` which ``storage.db.make_engine``
understands, so parallel runs on one shared database never see each other. If the variable is set
and the server cannot be reached, the tests fail: a green run must mean PostgreSQL was exercised.

Hypothesis runs under the ``ci`` profile unless ``HYPOTHESIS_PROFILE`` names another
(``tests/hypothesis_profiles.py``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import FixedClock
from storage.crypto import FieldCipher, Keyring
from storage.db import make_engine
from storage.passwords import Argon2PasswordHasher
from storage.uow import UnitOfWorkFactory
from tests import databases, hypothesis_profiles
from tests.storage.filled import Filled, fill

hypothesis_profiles.load()

POSTGRES_URL = os.environ.get("CEBOT_TEST_DATABASE_URL")

DATABASES = [pytest.param("sqlite", id="sqlite")]
if POSTGRES_URL:
    DATABASES.append(pytest.param("postgresql", id="postgresql"))

# 2026-11-29 09:00 in Asia/Shanghai (UTC+8), held in UTC as everything stored is.
NOW = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)


def _postgresql_unusable(error: Exception) -> NoReturn:
    pytest.fail(
        f"CEBOT_TEST_DATABASE_URL is set but PostgreSQL is unusable: {error!r}", pytrace=False
    )


@pytest.fixture(params=DATABASES)
def database_kind(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql``: what the test's database is."""
    return str(request.param)


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This process's SQLite file migrated to head; tests get copies, never the file itself."""
    return databases.migrated_sqlite_file(tmp_path_factory.mktemp("migrated-template"))


@pytest.fixture(scope="session")
def postgresql_migration() -> databases.Recording:
    """What migrating to head sends to PostgreSQL, recorded once in this process."""
    assert POSTGRES_URL is not None
    try:
        return databases.record_postgresql_migration(POSTGRES_URL)
    except Exception as error:
        _postgresql_unusable(error)


@asynccontextmanager
async def _postgresql_schema(recording: databases.Recording | None = None) -> AsyncIterator[str]:
    """``databases.postgresql_schema`` on the suite's server, failing the test with the reason
    when the server cannot make one."""
    assert POSTGRES_URL is not None
    made = False
    try:
        async with databases.postgresql_schema(POSTGRES_URL, recording) as url:
            made = True
            yield url
    except Exception as error:
        if made:
            raise
        _postgresql_unusable(error)


@pytest.fixture
async def empty_database_url(database_kind: str, tmp_path: Path) -> AsyncIterator[str]:
    """A URL of an empty database, not migrated, that exists only for this test."""
    if database_kind == "sqlite":
        yield databases.sqlite_url(tmp_path / "empty.db")
        return
    async with _postgresql_schema() as url:
        yield url


@pytest.fixture
async def database_url(
    database_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """A URL of a database migrated to head that exists only for this test."""
    if database_kind == "sqlite":
        template: Path = request.getfixturevalue("migrated_sqlite_template")
        yield databases.copy_sqlite_file(template, tmp_path / "cebot.db")
        return
    migration: databases.Recording = request.getfixturevalue("postgresql_migration")
    async with _postgresql_schema(migration) as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The application's engine on the test's migrated database."""
    engine = make_engine(database_url)
    try:
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
