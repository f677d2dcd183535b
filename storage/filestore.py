"""Content-addressed, encrypted storage for uploaded files (plans, summaries, materials).

A file is named by the SHA-256 of its plaintext, so the same upload is stored once and the name
proves the content: every read re-hashes what it decrypted. ``FileStore`` is the interface;
``LocalFileStore`` keeps files under a directory outside anything served, and an S3 backend can
implement the same four methods later.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

from domain.errors import StoredFileDamaged
from domain.ports import BlobStore
from storage.crypto import DecryptionError, FieldCipher

_SHA256_HEX: Final = re.compile(r"[0-9a-f]{64}")


class FileStoreError(StoredFileDamaged):
    """Base of what a file store raises about the stored content.

    It is the domain's ``StoredFileDamaged``, as the ``BlobStore`` port requires: whoever fetched
    the file, the user is told politely and nothing is sent. ``detail`` names the blob for logs.
    """

    def __init__(self, detail: str) -> None:
        super().__init__()
        self.detail = detail

    def __str__(self) -> str:
        return self.detail


class FileMissingError(FileStoreError):
    """No file is stored under that SHA-256."""


class FileIntegrityError(FileStoreError):
    """What is stored no longer decrypts, or no longer hashes to its name: it was altered."""


class FileStore(Protocol):
    async def put(self, data: bytes) -> str:
        """Stores ``data``, returns its SHA-256 in hex; the same bytes are never stored twice."""
        ...

    async def get(self, sha256: str) -> bytes:
        """The verified bytes; ``FileMissingError`` if absent, ``FileIntegrityError`` if altered."""
        ...

    async def exists(self, sha256: str) -> bool: ...

    async def delete(self, sha256: str) -> None:
        """Removes the file; deleting one that is absent is not an error."""
        ...


def file_context(sha256: str) -> str:
    """The encryption context binds a blob to its name: a blob renamed to another hash fails."""
    return f"file:{sha256}"


def _checked(sha256: str) -> str:
    """Only 64 lower-case hex characters reach a path: no ``..``, no slashes, no surprises."""
    if not isinstance(sha256, str) or not _SHA256_HEX.fullmatch(sha256):
        raise ValueError("sha256 must be 64 lower-case hexadecimal characters")
    return sha256


class LocalFileStore(FileStore):
    """Files at ``root/ab/cd/abcd…``, AES-256-GCM encrypted, mode 0600, written atomically.

    Disk I/O, hashing and crypto run in a worker thread: a 20 MB upload never stalls other chats.
    """

    def __init__(self, root: Path, cipher: FieldCipher) -> None:
        self._root = root
        self._cipher = cipher

    def path_of(self, sha256: str) -> Path:
        sha256 = _checked(sha256)
        return self._root / sha256[:2] / sha256[2:4] / sha256

    async def put(self, data: bytes) -> str:
        return await asyncio.to_thread(self._put_sync, data)

    async def get(self, sha256: str) -> bytes:
        return await asyncio.to_thread(self._get_sync, _checked(sha256))

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self.path_of(sha256).is_file)

    async def delete(self, sha256: str) -> None:
        await asyncio.to_thread(self.path_of(sha256).unlink, missing_ok=True)

    def _put_sync(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        try:
            self._get_sync(sha256)
        except FileStoreError:
            pass  # absent, or damaged: (re)write it below
        else:
            return sha256
        path = self.path_of(sha256)
        # Level by level: ``parents=True`` would create the upper levels without ``mode``.
        self._root.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.parent.parent.mkdir(exist_ok=True, mode=0o700)
        path.parent.mkdir(exist_ok=True, mode=0o700)
        blob = self._cipher.encrypt_bytes(data, context=file_context(sha256))
        _write_atomically(path, blob)
        return sha256

    def _get_sync(self, sha256: str) -> bytes:
        try:
            blob = self.path_of(sha256).read_bytes()
        except FileNotFoundError:
            raise FileMissingError(sha256) from None
        try:
            data = self._cipher.decrypt_bytes(blob, context=file_context(sha256))
        except DecryptionError:
            raise FileIntegrityError(f"{sha256} does not decrypt") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise FileIntegrityError(f"{sha256} no longer hashes to its name")
        return data


if TYPE_CHECKING:
    # mypy's proof that the adapter satisfies the port the domain's services fetch files through.
    _satisfies_the_port: type[BlobStore] = LocalFileStore


def _write_atomically(path: Path, blob: bytes) -> None:
    """Temp file in the same directory, fsync, rename over: readers see all or nothing."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(blob)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    # The rename itself is durable only once the directory entry is on disk.
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
