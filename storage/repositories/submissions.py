"""Annual plans, summaries and materials with their files and history (``SubmissionRepository``).

A submission is handed out whole: its files, each joined with its stored file's record, and its
history, fetched in two extra queries for one submission or for a whole page. ``update`` appends
what is new, so the submission passed in must have been loaded whole (any method here does that).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import AnnualSubmission, SubmissionFile, SubmissionKind
from domain.workflow import Status, StatusChange
from storage import mappers
from storage.models import (
    AnnualSubmissionRow,
    BaseRow,
    StoredFileRow,
    SubmissionFileRow,
    SubmissionStatusChangeRow,
)
from storage.repositories._common import delete_by_id, existing, guarded_write

SelectT = TypeVar("SelectT", bound=Select[Any])


class SubmissionMismatch(RuntimeError):
    """A submission passed to ``update`` lacks what is already stored: a programming error."""


class SqlSubmissionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, submission: AnnualSubmission) -> AnnualSubmission:
        """A second plan or summary of the same base and year raises ``Conflict``."""
        row = AnnualSubmissionRow()
        mappers.submission_to_row(submission, row)
        async with guarded_write(self._session):
            self._session.add(row)
        await self._append_history(row.id, submission.history)
        await self._insert_files(row.id, submission.files)
        return (await self._whole([row]))[0]

    async def get(self, submission_id: int) -> AnnualSubmission | None:
        row = await self._session.get(AnnualSubmissionRow, submission_id)
        return None if row is None else (await self._whole([row]))[0]

    async def get_for_update(self, submission_id: int) -> AnnualSubmission | None:
        # FOR UPDATE on PostgreSQL; a writing unit of work on SQLite holds the write lock anyway.
        return await self._one(
            select(AnnualSubmissionRow).where(AnnualSubmissionRow.id == submission_id), lock=True
        )

    async def find(
        self, base_id: int, year: int, kind: SubmissionKind, *, lock: bool = False
    ) -> AnnualSubmission | None:
        statement = select(AnnualSubmissionRow).where(
            AnnualSubmissionRow.base_id == base_id,
            AnnualSubmissionRow.year == year,
            AnnualSubmissionRow.kind == kind.value,
        )
        return await self._one(statement.order_by(AnnualSubmissionRow.id).limit(1), lock=lock)

    async def update(self, submission: AnnualSubmission) -> AnnualSubmission:
        row = await existing(self._session, AnnualSubmissionRow, submission.id)
        stored_history = await self._history_count(row.id)
        if len(submission.history) < stored_history:
            raise SubmissionMismatch(
                f"submission {row.id}: {len(submission.history)} changes given, "
                f"{stored_history} stored"
            )
        entries = {
            entry.id: entry
            for entry in await self._session.scalars(
                select(SubmissionFileRow)
                .where(SubmissionFileRow.submission_id == row.id)
                .execution_options(populate_existing=True)
            )
        }
        known = {f.id: f for f in submission.files if f.id is not None}
        if set(known) != set(entries):
            raise SubmissionMismatch(f"submission {row.id}: files given differ from those stored")
        async with guarded_write(self._session):
            mappers.submission_to_row(submission, row)
            for entry_id, entry in known.items():
                stored = entries[entry_id]
                if stored.ended_at is not None and entry.ended_at is None:
                    raise SubmissionMismatch(f"file entry {stored.id} cannot become current again")
                if stored.ended_at is None and entry.ended_at is not None:
                    stored.ended_at = entry.ended_at
                    stored.ended_by = entry.ended_by
                    stored.end = entry.end.value if entry.end is not None else None
            # Ends first: a replacement takes the place its predecessor held while current.
            await self._session.flush()
        await self._append_history(row.id, submission.history[stored_history:])
        await self._insert_files(row.id, [f for f in submission.files if f.id is None])
        return (await self._whole([row]))[0]

    async def delete(self, submission_id: int) -> None:
        """Its history and file entries go with it (ON DELETE CASCADE); stored files stay."""
        await delete_by_id(self._session, AnnualSubmissionRow, submission_id)

    async def list_for_base(
        self,
        base_id: int,
        *,
        kind: SubmissionKind,
        year: int | None = None,
        offset: int = 0,
        limit: int = 10,
    ) -> list[AnnualSubmission]:
        """Newest first; served by the (base_id, kind, year, id DESC) index."""
        statement = self._for_base(select(AnnualSubmissionRow), base_id, kind, year)
        statement = statement.order_by(AnnualSubmissionRow.id.desc()).offset(offset).limit(limit)
        return await self._whole(list(await self._session.scalars(statement)))

    async def count_for_base(
        self, base_id: int, *, kind: SubmissionKind, year: int | None = None
    ) -> int:
        statement = self._for_base(select(func.count()), base_id, kind, year)
        return (await self._session.scalar(statement)) or 0

    async def years_for_base(self, base_id: int, kind: SubmissionKind) -> list[int]:
        statement = (
            select(AnnualSubmissionRow.year)
            .where(AnnualSubmissionRow.base_id == base_id, AnnualSubmissionRow.kind == kind.value)
            .distinct()
            .order_by(AnnualSubmissionRow.year.desc())
        )
        return list(await self._session.scalars(statement))

    async def list_submitted_for_regions(
        self, regions: Sequence[str] | None, *, offset: int = 0, limit: int = 10
    ) -> list[AnnualSubmission]:
        """Oldest submission first; served by the (status, submitted_at) index."""
        statement = self._submitted(select(AnnualSubmissionRow), regions)
        statement = (
            statement.order_by(AnnualSubmissionRow.submitted_at, AnnualSubmissionRow.id)
            .offset(offset)
            .limit(limit)
        )
        return await self._whole(list(await self._session.scalars(statement)))

    async def count_submitted_for_regions(self, regions: Sequence[str] | None) -> int:
        statement = self._submitted(select(func.count()).select_from(AnnualSubmissionRow), regions)
        return (await self._session.scalar(statement)) or 0

    # --- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _for_base(
        statement: SelectT, base_id: int, kind: SubmissionKind, year: int | None
    ) -> SelectT:
        statement = statement.where(
            AnnualSubmissionRow.base_id == base_id, AnnualSubmissionRow.kind == kind.value
        )
        if year is not None:
            statement = statement.where(AnnualSubmissionRow.year == year)
        return statement

    @staticmethod
    def _submitted(statement: SelectT, regions: Sequence[str] | None) -> SelectT:
        """``regions`` None means every region; an empty sequence matches nothing."""
        statement = statement.where(AnnualSubmissionRow.status == Status.SUBMITTED.value)
        if regions is not None:
            statement = statement.join(BaseRow, BaseRow.id == AnnualSubmissionRow.base_id).where(
                BaseRow.region.in_(sorted(set(regions)))
            )
        return statement

    async def _one(
        self, statement: Select[AnnualSubmissionRow], *, lock: bool
    ) -> AnnualSubmission | None:
        if lock:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        row = (await self._session.scalars(statement)).one_or_none()
        return None if row is None else (await self._whole([row]))[0]

    async def _whole(self, rows: list[AnnualSubmissionRow]) -> list[AnnualSubmission]:
        """The rows as submissions, with their histories and files: two queries for any number."""
        if not rows:
            return []
        ids = [row.id for row in rows]
        changes: dict[int, list[SubmissionStatusChangeRow]] = defaultdict(list)
        history = (
            select(SubmissionStatusChangeRow)
            .where(SubmissionStatusChangeRow.submission_id.in_(ids))
            .order_by(SubmissionStatusChangeRow.id)
        )
        for change in await self._session.scalars(history):
            changes[change.submission_id].append(change)
        files: dict[int, list[tuple[SubmissionFileRow, StoredFileRow]]] = defaultdict(list)
        entries = (
            select(SubmissionFileRow, StoredFileRow)
            .join(StoredFileRow, StoredFileRow.id == SubmissionFileRow.file_id)
            .where(SubmissionFileRow.submission_id.in_(ids))
            .order_by(SubmissionFileRow.id)
            # Rows met earlier in this session may have been ended since by another writer.
            .execution_options(populate_existing=True)
        )
        for entry, stored in await self._session.execute(entries):
            files[entry.submission_id].append((entry, stored))
        return [mappers.submission_to_domain(row, changes[row.id], files[row.id]) for row in rows]

    async def _history_count(self, submission_id: int) -> int:
        statement = select(func.count()).where(
            SubmissionStatusChangeRow.submission_id == submission_id
        )
        return (await self._session.scalar(statement)) or 0

    async def _append_history(self, submission_id: int, changes: Sequence[StatusChange]) -> None:
        if changes:
            await self._session.execute(
                insert(SubmissionStatusChangeRow),
                [mappers.submission_change_values(submission_id, change) for change in changes],
            )

    async def _insert_files(self, submission_id: int, entries: Sequence[SubmissionFile]) -> None:
        """A file's record must be stored (have an id) before it joins a submission."""
        if any(entry.stored.id is None for entry in entries):
            raise SubmissionMismatch("a file joins a submission only once its record is stored")
        if entries:
            async with guarded_write(self._session):
                await self._session.execute(
                    insert(SubmissionFileRow),
                    [mappers.submission_file_values(submission_id, entry) for entry in entries],
                )
