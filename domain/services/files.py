"""Uploaded files: checked by content, stored by hash, recorded per base, opened by their base only.

The bytes go to a ``BlobStore`` (encrypted, named by SHA-256) before the record is written in the
unit of work: a failed commit leaves an unreferenced blob, which is harmless, never a record
without its bytes.
"""

from __future__ import annotations

import asyncio

from domain.clock import Clock
from domain.errors import NotFound
from domain.model import Actor, StoredFile
from domain.ports import BlobStore, UnitOfWork
from domain.services import audit
from domain.uploads import ALL_KINDS, FileKind, check_upload


class BlobMismatch(RuntimeError):
    """The blob store named the bytes differently from our own hash: a broken store."""


async def store_upload(
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    actor: Actor,
    data: bytes,
    filename: str | None,
    *,
    allowed: frozenset[FileKind] = ALL_KINDS,
) -> StoredFile:
    """Checks ``data`` (off the event loop: a 20 MB Office file takes a while), stores, records.

    Raises ``Invalid("file", ...)`` with the reason when the file is refused: nothing is stored.
    """
    checked = await asyncio.to_thread(check_upload, data, filename, allowed=allowed)
    sha256 = await blobs.put(data)
    if sha256 != checked.sha256:
        raise BlobMismatch(f"{sha256} != {checked.sha256}")
    stored = await uow.files.add(
        StoredFile(
            sha256=sha256,
            size=checked.size,
            original_name=checked.original_name,
            safe_name=checked.safe_name,
            content_type=checked.kind.mime_type,
            uploaded_by=actor.user_id,
            uploaded_at=clock.now(),
        ),
        base_id=actor.base_id,
    )
    await audit.record_by(
        uow, clock, actor, "file.upload", f"#{stored.id} {checked.safe_name}", new_value=sha256
    )
    await uow.commit()
    return stored


async def open_file(
    uow: UnitOfWork, blobs: BlobStore, actor: Actor, file_id: int
) -> tuple[StoredFile, bytes]:
    """A file of the actor's base with its bytes; any other id is simply not found."""
    stored = await uow.files.get(file_id, base_id=actor.base_id)
    if stored is None:
        raise NotFound()
    return stored, await blobs.get(stored.sha256)


async def describe_file(uow: UnitOfWork, actor: Actor, file_id: int) -> StoredFile:
    """The record alone (name, size), for showing a plan without fetching its bytes."""
    stored = await uow.files.get(file_id, base_id=actor.base_id)
    if stored is None:
        raise NotFound()
    return stored
