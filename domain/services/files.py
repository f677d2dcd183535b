"""Uploaded files: checked by content, stored by hash, recorded per base, opened by their base only.

The bytes go to a ``BlobStore`` (encrypted, named by SHA-256) before the record is written in the
unit of work: a failed commit leaves an unreferenced blob, which is harmless, never a record
without its bytes.
"""

from __future__ import annotations

import asyncio
import hashlib

from domain.clock import Clock
from domain.errors import NotFound, StoredFileDamaged, recorded
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
    Nothing touches the database before the check has passed, so the caller's unit of work holds
    no lock while a large file is read; the record commits with whatever else that unit of work
    writes (a submission's new file, say), all or nothing.
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


_HASH_IN_THREAD_BYTES = 256 * 1024


async def read_verified(blobs: BlobStore, stored: StoredFile) -> bytes:
    """The bytes the record names, checked once more against the record's SHA-256.

    The store already verifies a blob against its own name (and raises ``StoredFileDamaged``);
    this catches a store that answered with some other blob, so what is sent is what the record
    says was uploaded, whichever backend keeps the bytes.
    """
    data = await blobs.get(stored.sha256)
    if len(data) >= _HASH_IN_THREAD_BYTES:
        digest = await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
    else:
        digest = hashlib.sha256(data).hexdigest()
    if digest != stored.sha256 or len(data) != stored.size:
        raise StoredFileDamaged()
    return data


async def download(
    uow: UnitOfWork,
    blobs: BlobStore,
    clock: Clock,
    stored: StoredFile,
    *,
    base_id: int,
    actor_user_id: int,
    action: str,
    subject: str,
    detail: str | None = None,
) -> bytes:
    """A recorded file's verified bytes; the download goes to the base's audit trail.

    ``base_id`` is the base the file belongs to (a reviewer's download is written there too).
    A damaged file is not sent: the attempt is recorded as ``file.damaged`` and the refusal is
    ``recorded``, so the entry stands for the super admin to see, and ``StoredFileDamaged`` tells
    the user.
    """
    try:
        data = await read_verified(blobs, stored)
    except StoredFileDamaged as damaged:
        await audit.record(
            uow,
            clock,
            action="file.damaged",
            base_id=base_id,
            actor_user_id=actor_user_id,
            subject=f"#{stored.id} {stored.safe_name}",
            old_value=subject,
            new_value=stored.sha256,
        )
        recorded(damaged)  # the entry stands though the download is refused
        raise
    await audit.record(
        uow,
        clock,
        action=action,
        base_id=base_id,
        actor_user_id=actor_user_id,
        subject=subject,
        new_value=detail,
    )
    return data
