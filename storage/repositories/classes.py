"""Training classes and their history of states (``domain.ports.ClassRepository``).

A class is always handed out with its whole history, fetched in one extra query for a single
class or for a whole page: ``update`` relies on it to tell which changes are new.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import TrainingClass
from domain.workflow import Status, StatusChange
from storage import mappers
from storage.models import BaseRow, ClassStatusChangeRow, TrainingClassRow
from storage.repositories._common import delete_by_id, existing, guarded_write

SelectT = TypeVar("SelectT", bound=Select[Any])


class HistoryMismatch(RuntimeError):
    """A class passed to ``update`` lacks changes already stored: a programming error."""


class SqlClassRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, training_class: TrainingClass) -> TrainingClass:
        row = TrainingClassRow()
        mappers.training_class_to_row(training_class, row)
        async with guarded_write(self._session):
            self._session.add(row)
        await self._append(row.id, training_class.history)
        return mappers.training_class_to_domain(row, await self._history_rows(row.id))

    async def get(self, class_id: int) -> TrainingClass | None:
        row = await self._session.get(TrainingClassRow, class_id)
        if row is None:
            return None
        return mappers.training_class_to_domain(row, await self._history_rows(row.id))

    async def get_for_update(self, class_id: int) -> TrainingClass | None:
        # FOR UPDATE on PostgreSQL; SQLite needs no clause: a writing unit of work there holds
        # the database's write lock from its first statement.
        statement = (
            select(TrainingClassRow)
            .where(TrainingClassRow.id == class_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = (await self._session.scalars(statement)).one_or_none()
        if row is None:
            return None
        return mappers.training_class_to_domain(row, await self._history_rows(row.id))

    async def update(self, training_class: TrainingClass) -> None:
        row = await existing(self._session, TrainingClassRow, training_class.id)
        stored = await self._history_count(row.id)
        if len(training_class.history) < stored:
            raise HistoryMismatch(
                f"class {row.id}: {len(training_class.history)} changes given, {stored} stored"
            )
        async with guarded_write(self._session):
            mappers.training_class_to_row(training_class, row)
        await self._append(row.id, training_class.history[stored:])

    async def delete(self, class_id: int) -> None:
        """Its history goes with it (ON DELETE CASCADE)."""
        await delete_by_id(self._session, TrainingClassRow, class_id)

    async def list_for_base(
        self,
        base_id: int,
        *,
        year: int | None = None,
        status: Status | None = None,
        offset: int = 0,
        limit: int = 10,
    ) -> list[TrainingClass]:
        """Newest first; served by the (base_id, year, id DESC) index."""
        statement = self._for_base(select(TrainingClassRow), base_id, year, status)
        statement = statement.order_by(TrainingClassRow.id.desc()).offset(offset).limit(limit)
        return await self._with_history(statement)

    async def count_for_base(
        self, base_id: int, *, year: int | None = None, status: Status | None = None
    ) -> int:
        statement = self._for_base(select(func.count()), base_id, year, status)
        return (await self._session.scalar(statement)) or 0

    async def years_for_base(self, base_id: int) -> list[int]:
        statement = (
            select(TrainingClassRow.year)
            .where(TrainingClassRow.base_id == base_id)
            .distinct()
            .order_by(TrainingClassRow.year.desc())
        )
        return list(await self._session.scalars(statement))

    async def list_submitted_for_regions(
        self, regions: Sequence[str] | None, *, offset: int = 0, limit: int = 10
    ) -> list[TrainingClass]:
        """Oldest submission first; served by the (status, submitted_at) index."""
        statement = self._submitted(select(TrainingClassRow), regions)
        statement = (
            statement.order_by(TrainingClassRow.submitted_at, TrainingClassRow.id)
            .offset(offset)
            .limit(limit)
        )
        return await self._with_history(statement)

    async def count_submitted_for_regions(self, regions: Sequence[str] | None) -> int:
        statement = self._submitted(select(func.count()).select_from(TrainingClassRow), regions)
        return (await self._session.scalar(statement)) or 0

    # --- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _for_base(
        statement: SelectT, base_id: int, year: int | None, status: Status | None
    ) -> SelectT:
        statement = statement.where(TrainingClassRow.base_id == base_id)
        if year is not None:
            statement = statement.where(TrainingClassRow.year == year)
        if status is not None:
            statement = statement.where(TrainingClassRow.status == status.value)
        return statement

    @staticmethod
    def _submitted(statement: SelectT, regions: Sequence[str] | None) -> SelectT:
        """``regions`` None means every region; an empty sequence matches nothing."""
        statement = statement.where(TrainingClassRow.status == Status.SUBMITTED.value)
        if regions is not None:
            statement = statement.join(BaseRow, BaseRow.id == TrainingClassRow.base_id).where(
                BaseRow.region.in_(sorted(set(regions)))
            )
        return statement

    async def _with_history(self, statement: Select[TrainingClassRow]) -> list[TrainingClass]:
        rows = list(await self._session.scalars(statement))
        if not rows:
            return []
        changes: dict[int, list[ClassStatusChangeRow]] = defaultdict(list)
        history = (
            select(ClassStatusChangeRow)
            .where(ClassStatusChangeRow.class_id.in_([row.id for row in rows]))
            .order_by(ClassStatusChangeRow.id)
        )
        for change in await self._session.scalars(history):
            changes[change.class_id].append(change)
        return [mappers.training_class_to_domain(row, changes[row.id]) for row in rows]

    async def _history_rows(self, class_id: int) -> list[ClassStatusChangeRow]:
        statement = (
            select(ClassStatusChangeRow)
            .where(ClassStatusChangeRow.class_id == class_id)
            .order_by(ClassStatusChangeRow.id)
        )
        return list(await self._session.scalars(statement))

    async def _history_count(self, class_id: int) -> int:
        statement = select(func.count()).where(ClassStatusChangeRow.class_id == class_id)
        return (await self._session.scalar(statement)) or 0

    async def _append(self, class_id: int, changes: Sequence[StatusChange]) -> None:
        if changes:
            await self._session.execute(
                insert(ClassStatusChangeRow),
                [mappers.status_change_values(class_id, change) for change in changes],
            )
