"""Learners' scores and the review state of each class's scores (``domain.ports.ScoreRepository``).

An import writes thousands of rows: ``replace_learners`` deletes the learners' earlier rows and
inserts the new ones in batches (executemany), never one statement a row. ID-card numbers are
encrypted per row and found through the blind index.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, case, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import NotFound
from domain.model import ScoreCounts, ScoreRecord, ScoreSheet
from domain.workflow import Status
from storage import mappers
from storage.crypto import FieldCipher
from storage.models import (
    BaseRow,
    ScoreRecordRow,
    ScoreSheetChangeRow,
    ScoreSheetRow,
    TrainingClassRow,
)
from storage.repositories._common import guarded_write

SelectT = TypeVar("SelectT", bound=Select[Any])
BATCH = 1000
"""Rows per executemany batch and index values per IN list (well below every driver's limits)."""


class SqlScoreRepository:
    def __init__(self, session: AsyncSession, cipher: FieldCipher) -> None:
        self._session = session
        self._cipher = cipher

    # --- records ---------------------------------------------------------------------------------

    async def list_for_class(self, class_id: int) -> list[ScoreRecord]:
        statement = (
            select(ScoreRecordRow)
            .where(ScoreRecordRow.class_id == class_id)
            .order_by(ScoreRecordRow.id)
        )
        rows = await self._session.scalars(statement)
        return [mappers.score_record_to_domain(row, self._cipher) for row in rows]

    async def page_for_class(self, class_id: int, *, offset: int, limit: int) -> list[ScoreRecord]:
        statement = (
            select(ScoreRecordRow)
            .where(ScoreRecordRow.class_id == class_id)
            .order_by(ScoreRecordRow.id)
            .offset(offset)
            .limit(limit)
        )
        rows = await self._session.scalars(statement)
        return [mappers.score_record_to_domain(row, self._cipher) for row in rows]

    async def counts_for_class(self, class_id: int) -> ScoreCounts:
        passed = func.sum(case((ScoreRecordRow.passed.is_(True), 1), else_=0))
        statement = select(
            func.count(), passed, func.coalesce(func.sum(ScoreRecordRow.hours), 0)
        ).where(ScoreRecordRow.class_id == class_id)
        learners, passed_count, hours = (await self._session.execute(statement)).one()
        passed_count = int(passed_count or 0)
        return ScoreCounts(
            learners=learners,
            passed=passed_count,
            failed=learners - passed_count,
            hours=Decimal(hours).normalize() if hours else Decimal(0),
        )

    async def get(self, record_id: int, *, class_id: int) -> ScoreRecord | None:
        row = await self._session.get(ScoreRecordRow, record_id)
        if row is None or row.class_id != class_id:
            return None
        return mappers.score_record_to_domain(row, self._cipher)

    async def find(self, class_id: int, id_number: str) -> ScoreRecord | None:
        index = self._cipher.blind_index(id_number, purpose=mappers.ID_NUMBER_PURPOSE)
        statement = select(ScoreRecordRow).where(
            ScoreRecordRow.class_id == class_id, ScoreRecordRow.id_number_idx == index
        )
        row = (await self._session.scalars(statement)).one_or_none()
        return mappers.score_record_to_domain(row, self._cipher) if row is not None else None

    async def find_by_certificate(self, class_id: int, certificate_no: str) -> ScoreRecord | None:
        """Served by the (class_id, certificate_no) unique constraint's index."""
        statement = select(ScoreRecordRow).where(
            ScoreRecordRow.class_id == class_id, ScoreRecordRow.certificate_no == certificate_no
        )
        row = (await self._session.scalars(statement)).one_or_none()
        return mappers.score_record_to_domain(row, self._cipher) if row is not None else None

    async def add(self, record: ScoreRecord) -> ScoreRecord:
        values = mappers.score_record_values(record, self._cipher, secrets.token_hex(16))
        async with guarded_write(self._session):
            result = await self._session.execute(
                insert(ScoreRecordRow).values(values).returning(ScoreRecordRow.id)
            )
        record_id = result.scalar_one()
        stored = await self.get(record_id, class_id=record.class_id)
        assert stored is not None
        return stored

    async def update(self, record: ScoreRecord) -> None:
        row = await self._session.get(ScoreRecordRow, record.id) if record.id else None
        if row is None or row.class_id != record.class_id:
            raise NotFound()
        values = mappers.score_record_values(record, self._cipher, row.row_uuid)
        async with guarded_write(self._session):
            await self._session.execute(
                update(ScoreRecordRow)
                .where(ScoreRecordRow.id == row.id)
                .values(values)
                .execution_options(synchronize_session="fetch")
            )

    async def delete(self, record_id: int, *, class_id: int) -> None:
        async with guarded_write(self._session):
            result = await self._session.execute(
                delete(ScoreRecordRow).where(
                    ScoreRecordRow.id == record_id, ScoreRecordRow.class_id == class_id
                )
            )
        if getattr(result, "rowcount", 0) == 0:
            raise NotFound()

    async def replace_learners(
        self, class_id: int, records: Sequence[ScoreRecord], replacing: Sequence[int] = ()
    ) -> None:
        # Encrypting and indexing 100,000 ID numbers is seconds of CPU: done in a worker thread,
        # before the first write, so the event loop keeps answering other chats meanwhile and
        # SQLite's write lock is held only for the inserts themselves.
        values = await asyncio.to_thread(self._values, records)
        table = ScoreRecordRow.metadata.tables[ScoreRecordRow.__tablename__]
        async with guarded_write(self._session):
            for start in range(0, len(replacing), BATCH):
                await self._session.execute(
                    delete(ScoreRecordRow).where(
                        ScoreRecordRow.class_id == class_id,
                        ScoreRecordRow.id.in_(replacing[start : start + BATCH]),
                    )
                )
            for start in range(0, len(values), BATCH):  # Core executemany: no ORM bookkeeping
                await self._session.execute(table.insert(), values[start : start + BATCH])

    def _values(self, records: Sequence[ScoreRecord]) -> list[dict[str, Any]]:
        return [
            mappers.score_record_values(record, self._cipher, secrets.token_hex(16))
            for record in records
        ]

    # --- the sheet -------------------------------------------------------------------------------

    async def get_sheet(self, class_id: int) -> ScoreSheet | None:
        row = await self._session.get(ScoreSheetRow, class_id)
        return None if row is None else await self._sheet(row)

    async def get_sheet_for_update(self, class_id: int) -> ScoreSheet | None:
        statement = (
            select(ScoreSheetRow)
            .where(ScoreSheetRow.class_id == class_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = (await self._session.scalars(statement)).one_or_none()
        return None if row is None else await self._sheet(row)

    async def save_sheet(self, sheet: ScoreSheet) -> None:
        row = await self._session.get(ScoreSheetRow, sheet.class_id)
        async with guarded_write(self._session):
            if row is None:
                row = ScoreSheetRow(class_id=sheet.class_id)
                self._session.add(row)
            row.status = sheet.status.value
            row.submitted_at = sheet.submitted_at
        stored = await self._session.scalar(
            select(func.count()).where(ScoreSheetChangeRow.class_id == sheet.class_id)
        )
        new = sheet.history[stored or 0 :]
        if new:
            await self._session.execute(
                insert(ScoreSheetChangeRow),
                [mappers.status_change_values(sheet.class_id, change) for change in new],
            )

    async def list_submitted_sheets_for_regions(
        self, regions: Sequence[str] | None, *, offset: int = 0, limit: int = 10
    ) -> list[ScoreSheet]:
        statement = self._submitted(select(ScoreSheetRow), regions)
        statement = (
            statement.order_by(ScoreSheetRow.submitted_at, ScoreSheetRow.class_id)
            .offset(offset)
            .limit(limit)
        )
        rows = list(await self._session.scalars(statement))
        if not rows:
            return []
        changes: dict[int, list[ScoreSheetChangeRow]] = defaultdict(list)
        history = (
            select(ScoreSheetChangeRow)
            .where(ScoreSheetChangeRow.class_id.in_([row.class_id for row in rows]))
            .order_by(ScoreSheetChangeRow.id)
        )
        for change in await self._session.scalars(history):
            changes[change.class_id].append(change)
        return [mappers.score_sheet_to_domain(row, changes[row.class_id]) for row in rows]

    async def count_submitted_sheets_for_regions(self, regions: Sequence[str] | None) -> int:
        statement = self._submitted(select(func.count()).select_from(ScoreSheetRow), regions)
        return (await self._session.scalar(statement)) or 0

    @staticmethod
    def _submitted(statement: SelectT, regions: Sequence[str] | None) -> SelectT:
        statement = statement.where(ScoreSheetRow.status == Status.SUBMITTED.value)
        if regions is not None:
            statement = (
                statement.join(TrainingClassRow, TrainingClassRow.id == ScoreSheetRow.class_id)
                .join(BaseRow, BaseRow.id == TrainingClassRow.base_id)
                .where(BaseRow.region.in_(sorted(set(regions))))
            )
        return statement

    async def _sheet(self, row: ScoreSheetRow) -> ScoreSheet:
        history = await self._session.scalars(
            select(ScoreSheetChangeRow)
            .where(ScoreSheetChangeRow.class_id == row.class_id)
            .order_by(ScoreSheetChangeRow.id)
        )
        return mappers.score_sheet_to_domain(row, history)
