"""Alembic environment for cebot.

Normally run through ``storage.migrate``, which hands over an open connection in
``config.attributes["connection"]``. Run by the ``alembic`` command instead, it builds an async
engine from ``sqlalchemy.url`` with ``storage.db.make_engine`` (same PRAGMAs, same schema rules).
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from storage.db import is_sqlite, make_engine
from storage.migrate import migration_options
from storage.models import Model

config = context.config
target_metadata = Model.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        **migration_options(is_sqlite(connection)),
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_new_engine(url: str) -> None:
    engine = make_engine(url, schema=config.attributes.get("schema"))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


def run_offline(url: str) -> None:
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        **migration_options(url.startswith("sqlite")),
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if context.is_offline_mode():
    run_offline(config.get_main_option("sqlalchemy.url") or "")
elif connection is not None:
    run_migrations(connection)
else:
    asyncio.run(run_with_new_engine(config.get_main_option("sqlalchemy.url") or ""))
