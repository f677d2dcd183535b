"""What every repository shares: writes in a savepoint, integrity errors as ``Conflict``.

A uniqueness rule that the database enforces (one super admin per base, one open session per
Telegram user, a credit code registered once) surfaces as ``domain.errors.Conflict`` where the
write happens, not at commit. The write runs in a SAVEPOINT, so after a Conflict the unit of work
is still usable: a service may catch it and carry on, and PostgreSQL does not abort the whole
transaction.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, UniqueConstraint, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import Conflict, NotFound
from storage.models import Model


def _unique_names() -> dict[tuple[str, frozenset[str]], str]:
    names: dict[tuple[str, frozenset[str]], str] = {}
    for table in Model.metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint) and isinstance(constraint.name, str):
                names[(table.name, frozenset(constraint.columns.keys()))] = constraint.name
        for index in table.indexes:
            if index.unique and isinstance(index.name, str):
                names[(table.name, frozenset(c.name for c in index.columns))] = index.name
    return names


_UNIQUE_BY_COLUMNS = _unique_names()
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<what>.+)$")


def constraint_name(error: IntegrityError) -> str | None:
    """The violated constraint's name: asyncpg reports it, SQLite only names the columns."""
    reported = getattr(error.orig.__cause__, "constraint_name", None) if error.orig else None
    if isinstance(reported, str):
        return reported
    match = _SQLITE_UNIQUE.search(str(error.orig))
    if match is None:
        return None
    what = match["what"].strip()
    if what.startswith("index '"):
        return what[len("index '") : -1]
    columns = [part.strip().split(".", 1) for part in what.split(",")]
    tables = {table for table, _ in columns}
    if len(tables) != 1:
        return None
    key = (tables.pop(), frozenset(column for _, column in columns))
    return _UNIQUE_BY_COLUMNS.get(key)


def conflict(error: IntegrityError) -> Conflict:
    """``params["constraint"]`` lets a service tell which rule was broken."""
    return Conflict(None, constraint=constraint_name(error))


@asynccontextmanager
async def guarded_write(session: AsyncSession) -> AsyncIterator[None]:
    """Runs the changes made in the block in a savepoint and flushes them before leaving."""
    try:
        async with session.begin_nested():
            yield
    except IntegrityError as error:
        raise conflict(error) from error


RowT = TypeVar("RowT", bound=Model)


async def existing(session: AsyncSession, model: type[RowT], row_id: int | None) -> RowT:
    """The row an update or delete is about; a vanished row is the domain's ``NotFound``."""
    row = await session.get(model, row_id) if row_id is not None else None
    if row is None:
        raise NotFound()
    return row


async def delete_by_id(session: AsyncSession, model: type[Model], row_id: int) -> None:
    async with guarded_write(session):
        table = model.__table__
        result = await session.execute(delete(model).where(table.c.id == row_id))
    if cast(CursorResult[Any], result).rowcount == 0:
        raise NotFound()
