"""``storage.backup`` on SQLite and PostgreSQL: what goes in, what comes back, what is refused."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.backup import (
    MANIFEST,
    PG_PART,
    SQLITE_PART,
    BackupError,
    _libpq,
    backup,
    holds_data,
    pg_dump_command,
    pg_restore_command,
    read_manifest,
    restore,
)
from storage.ciphertexts import ENCRYPTED_COLUMNS
from storage.crypto import FieldCipher, Keyring
from storage.db import engine_schema, is_sqlite, make_engine
from storage.filestore import LocalFileStore
from storage.migrate import head_revision, upgrade_engine
from storage.models import Model
from storage.processes import HeldKeys, announce
from storage.uow import UnitOfWorkFactory
from tests.databases import copy_sqlite_file
from tests.services.helpers import ID_ALICE
from tests.storage.filled import FILE_CONTENTS, Filled

PG_DUMP = shutil.which("pg_dump")
PG_RESTORE = shutil.which("pg_restore")


def test_every_encrypted_column_is_registered() -> None:
    """A new ``*_enc`` column that rotation and backups did not know of would stay on old keys."""
    registered = {column.name for column in ENCRYPTED_COLUMNS}
    found = {
        f"{table.name}.{column.name}"
        for table in Model.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("_enc")
    }
    assert found | {"bot_persistence.value"} == registered


async def _backup_of(database_url: str, filled: Filled, tmp_path: Path) -> Path:
    if not is_sqlite(filled.engine) and PG_DUMP is None:
        pytest.skip("pg_dump is not installed")
    result = await backup(
        database_url, filled.files, tmp_path / "out" / "b.tar.gz", pg_dump=PG_DUMP
    )
    return result.path


async def test_backup_holds_database_files_and_manifest_but_no_keys(
    database_url: str, filled: Filled, engine: AsyncEngine, keyring: Keyring, tmp_path: Path
) -> None:
    archive = await _backup_of(database_url, filled, tmp_path)
    assert archive.stat().st_mode & 0o077 == 0
    manifest = read_manifest(archive)
    assert manifest.schema_revision == head_revision()
    assert manifest.counts["users"] == 6 and manifest.counts["score_records"] == 3
    assert manifest.counts["files"] == 3 and manifest.missing_files == []
    assert manifest.key_ids == ["k1"]
    assert {sample.part for sample in manifest.samples} == {c.name for c in ENCRYPTED_COLUMNS}
    database_part = SQLITE_PART if is_sqlite(engine) else PG_PART
    with tarfile.open(archive) as opened:
        names = set(opened.getnames())
        everything = b"".join(
            opened.extractfile(member).read()  # type: ignore[union-attr]
            for member in opened.getmembers()
        )
    assert names == {MANIFEST, database_part, *(f"files/{s[:2]}/{s[2:4]}/{s}" for s in filled.shas)}
    for key in (*keyring.encryption_keys.values(), keyring.index_key):
        assert key not in everything
    assert keyring.to_json().encode() not in everything
    assert ID_ALICE.encode() not in everything  # only ciphertext and blind indexes


async def test_restore_into_an_empty_database_brings_everything_back(
    database_url: str, filled: Filled, engine: AsyncEngine, keyring: Keyring, tmp_path: Path
) -> None:
    archive = await _backup_of(database_url, filled, tmp_path)
    files = tmp_path / "restored-files"
    if is_sqlite(engine):
        target_url = f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'cebot.db'}"
    else:
        # The dump names its schema: the disaster is that schema gone, the restore recreates it.
        target_url = database_url
        async with engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA "{engine_schema(engine)}" CASCADE')
        await engine.dispose()
    result = await restore(target_url, files, archive, keyring, pg_restore=PG_RESTORE)
    assert result.files_written == 3 and result.pg_commands == []
    target = make_engine(target_url)
    try:
        units = UnitOfWorkFactory(target, FieldCipher(keyring))
        async with units(readonly=True) as uow:
            alice = await uow.users.get_by_id_number(ID_ALICE)
            assert alice is not None and alice.name == "王芳"
        blobs = LocalFileStore(files, FieldCipher(keyring))
        assert [await blobs.get(sha) for sha in filled.shas] == list(FILE_CONTENTS)
        # A second restore over the restored data is refused without --force, allowed with it.
        with pytest.raises(BackupError, match="already holds data"):
            await restore(target_url, files, archive, keyring, pg_restore=PG_RESTORE)
        result = await restore(
            target_url, files, archive, keyring, force=True, pg_restore=PG_RESTORE
        )
        assert result.files_written == 0  # the same blobs are already there
        assert await holds_data(target)
    finally:
        await target.dispose()


async def test_restore_refuses_keys_that_cannot_read_the_backup(
    database_url: str, filled: Filled, engine: AsyncEngine, tmp_path: Path
) -> None:
    archive = await _backup_of(database_url, filled, tmp_path)
    empty = f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"
    if not is_sqlite(engine):
        empty = database_url
    files = tmp_path / "other-files"
    with pytest.raises(BackupError, match="needs the keys"):
        await restore(empty, files, archive, Keyring.generate("k9"))
    with pytest.raises(BackupError, match="does not decrypt"):
        await restore(empty, files, archive, Keyring.generate("k1"))  # same id, other key
    assert not files.exists()


async def test_a_damaged_or_padded_archive_is_refused(
    database_url: str, filled: Filled, engine: AsyncEngine, keyring: Keyring, tmp_path: Path
) -> None:
    archive = await _backup_of(database_url, filled, tmp_path)
    target = f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
    if not is_sqlite(engine):
        target = database_url

    def rewritten(name: str, change: str) -> Path:
        out = tmp_path / f"{change}.tar.gz"
        with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
            for member in src.getmembers():
                data = src.extractfile(member).read()  # type: ignore[union-attr]
                if change == "flip" and member.name.endswith(filled.shas[0]):
                    data = data[:-1] + bytes([data[-1] ^ 1])
                member.size = len(data)
                dst.addfile(member, io.BytesIO(data))
            if change == "extra":
                extra = tarfile.TarInfo(name)
                extra.size = 1
                dst.addfile(extra, io.BytesIO(b"x"))
        return out

    with pytest.raises(BackupError, match="does not match its SHA-256"):
        await restore(target, tmp_path / "f", rewritten("", "flip"), keyring)
    with pytest.raises(BackupError, match="does not name"):
        await restore(target, tmp_path / "f", rewritten("../evil", "extra"), keyring)


async def test_sqlite_backup_is_consistent_while_the_bot_writes(
    tmp_path: Path, migrated_sqlite_template: Path
) -> None:
    """The online backup API copies a snapshot: writers are not stopped and the copy is whole."""
    url = copy_sqlite_file(migrated_sqlite_template, tmp_path / "live.db")
    engine = make_engine(url)
    stop = asyncio.Event()
    committed = 0
    progressed = asyncio.Event()

    async def writer() -> int:
        nonlocal committed
        while not stop.is_set():
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO deadlines (year, kind, due_at, days_after_end) "
                        "VALUES (:y, 'class_scores', NULL, 10)"
                    ),
                    {"y": 2000 + committed},
                )
            committed += 1
            progressed.set()
            await asyncio.sleep(0)
        return committed

    async def committed_at_least(rows: int) -> None:
        async with asyncio.timeout(60):
            while committed < rows:
                progressed.clear()
                await progressed.wait()

    task = asyncio.create_task(writer())
    try:
        await committed_at_least(1)  # the bot is writing
        result = await backup(url, tmp_path / "files", tmp_path / "b.tar.gz")
        await committed_at_least(committed + 1)  # and goes on writing after the snapshot
    finally:
        stop.set()
        written = await task
    copied = result.manifest.counts["deadlines"]
    assert 0 < copied < written
    with tarfile.open(result.path) as opened:
        opened.extract(SQLITE_PART, tmp_path / "x", filter="data")
    check = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'x' / SQLITE_PART}")
    try:
        async with check.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA integrity_check")).scalar() == "ok"
            years = (await conn.exec_driver_sql("SELECT year FROM deadlines ORDER BY year")).all()
        assert [y for (y,) in years] == list(range(2000, 2000 + copied))  # a prefix, no gaps
    finally:
        await check.dispose()
        await engine.dispose()


def test_the_manifest_is_json_with_a_format_number(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as archive:
        data = json.dumps({"format": 99}).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    with pytest.raises(BackupError, match="not a cebot manifest"):
        read_manifest(bogus)


def test_pg_commands_never_carry_the_password() -> None:
    """They are printed and visible in the process list: the password travels in PGPASSWORD."""
    url = "postgresql+asyncpg://cebot:s%40cret@db.internal:5433/cebot?ssl=require"
    dump = pg_dump_command(url, "/backups/x.pgdump")
    assert dump[-1] == "--dbname=postgresql://cebot@db.internal:5433/cebot?sslmode=require"
    assert not any("cret" in part for part in dump)
    assert not any("cret" in part for part in pg_restore_command(url, "x", clean=True))
    assert _libpq(url)[1] == {"PGPASSWORD": "s@cret"}
    schema_url = "postgresql+asyncpg://postgres@127.0.0.1/test?search_path=t_1"
    assert "--schema=t_1" in pg_dump_command(schema_url, "x")


async def test_a_missing_sqlite_database_is_not_backed_up_as_an_empty_one(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'absent.db'}"
    with pytest.raises(BackupError, match="no database at"):
        await backup(url, tmp_path / "files", tmp_path / "b.tar.gz")
    assert not (tmp_path / "absent.db").exists()


async def test_a_dead_process_row_alone_is_no_data_to_protect(
    engine: AsyncEngine, keyring: Keyring
) -> None:
    """A SIGKILLed process leaves its heartbeat row behind; that alone must not make restoring
    into an otherwise empty database need --force."""
    await upgrade_engine(engine)
    await announce(engine, "host:1:abc", "standby", HeldKeys.of(keyring))
    assert not await holds_data(engine)
