"""Databases of a test's own: empty, or a copy of one that Alembic migrated once per process.

Migrating with Alembic for every test cost about 0.1 s on SQLite and 0.5 s on PostgreSQL (more on
two busy cores), for each of several hundred tests. So each pytest process (each xdist worker)
migrates once, for real, and every test gets a copy:

- SQLite: the migrated file, copied to the test's own path.
- PostgreSQL: every statement Alembic sent while migrating a scratch schema is recorded, and the
  recording is replayed in one round trip into the test's own schema (``t_<uuid>``, named in the
  URL as ``?search_path=``, dropped afterwards). The scratch schema is dropped at once: nothing
  outlives the recording. ``CREATE DATABASE ... TEMPLATE`` was measured too, and was slower
  (it copies and WAL-logs a whole database, catalogs included, for every test).

Every name carries a uuid, so parallel workers and parallel runs on one server never collide.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPICursor, ExecutionContext
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import make_engine
from storage.migrate import upgrade_engine

T = TypeVar("T")


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def scoped_url(server_url: str, schema: str) -> str:
    """``server_url`` narrowed to ``schema``, in the form ``storage.db.make_engine`` reads."""
    url = make_url(server_url).update_query_dict({"search_path": schema})
    return url.render_as_string(hide_password=False)


def new_schema_name() -> str:
    return f"t_{uuid.uuid4().hex}"


def run_apart(work: Coroutine[Any, Any, T]) -> T:
    """Runs ``work`` on an event loop of its own in another thread: session-scoped fixtures are
    built while a test's loop may be current, and must neither use nor replace it."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade_engine(engine)
    finally:
        await engine.dispose()


def migrated_sqlite_file(directory: Path) -> Path:
    """A SQLite file migrated to head, to be copied (never opened) by the tests."""
    path = directory / "migrated.db"
    run_apart(_migrate(sqlite_url(path)))
    # Closing the last connection checkpoints the WAL into the file: the file alone is the copy.
    leftovers = [p.name for p in directory.iterdir() if p.name != path.name]
    assert not leftovers, f"the migrated SQLite database left {leftovers} beside it"
    return path


def copy_sqlite_file(template: Path, target: Path) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return sqlite_url(target)


@dataclass(frozen=True)
class Statement:
    """One statement Alembic sent, with its parameters (asyncpg's ``$1`` style)."""

    sql: str
    parameters: Any
    many: bool


@dataclass(frozen=True)
class Recording:
    """What migrating an empty schema sent to PostgreSQL, in order; every name unqualified, so it
    lands in whatever schema comes first on the ``search_path``."""

    statements: tuple[Statement, ...]

    async def replay(self, engine: AsyncEngine, schema: str) -> None:
        """Creates ``schema`` and replays the recording into it, in one transaction; runs of
        statements without parameters (all of them, today) go as one script, one round trip."""
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None
            async with raw.transaction():
                script = [f'CREATE SCHEMA "{schema}"', f'SET LOCAL search_path TO "{schema}"']
                for statement in self.statements:
                    if not statement.parameters:
                        script.append(statement.sql)
                        continue
                    if script:
                        await raw.execute(";\n".join(script))
                        script = []
                    if statement.many:
                        await raw.executemany(statement.sql, statement.parameters)
                    else:
                        await raw.execute(statement.sql, *statement.parameters)
                if script:
                    await raw.execute(";\n".join(script))


async def _record(server_url: str) -> Recording:
    schema = new_schema_name()
    admin = make_engine(server_url)
    engine = make_engine(scoped_url(server_url, schema))
    sent: list[Statement] = []

    def note(
        _conn: Connection,
        _cursor: DBAPICursor,
        sql: str,
        parameters: Sequence[Any] | None,
        _context: ExecutionContext | None,
        many: bool,
    ) -> None:
        sent.append(Statement(sql, parameters, many))

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        async with admin.begin() as connection:
            await connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        try:
            await upgrade_engine(engine)
        finally:
            await engine.dispose()
            async with admin.begin() as connection:
                await connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await admin.dispose()
    return Recording(tuple(sent))


def record_postgresql_migration(server_url: str) -> Recording:
    return run_apart(_record(server_url))


@asynccontextmanager
async def postgresql_schema(
    server_url: str, recording: Recording | None = None
) -> AsyncIterator[str]:
    """A URL of a schema of its own on ``server_url``: empty, or ``recording`` replayed into it.
    The schema is dropped on the way out, whatever the test did."""
    schema = new_schema_name()
    admin = make_engine(server_url)
    try:
        if recording is None:
            async with admin.begin() as connection:
                await connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        else:
            await recording.replay(admin, schema)  # one transaction: all of it, or no schema
    except BaseException:
        await admin.dispose()
        raise
    try:
        yield scoped_url(server_url, schema)
    finally:
        try:
            async with admin.begin() as connection:
                await connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await admin.dispose()
