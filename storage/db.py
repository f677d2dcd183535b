"""The async engine factory for SQLite (aiosqlite) and PostgreSQL (asyncpg).

SQLite needs care to behave like a real transactional database. Python's sqlite3 driver (and
aiosqlite on top of it) does not emit BEGIN before a SELECT or a SAVEPOINT, so reads are not
repeatable and savepoints escape the enclosing transaction. Following SQLAlchemy's SQLite notes
("Serializable isolation / Savepoints / Transactional DDL"), the driver's transaction handling is
switched off on connect and SQLAlchemy's ``begin`` event emits the BEGIN itself.

Writers must start with ``BEGIN IMMEDIATE``: a DEFERRED transaction that reads and then writes
cannot upgrade its snapshot once another connection has committed, and SQLite answers
``SQLITE_BUSY`` at once, whatever the busy timeout. Taking the write lock at BEGIN makes writers
queue on the busy timeout instead. Readers keep a plain (DEFERRED) BEGIN so they never block
writers under WAL. The choice travels as the execution option :data:`SQLITE_BEGIN`, set on a
connection or an engine copy (see :func:`write_engine`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from sqlalchemy import URL, Engine, Table, event, inspect, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from storage import sqlite_driver

SQLITE_BEGIN: Final = "sqlite_begin"
"""Execution option naming the SQLite BEGIN mode: "DEFERRED" (default) or "IMMEDIATE"."""

SCHEMA_OPTION: Final = "cebot_schema"
"""Execution option carrying the PostgreSQL schema the engine was built for (Alembic reads it)."""

_BEGIN_MODES: Final = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})

SQLITE_BUSY_TIMEOUT_MS: Final = 10_000


def normalise_url(url: str | URL) -> URL:
    """Picks the async driver for a plain ``postgresql://`` or ``sqlite://`` URL."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed


def is_sqlite(engine_or_url: AsyncEngine | Engine | Connection | URL | str) -> bool:
    if isinstance(engine_or_url, AsyncEngine | Engine | Connection):
        return engine_or_url.dialect.name == "sqlite"
    return make_url(engine_or_url).get_backend_name() == "sqlite"


def engine_schema(engine: AsyncEngine | Engine | Connection) -> str | None:
    """The PostgreSQL schema given to :func:`make_engine`, or None for the default search path."""
    schema = engine.get_execution_options().get(SCHEMA_OPTION)
    return schema if isinstance(schema, str) else None


def dialect_insert(dialect: Dialect, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT, which knows ``ON CONFLICT`` (both databases spell it the same)."""
    return postgresql.insert(table) if dialect.name == "postgresql" else sqlite.insert(table)


async def table_names(conn: AsyncConnection) -> set[str]:
    """The tables that exist: a database not migrated yet (or migrated to an older head) lacks
    some that the models name."""
    return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


def write_engine(engine: AsyncEngine) -> AsyncEngine:
    """A copy of ``engine`` (same pool) whose transactions take SQLite's write lock at BEGIN.

    On PostgreSQL the option is ignored, so callers need not care which database they talk to.
    """
    return engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})


def make_engine(url: str | URL, *, echo: bool = False, schema: str | None = None) -> AsyncEngine:
    """Builds the application's engine; nothing connects until first use.

    ``schema`` (PostgreSQL only) becomes the connection's ``search_path``, so tables and Alembic's
    version table live there; tests use it to give each test a schema of its own. It may also come
    as a ``search_path`` query parameter of the URL, so that one string names the whole target.
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        if schema is not None:
            raise ValueError("SQLite has no schemas")
        return _make_sqlite_engine(parsed, echo=echo)
    if parsed.get_backend_name() == "postgresql":
        return _make_postgresql_engine(parsed, echo=echo, schema=schema)
    raise ValueError(f"unsupported database: {parsed.get_backend_name()}")


def _make_postgresql_engine(url: URL, *, echo: bool, schema: str | None) -> AsyncEngine:
    query_schema = url.query.get("search_path")
    if isinstance(query_schema, tuple):
        raise ValueError("search_path given more than once in the database URL")
    url = url.difference_update_query(["search_path"])
    schema = schema or query_schema
    connect_args: dict[str, Any] = {}
    options: dict[str, Any] = {}
    if schema:
        connect_args["server_settings"] = {"search_path": schema}
        options[SCHEMA_OPTION] = schema
    return create_async_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        pool_recycle=1800,
        connect_args=connect_args,
        execution_options=options,
    )


def _make_sqlite_engine(url: URL, *, echo: bool) -> AsyncEngine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory and not url.query.get("uri"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url, echo=echo, connect_args={"async_creator_fn": sqlite_driver.connect}
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Stop the driver from issuing (or skipping) BEGIN: ``_on_begin`` does it, always.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return
        mode = str(conn.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")).upper()
        if mode not in _BEGIN_MODES:
            raise ValueError(f"unknown SQLite BEGIN mode: {mode}")
        driver = conn.connection.driver_connection
        if isinstance(driver, sqlite_driver.OneTripConnection):
            driver.hold_back(f"BEGIN {mode}")  # what executing it would do, minus the statement
        else:
            conn.exec_driver_sql(f"BEGIN {mode}")

    return engine
