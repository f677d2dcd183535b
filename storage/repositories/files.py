"""Records of stored files (``domain.ports.FileRepository``); the bytes are the file store's."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import StoredFile
from storage.models import StoredFileRow
from storage.repositories._common import guarded_write


def _to_domain(row: StoredFileRow) -> StoredFile:
    return StoredFile(
        id=row.id,
        sha256=row.sha256,
        size=row.size,
        original_name=row.original_name,
        safe_name=row.safe_name,
        content_type=row.content_type,
        uploaded_by=row.uploaded_by,
        uploaded_at=row.uploaded_at,
    )


class SqlFileRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, stored: StoredFile, *, base_id: int) -> StoredFile:
        row = StoredFileRow(
            base_id=base_id,
            sha256=stored.sha256,
            size=stored.size,
            original_name=stored.original_name,
            safe_name=stored.safe_name,
            content_type=stored.content_type,
            uploaded_by=stored.uploaded_by,
            uploaded_at=stored.uploaded_at,
        )
        async with guarded_write(self._session):
            self._session.add(row)
        return _to_domain(row)

    async def get(self, file_id: int, *, base_id: int) -> StoredFile | None:
        """Another base's file is as absent as one never uploaded: the filter is in the query."""
        row = await self._session.scalar(
            select(StoredFileRow).where(
                StoredFileRow.id == file_id, StoredFileRow.base_id == base_id
            )
        )
        return None if row is None else _to_domain(row)
