"""One archive holds a consistent database copy, the file store and a manifest; keys never.

An archive is a ``.tar.gz`` with ``manifest.json`` (time, schema revision, row counts, the key
ids the data needs, one sample ciphertext per key and column, and the SHA-256 of every part),
the database (``cebot.db`` for SQLite, ``database.pgdump`` for PostgreSQL when ``pg_dump`` is
available) and the encrypted blobs under ``files/``.

SQLite is copied with its online backup API, so a running bot keeps writing meanwhile. The
database is copied first and the files after it: files are only ever added, so every file the
copied database names is in the archive.

The keys are left out on purpose: an archive that carries its keys is plaintext for whoever
finds it on a backup disk. They are backed up once, separately (they change only on rotation),
and a restore first proves that the keys at hand decrypt a sample of every key the data uses.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from alembic.script import ScriptDirectory
from sqlalchemy import URL, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.ciphertexts import ENCRYPTED_COLUMNS, key_id_expression
from storage.crypto import DecryptionError, FieldCipher, Keyring
from storage.db import engine_schema, is_sqlite, make_engine, normalise_url, table_names
from storage.filestore import _write_atomically, file_context
from storage.migrate import current_revision, make_config
from storage.models import BotProcessRow, Model, StoredFileRow
from storage.rotation import file_key_id, stored_files

ARCHIVE_FORMAT: Final = 1
MANIFEST: Final = "manifest.json"
SQLITE_PART: Final = "cebot.db"
PG_PART: Final = "database.pgdump"
FILES_DIR: Final = "files"


class BackupError(Exception):
    """A backup or restore refused or failed; the message says what to do."""


@dataclass(frozen=True)
class Sample:
    """One ciphertext of the data with its context: a restore decrypts it to test the keys."""

    part: str
    context: str
    token: str


@dataclass
class Manifest:
    format: int
    created_at: str
    database: str
    schema_revision: str | None
    counts: dict[str, int]
    key_ids: list[str]
    samples: list[Sample]
    parts: dict[str, str]
    missing_files: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        try:
            data: dict[str, Any] = json.loads(text)
            data["samples"] = [Sample(**sample) for sample in data["samples"]]
            manifest = cls(**data)
        except (ValueError, TypeError, KeyError) as error:
            raise BackupError(f"{MANIFEST} is not a cebot manifest: {error}") from None
        if manifest.format != ARCHIVE_FORMAT:
            raise BackupError(f"archive format {manifest.format} is not {ARCHIVE_FORMAT}")
        return manifest


@dataclass
class BackupResult:
    path: Path
    manifest: Manifest
    pg_commands: list[str] = field(default_factory=list)
    """PostgreSQL without ``pg_dump`` on PATH: what the operator must run for the database."""


@dataclass
class RestoreResult:
    manifest: Manifest
    files_written: int
    pg_commands: list[str] = field(default_factory=list)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sqlite_path(url: str | URL) -> Path:
    database = normalise_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("only a SQLite database in a file can be backed up or restored")
    return Path(database).expanduser()


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy while other connections keep writing.

    Into a live target (a restore) it goes through the target's own connection, so its WAL and
    locks are honoured instead of a file being swapped under them.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


# --- what a database holds --------------------------------------------------------------------


@dataclass
class _Description:
    revision: str | None
    counts: dict[str, int]
    key_ids: set[str]
    samples: list[Sample]
    file_shas: set[str]


async def _describe(engine: AsyncEngine) -> _Description:
    revision = await current_revision(engine)
    async with engine.connect() as conn:
        present = await table_names(conn)
        counts: dict[str, int] = {}
        for table in Model.metadata.sorted_tables:
            if table.name in present:
                counts[table.name] = int(
                    (await conn.execute(select(func.count()).select_from(table))).scalar_one()
                )
        key_ids: set[str] = set()
        samples: list[Sample] = []
        for column in ENCRYPTED_COLUMNS:
            if column.table.name not in present:
                continue
            key_id = key_id_expression(column.value, engine.dialect)
            ids = (await conn.execute(select(key_id).distinct())).scalars().all()
            for kid in ids:
                key_ids.add(str(kid))
                row = (
                    await conn.execute(
                        select(*column.columns()).where(key_id == kid).order_by(column.id).limit(1)
                    )
                ).one()
                mapping = dict(row._mapping)
                samples.append(Sample(column.name, column.context(mapping), mapping[column.column]))
        shas: set[str] = set()
        if StoredFileRow.__tablename__ in present:
            shas = set((await conn.execute(select(StoredFileRow.sha256).distinct())).scalars())
    return _Description(revision, counts, key_ids, samples, shas)


NOT_DATA = frozenset({BotProcessRow.__tablename__})
"""Tables that describe running processes, not anything someone would miss."""


async def holds_data(engine: AsyncEngine) -> bool:
    """True if any table but Alembic's and ``NOT_DATA`` has a row: a database someone would miss
    if overwritten. A dead process's heartbeat row does not make an empty database precious."""
    async with engine.connect() as conn:
        present = await table_names(conn)
        for table in Model.metadata.sorted_tables:
            if table.name in present and table.name not in NOT_DATA:
                found = await conn.execute(select(func.count()).select_from(table))
                if found.scalar_one():
                    return True
    return False


# --- PostgreSQL tools -------------------------------------------------------------------------


def _libpq(url: str | URL) -> tuple[str, dict[str, str], str | None]:
    """A libpq connection URI without the password (which goes in PGPASSWORD) and the schema."""
    parsed = normalise_url(url)
    schema = parsed.query.get("search_path")
    # ``URL.set`` ignores None, so the password is dropped with the tuple's own ``_replace``.
    plain = parsed._replace(password=None).set(drivername="postgresql")
    plain = plain.difference_update_query(["search_path", "ssl"])
    ssl = parsed.query.get("ssl")  # asyncpg's name for what libpq calls sslmode
    if isinstance(ssl, str):
        plain = plain.update_query_dict({"sslmode": ssl})
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    return (
        plain.render_as_string(hide_password=False),
        env,
        schema if isinstance(schema, str) else None,
    )


def pg_dump_command(url: str | URL, target: str, schema: str | None = None) -> list[str]:
    uri, _, url_schema = _libpq(url)
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}"]
    if schema or url_schema:
        command.append(f"--schema={schema or url_schema}")
    return [*command, f"--dbname={uri}"]


def pg_restore_command(url: str | URL, source: str, *, clean: bool) -> list[str]:
    uri, _, _ = _libpq(url)
    command = ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction"]
    if clean:
        command += ["--clean", "--if-exists"]
    return [*command, f"--dbname={uri}", source]


def _run_tool(command: list[str], url: str | URL, executable: str) -> None:
    _, env, _ = _libpq(url)
    completed = subprocess.run(
        [executable, *command[1:]],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BackupError(f"{command[0]} failed: {completed.stderr.strip()[-2000:]}")


def _quoted(command: Sequence[str]) -> str:
    import shlex

    return " ".join(shlex.quote(part) for part in command)


# --- backup -----------------------------------------------------------------------------------


async def backup(
    database_url: str,
    files_root: Path,
    dest: Path,
    *,
    pg_dump: str | None = None,
    now: datetime | None = None,
) -> BackupResult:
    """Writes the archive at ``dest`` (atomically: a half-written archive never has the name).

    On PostgreSQL the dump is made with ``pg_dump`` (the path given, usually ``shutil.which``);
    with none the archive holds the files only and the result names the command to run.
    """
    created = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".cebot-backup-") as work_dir:
        work = Path(work_dir)
        parts: dict[str, str] = {}
        pg_commands: list[str] = []
        if is_sqlite(database_url):
            kind = "sqlite"
            snapshot = work / SQLITE_PART
            live = sqlite_path(database_url)
            if not live.is_file():  # sqlite3.connect would create an empty one and back that up
                raise BackupError(f"there is no database at {live}")
            await asyncio.to_thread(_sqlite_copy, live, snapshot)
            engine = make_engine(f"sqlite+aiosqlite:///{snapshot}")
            try:
                described = await _describe(engine)
            finally:
                await engine.dispose()
            await asyncio.to_thread(_sqlite_single_file, snapshot)
            parts[SQLITE_PART] = await asyncio.to_thread(_sha256_file, snapshot)
        else:
            kind = "postgresql"
            engine = make_engine(database_url)
            try:
                described = await _describe(engine)
                schema = engine_schema(engine)
            finally:
                await engine.dispose()
            if pg_dump is not None:
                command = pg_dump_command(database_url, str(work / PG_PART), schema)
                await asyncio.to_thread(_run_tool, command, database_url, pg_dump)
                parts[PG_PART] = await asyncio.to_thread(_sha256_file, work / PG_PART)
            else:
                pg_commands.append(_quoted(pg_dump_command(database_url, f"{dest}.pgdump", schema)))
        blobs = list(stored_files(files_root))
        for blob in blobs:
            parts[
                f"{FILES_DIR}/{blob.relative_to(files_root).as_posix()}"
            ] = await asyncio.to_thread(_sha256_file, blob)
        for blob in blobs:
            with blob.open("rb") as handle:
                kid = file_key_id(handle.read(260))
            if kid is not None and kid not in described.key_ids:
                described.key_ids.add(kid)
        present = {blob.name for blob in blobs}
        manifest = Manifest(
            format=ARCHIVE_FORMAT,
            created_at=created,
            database=kind,
            schema_revision=described.revision,
            counts={**described.counts, "files": len(blobs)},
            key_ids=sorted(described.key_ids),
            samples=described.samples,
            parts=parts,
            missing_files=sorted(described.file_shas - present),
        )
        (work / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        temp = work / "archive.tar.gz"
        await asyncio.to_thread(_write_archive, temp, work, files_root, blobs, parts)
        os.chmod(temp, 0o600)
        os.replace(temp, dest)
    return BackupResult(dest, manifest, pg_commands)


def _sqlite_single_file(path: Path) -> None:
    """A copy in rollback-journal mode: everything in the one file, ready to hash and archive."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def _write_archive(
    target: Path, work: Path, files_root: Path, blobs: list[Path], parts: dict[str, str]
) -> None:
    with tarfile.open(target, "w:gz") as archive:
        archive.add(work / MANIFEST, arcname=MANIFEST)
        for name in (SQLITE_PART, PG_PART):
            if name in parts:
                archive.add(work / name, arcname=name)
        for blob in blobs:
            archive.add(blob, arcname=f"{FILES_DIR}/{blob.relative_to(files_root).as_posix()}")


# --- restore ----------------------------------------------------------------------------------


def read_manifest(source: Path) -> Manifest:
    with tarfile.open(source, "r:gz") as archive:
        try:
            member = archive.getmember(MANIFEST)
        except KeyError:
            raise BackupError(f"{source} has no {MANIFEST}: not a cebot backup") from None
        handle = archive.extractfile(member)
        if handle is None:
            raise BackupError(f"{MANIFEST} in {source} is not a file")
        return Manifest.from_json(handle.read().decode("utf-8"))


def _extract_verified(source: Path, work: Path) -> Manifest:
    """Unpacks into ``work`` only the members the manifest names, each hash checked."""
    manifest = read_manifest(source)
    expected = {MANIFEST, *manifest.parts}
    with tarfile.open(source, "r:gz") as archive:
        members = archive.getmembers()
        names = {member.name for member in members}
        unexpected = sorted(names - expected)
        if unexpected:
            raise BackupError(
                f"the archive holds parts its manifest does not name: {unexpected[:5]}"
            )
        missing = sorted(expected - names)
        if missing:
            raise BackupError(f"the archive lacks parts its manifest names: {missing[:5]}")
        if any(not member.isfile() for member in members):
            raise BackupError("the archive holds something other than regular files")
        archive.extractall(work, filter="data")
    for name, digest in manifest.parts.items():
        if _sha256_file(work / name) != digest:
            raise BackupError(f"{name} in the archive does not match its SHA-256: damaged archive")
    return manifest


def _check_keys(manifest: Manifest, keyring: Keyring, work: Path) -> None:
    cipher = FieldCipher(keyring)
    known = set(keyring.encryption_keys)
    lacking = sorted(set(manifest.key_ids) - known)
    if lacking:
        raise BackupError(
            f"the backup needs the keys {lacking}, which the current keys lack "
            f"(current: {sorted(known)}): set CEBOT_SECRET_KEYS or the key file to the keys "
            "that were in use when the backup was made"
        )
    for sample in manifest.samples:
        try:
            cipher.decrypt(sample.token, context=sample.context)
        except DecryptionError:
            raise BackupError(
                f"a sample of {sample.part} does not decrypt with the current keys: "
                "a key with the same id but other material, or a damaged backup"
            ) from None
    seen: set[str | None] = set()
    for path in stored_files(work / FILES_DIR):
        blob = path.read_bytes()
        kid = file_key_id(blob)
        if kid in seen:
            continue
        seen.add(kid)
        try:
            cipher.decrypt_bytes(blob, context=file_context(path.name))
        except DecryptionError:
            raise BackupError(
                f"stored file {path.name} does not decrypt with the current keys"
            ) from None


def _known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(make_config())
    return {revision.revision for revision in script.walk_revisions()}


async def restore(
    database_url: str,
    files_root: Path,
    source: Path,
    keyring: Keyring,
    *,
    force: bool = False,
    pg_restore: str | None = None,
) -> RestoreResult:
    """Puts an archive back, after checking it whole: hashes, schema, keys, an empty target.

    The bot must be stopped: the database is replaced under it. The archive's blobs are written
    into the store; one already there under the same name but other bytes (the same plaintext
    under a newer key) is replaced too, so everything restored reads with the keys just checked.
    Files the backup does not have are left alone.
    """
    with tempfile.TemporaryDirectory(prefix=".cebot-restore-") as work_dir:
        work = Path(work_dir)
        manifest = await asyncio.to_thread(_extract_verified, source, work)
        revision = manifest.schema_revision
        if revision is not None and revision not in _known_revisions():
            raise BackupError(
                f"the backup is at schema revision {revision}, unknown to this cebot: "
                "restore it with the version that made it, or a newer one"
            )
        target_sqlite = is_sqlite(database_url)
        if target_sqlite != (manifest.database == "sqlite"):
            raise BackupError(
                f"the backup is of a {manifest.database} database; CEBOT_DATABASE_URL is not"
            )
        if target_sqlite and SQLITE_PART not in manifest.parts:
            raise BackupError(f"the archive holds no {SQLITE_PART}: nothing to restore")
        await asyncio.to_thread(_check_keys, manifest, keyring, work)
        engine = make_engine(database_url)
        try:
            if await holds_data(engine) and not force:
                raise BackupError(
                    "the target database already holds data; stop the bot and add --force "
                    "to replace it with the backup"
                )
        finally:
            await engine.dispose()
        pg_commands: list[str] = []
        if target_sqlite:
            await asyncio.to_thread(_sqlite_copy, work / SQLITE_PART, sqlite_path(database_url))
        elif PG_PART in manifest.parts and pg_restore is not None:
            command = pg_restore_command(database_url, str(work / PG_PART), clean=force)
            await asyncio.to_thread(_run_tool, command, database_url, pg_restore)
        elif PG_PART in manifest.parts:
            kept = source.with_name(source.name + ".pgdump")
            shutil.copyfile(work / PG_PART, kept)
            pg_commands.append(_quoted(pg_restore_command(database_url, str(kept), clean=force)))
        else:
            pg_commands.append("the archive holds no database dump: restore it from pg_dump's")
        written = await asyncio.to_thread(_restore_files, work / FILES_DIR, files_root)
    return RestoreResult(manifest, written, pg_commands)


def _restore_files(unpacked: Path, files_root: Path) -> int:
    written = 0
    for path in stored_files(unpacked):
        relative = path.relative_to(unpacked)
        target = files_root / relative
        blob = path.read_bytes()
        if target.is_file() and target.read_bytes() == blob:
            continue
        files_root.mkdir(parents=True, exist_ok=True, mode=0o700)
        target.parent.parent.mkdir(exist_ok=True, mode=0o700)
        target.parent.mkdir(exist_ok=True, mode=0o700)
        _write_atomically(target, blob)
        written += 1
    return written
