"""Alembic, configured in code: no alembic.ini to ship, find or keep in step.

The application and the tests migrate through :func:`upgrade_engine`, which runs Alembic on a
connection of the application's own engine (so SQLite gets the same PRAGMAs and transactional
DDL), ``cebot db upgrade`` included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import is_sqlite, write_engine
from storage.models import Model

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def make_config(url: str | None = None, *, schema: str | None = None) -> Config:
    """An Alembic config pointing at ``storage/migrations``; ``url`` only for the ``alembic``
    command (``storage/migrations/env.py``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if url is not None:
        # ConfigParser interpolation: a literal % (in a password) must be doubled.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["schema"] = schema
    return config


def migration_options(sqlite: bool) -> dict[str, Any]:
    """Options shared by env.py and :func:`check_models_match`, so both see the same world.

    No ``version_table_schema``: an engine made for a schema puts it first on ``search_path``, so
    the version table lands there unqualified, and autogenerate recognises it as its own.
    """
    return {
        # SQLite cannot ALTER most things: Alembic rebuilds the table ("batch") instead.
        "render_as_batch": sqlite,
        "compare_type": True,
    }


def head_revision() -> str:
    head = ScriptDirectory.from_config(make_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found in " + str(MIGRATIONS_DIR))
    return head


async def upgrade_engine(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrates through ``engine`` in one transaction (SQLite and PostgreSQL both roll DDL back)."""

    def run(connection: Connection) -> None:
        config = make_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with write_engine(engine).begin() as connection:
        await connection.run_sync(run)


async def current_revision(engine: AsyncEngine) -> str | None:
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)


async def check_models_match(engine: AsyncEngine) -> list[Any]:
    """Differences between the migrated database and ``storage.models``; empty when in step."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts=migration_options(is_sqlite(connection))
        )
        return list(compare_metadata(context, Model.metadata))

    async with engine.connect() as connection:
        return await connection.run_sync(compare)
