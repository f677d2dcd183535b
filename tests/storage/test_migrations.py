"""Alembic: the hand-written migrations build exactly what storage/models.py describes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import cli
from storage.db import make_engine
from storage.migrate import (
    check_models_match,
    current_revision,
    head_revision,
    upgrade_engine,
)
from storage.models import Model


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_empty_database_upgrades_to_head_and_matches_models(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        assert await current_revision(engine) is None
        await upgrade_engine(engine)
        assert await current_revision(engine) == head_revision()
        assert await check_models_match(engine) == []
        await upgrade_engine(engine)  # at head already: nothing to do, nothing breaks
        async with engine.connect() as conn:
            tables = await conn.run_sync(_tables)
        assert tables == set(Model.metadata.tables) | {"alembic_version"}
    finally:
        await engine.dispose()


async def test_model_check_notices_a_schema_that_drifted(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE bases ADD COLUMN stray INTEGER"))
        await conn.execute(text("DROP INDEX ix_memberships_role_id"))
    differences = await check_models_match(engine)
    kinds = sorted(d[0] if isinstance(d, tuple) else d[0][0] for d in differences)
    assert kinds == ["add_index", "remove_column"]


async def test_cebot_db_upgrade_migrates_the_configured_database(
    empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's is read
    monkeypatch.setenv("CEBOT_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("CEBOT_DATA_DIR", str(tmp_path / "var"))
    # The command runs its own event loop, so it cannot run on this one: use a thread.
    assert await asyncio.to_thread(cli.main, ["db", "upgrade"]) == 0
    engine = make_engine(empty_database_url)
    try:
        assert await current_revision(engine) == head_revision()
        assert await check_models_match(engine) == []
    finally:
        await engine.dispose()


async def test_a_tests_copy_of_the_migrated_template_is_what_alembic_makes(
    engine: AsyncEngine,
) -> None:
    """The ``engine`` fixture hands out copies of one migration per process (tests/databases.py):
    a copy must be indistinguishable from migrating the test's own database."""
    assert await current_revision(engine) == head_revision()
    assert await check_models_match(engine) == []
    async with engine.connect() as conn:
        tables = await conn.run_sync(_tables)
    assert tables == set(Model.metadata.tables) | {"alembic_version"}
