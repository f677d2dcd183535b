"""Key rotation: re-encrypt every field and stored file under the active key, while the bot runs.

Rows are taken in batches by id, each batch written in its own short transaction, so the bot's
own writes wait at most one batch. A row is rewritten only if its ciphertext is still the one
that was read (compare-and-swap): a value the bot changed meanwhile was written by the bot under
its own active key and is left alone. Nothing is remembered between runs; a run selects whatever
is not yet under the active key, so an interrupted rotation resumes by running it again.

The blind-index key is not rotated online: every look-up by ID-card number goes through the
index, and rows indexed under two keys at once would make logins and duplicate checks miss
during the pass. ``reindex`` rebuilds the indexes under a new index key with the bot stopped.

Neither function checks who is running: ``cebot keys rotate`` first asks ``storage.processes``
whether every running process holds the active key, ``cebot keys reindex`` whether none runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Integer, Select, Text, bindparam, func, select, update, values
from sqlalchemy import column as sa_column
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.ciphertexts import (
    BLIND_INDEXES,
    ENCRYPTED_COLUMNS,
    BlindIndex,
    EncryptedColumn,
    token_prefix,
)
from storage.crypto import KEY_BYTES, DecryptionError, FieldCipher, Keyring
from storage.db import table_names, write_engine
from storage.filestore import _SHA256_HEX, _write_atomically, file_context

FILES: Final = "files"
_FILE_MAGIC: Final = b"CEF1"

_Swap = tuple[int, str, str]
"""A row id, the ciphertext read, the ciphertext to write if it is still there."""

Progress = Callable[[str, int], None]
"""Called after each committed batch with the part's name and how many it rewrote so far."""


@dataclass
class RotationReport:
    """Per part (``users.mobile_enc``, …, ``files``): rewritten, left to the bot, unreadable."""

    rotated: dict[str, int] = field(default_factory=dict)
    changed_meanwhile: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, int] = field(default_factory=dict)

    @property
    def total_rotated(self) -> int:
        return sum(self.rotated.values())

    @property
    def total_unreadable(self) -> int:
        return sum(self.unreadable.values())


async def rotate(
    engine: AsyncEngine,
    cipher: FieldCipher,
    files_root: Path,
    *,
    batch_size: int = 500,
    progress: Progress | None = None,
) -> RotationReport:
    """Re-encrypts every column in ``ENCRYPTED_COLUMNS`` and every file under ``files_root``."""
    report = RotationReport()
    for column in ENCRYPTED_COLUMNS:
        await _rotate_column(engine, cipher, column, batch_size, report, progress)
    await asyncio.to_thread(_rotate_files, files_root, cipher, batch_size, report, progress)
    return report


async def _rotate_column(
    engine: AsyncEngine,
    cipher: FieldCipher,
    column: EncryptedColumn,
    batch_size: int,
    report: RotationReport,
    progress: Progress | None,
) -> None:
    prefix = token_prefix(cipher.active_key_id)
    stale = func.substr(column.value, 1, len(prefix)) != prefix
    rotated = changed = unreadable = 0
    writer = write_engine(engine)
    async for rows in _batches(engine, select(*column.columns()).where(stale), column, batch_size):
        swaps: list[_Swap] = []
        for row in rows:
            old = row[column.column]
            context = column.context(row)
            try:
                plaintext = cipher.decrypt(old, context=context)
            except DecryptionError:
                unreadable += 1
                continue
            swaps.append((row["id"], old, cipher.encrypt(plaintext, context=context)))
        if swaps:
            async with writer.begin() as conn:
                swapped = await _swap(conn, column, swaps)
            rotated += swapped
            changed += len(swaps) - swapped
        if progress is not None:
            progress(column.name, rotated)
    report.rotated[column.name] = rotated
    report.changed_meanwhile[column.name] = changed
    report.unreadable[column.name] = unreadable


async def reindex(
    engine: AsyncEngine,
    cipher: FieldCipher,
    *,
    batch_size: int = 500,
    progress: Progress | None = None,
) -> RotationReport:
    """Recomputes every blind index with the keyring's index key, after the index key changed.

    Only with every bot process stopped: a running process looks people up with the index key it
    started with, and would find nobody whose row was already rewritten. Re-running is harmless
    (an index already right is not rewritten).
    """
    report = RotationReport()
    for index in BLIND_INDEXES:
        await _reindex_column(engine, cipher, index, batch_size, report, progress)
    return report


async def _reindex_column(
    engine: AsyncEngine,
    cipher: FieldCipher,
    index: BlindIndex,
    batch_size: int,
    report: RotationReport,
    progress: Progress | None,
) -> None:
    source = index.source
    target = source.table.c[index.column]
    rewritten = unreadable = 0
    writer = write_engine(engine)
    async for rows in _batches(engine, select(*source.columns(), target), source, batch_size):
        changes: list[tuple[int, str]] = []
        for row in rows:
            try:
                plaintext = cipher.decrypt(row[source.column], context=source.context(row))
            except DecryptionError:
                unreadable += 1
                continue
            fresh = cipher.blind_index(plaintext, purpose=index.purpose)
            if fresh != row[index.column]:
                changes.append((row["id"], fresh))
        if changes:
            statement = (
                update(source.table)
                .where(source.id == bindparam("b_id"))
                .values({index.column: bindparam("b_index")})
            )
            async with writer.begin() as conn:
                await conn.execute(
                    statement, [{"b_id": row_id, "b_index": fresh} for row_id, fresh in changes]
                )
            rewritten += len(changes)
        if progress is not None:
            progress(index.name, rewritten)
    report.rotated[index.name] = rewritten
    report.changed_meanwhile[index.name] = 0
    report.unreadable[index.name] = unreadable


async def _batches(
    engine: AsyncEngine, query: Select[Any], column: EncryptedColumn, batch_size: int
) -> AsyncIterator[list[dict[str, Any]]]:
    """The rows of ``query`` by ascending id, ``batch_size`` at a time, each batch read in a short
    read of its own so the bot's writes never wait for a whole pass."""
    last_id = 0
    while True:
        batch = query.where(column.id > last_id).order_by(column.id).limit(batch_size)
        async with engine.connect() as conn:
            rows = [dict(row._mapping) for row in (await conn.execute(batch)).all()]
        if not rows:
            return
        last_id = rows[-1]["id"]
        yield rows


async def _swap(conn: AsyncConnection, column: EncryptedColumn, swaps: list[_Swap]) -> int:
    """One statement per batch; how many rows still held the old ciphertext and were rewritten.

    PostgreSQL: ``UPDATE … FROM (VALUES …) RETURNING``, exact. SQLite cannot name a VALUES list's
    columns, so it gets an executemany there, whose row count the sqlite3 driver sums reliably.
    """
    table = column.table
    if conn.dialect.name == "postgresql":
        batch = values(
            sa_column("row_id", Integer), sa_column("old", Text), sa_column("new", Text), name="v"
        ).data(swaps)
        returning = (
            update(table)
            .where(column.id == batch.c.row_id, column.value == batch.c.old)
            .values({column.column: batch.c.new})
            .returning(column.id)
        )
        return len((await conn.execute(returning)).all())
    statement = (
        update(table)
        .where(column.id == bindparam("b_id"), column.value == bindparam("b_old"))
        .values({column.column: bindparam("b_new")})
    )
    result = await conn.execute(
        statement, [{"b_id": row_id, "b_old": old, "b_new": new} for row_id, old, new in swaps]
    )
    return int(result.rowcount)


def stored_files(root: Path) -> Iterator[Path]:
    """The blobs of a ``LocalFileStore`` (``root/ab/cd/<sha256>``), not its temporary files."""
    if not root.is_dir():
        return
    for path in sorted(root.glob("??/??/*")):
        if _SHA256_HEX.fullmatch(path.name) and path.is_file():
            yield path


def file_key_id(blob: bytes) -> str | None:
    """The key id in a stored file's header, or None if it is not a cebot file."""
    if not blob.startswith(_FILE_MAGIC) or len(blob) <= len(_FILE_MAGIC):
        return None
    start = len(_FILE_MAGIC) + 1
    try:
        return blob[start : start + blob[len(_FILE_MAGIC)]].decode("ascii")
    except UnicodeDecodeError:
        return None


def _rotate_files(
    root: Path,
    cipher: FieldCipher,
    batch_size: int,
    report: RotationReport,
    progress: Progress | None,
) -> None:
    rotated = unreadable = 0
    for path in stored_files(root):
        blob = path.read_bytes()
        if file_key_id(blob) == cipher.active_key_id:
            continue
        context = file_context(path.name)
        try:
            data = cipher.decrypt_bytes(blob, context=context)
        except DecryptionError:
            unreadable += 1
            continue
        # A rename over the old blob: a reader sees the old or the new file, both readable.
        _write_atomically(path, cipher.encrypt_bytes(data, context=context))
        rotated += 1
        if progress is not None and rotated % batch_size == 0:
            progress(FILES, rotated)
    if progress is not None and rotated % batch_size:
        progress(FILES, rotated)
    report.rotated[FILES] = rotated
    report.changed_meanwhile[FILES] = 0
    report.unreadable[FILES] = unreadable


async def keys_in_use(engine: AsyncEngine, files_root: Path) -> dict[str, dict[str, int]]:
    """Per part, how many ciphertexts each key id made: what a retired key would break."""
    from storage.ciphertexts import key_id_expression

    found: dict[str, dict[str, int]] = {}
    async with engine.connect() as conn:
        present = await table_names(conn)
        for column in ENCRYPTED_COLUMNS:
            if column.table.name not in present:  # not migrated yet: nothing encrypted
                found[column.name] = {}
                continue
            key_id = key_id_expression(column.value, engine.dialect).label("key_id")
            query = select(key_id, func.count()).select_from(column.table).group_by(key_id)
            counts = {str(k): int(n) for k, n in (await conn.execute(query)).all()}
            found[column.name] = counts
    found[FILES] = await asyncio.to_thread(_file_keys, files_root)
    return found


def _file_keys(root: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in stored_files(root):
        with path.open("rb") as handle:
            key_id = file_key_id(handle.read(4 + 1 + 255)) or "?"
        counts[key_id] = counts.get(key_id, 0) + 1
    return counts


def write_key_file(path: Path, keyring: Keyring) -> None:
    """Replaces the key file atomically, owner-only from the first byte, kept beside the old one.

    The previous file stays as ``keys.json.<n>.bak`` (also 0600): a key file is the only copy of
    its keys until the operator has backed the new one up.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        number = 1
        while path.with_name(f"{path.name}.{number}.bak").exists():
            number += 1
        backup = path.with_name(f"{path.name}.{number}.bak")
        fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(path.read_bytes())
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-keys-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(keyring.to_json() + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def next_key_id(keyring: Keyring) -> str:
    """``k<n+1>`` after the highest ``k<n>`` in the keyring (``k2`` after ``k1``)."""
    numbers = [int(k[1:]) for k in keyring.encryption_keys if k[:1] == "k" and k[1:].isdigit()]
    candidate = max(numbers, default=0) + 1
    while f"k{candidate}" in keyring.encryption_keys:
        candidate += 1
    return f"k{candidate}"


def with_new_index_key(keyring: Keyring) -> Keyring:
    """The same encryption keys, a fresh blind-index key: ``reindex`` must follow, bot stopped."""
    return Keyring(
        keyring.active_key_id, dict(keyring.encryption_keys), secrets.token_bytes(KEY_BYTES)
    )


def without_key(keyring: Keyring, key_id: str) -> Keyring:
    """The keyring minus a retired key; the active key cannot be retired."""
    if key_id == keyring.active_key_id:
        raise ValueError(f"{key_id} is the active key; make another key active first")
    if key_id not in keyring.encryption_keys:
        raise ValueError(f"there is no key {key_id!r}")
    keys = {k: v for k, v in keyring.encryption_keys.items() if k != key_id}
    return Keyring(keyring.active_key_id, keys, keyring.index_key)


def keyring_summary(keyring: Keyring) -> str:
    """Key ids only, never key material: safe to print and log."""
    return json.dumps({"active": keyring.active_key_id, "keys": sorted(keyring.encryption_keys)})
