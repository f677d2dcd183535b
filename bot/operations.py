"""The operator's commands: ``cebot backup``, ``cebot restore`` and ``cebot keys …``.

Kept out of bot/cli.py, which only adds these sub-commands to its parser and hands them here.
Key material is never printed except where the operator asks for a new keyring to put in
``CEBOT_SECRET_KEYS`` themselves (``cebot keys new`` without a key file).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import Root, files_root
from bot.config import Settings
from storage.backup import BackupError, backup, restore
from storage.crypto import ENV_VAR, KEY_FILE_NAME, KeyConfigError, Keyring
from storage.processes import Census, HeldKeys, ProcessRecord, census, unfit_for_rotation
from storage.rotation import (
    keyring_summary,
    keys_in_use,
    next_key_id,
    reindex,
    rotate,
    with_new_index_key,
    without_key,
    write_key_file,
)

COMMANDS = frozenset({"backup", "restore", "keys"})
ARCHIVE_GLOB = "cebot-*.tar.gz"


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = commands.add_parser(
        "backup", help="archive the database and the file store (never the keys)"
    )
    backup.add_argument(
        "dest", help="archive file, or a directory to hold cebot-<UTC time>.tar.gz archives"
    )
    backup.add_argument(
        "--keep", type=int, help="with a directory: delete all but the newest N archives"
    )
    backup.add_argument(
        "--no-pg-dump",
        action="store_true",
        help="PostgreSQL: archive the files only and print the pg_dump command",
    )
    restore = commands.add_parser("restore", help="put a backup back (stop the bot first)")
    restore.add_argument("src", help="an archive made by cebot backup")
    restore.add_argument(
        "--force", action="store_true", help="replace a database that already holds data"
    )
    keys = commands.add_parser("keys", help="encryption keys: new, rotate, status, retire, reindex")
    actions = keys.add_subparsers(dest="keys_action", required=True)
    new = actions.add_parser("new", help="add a fresh key and make it the active one")
    how = new.add_mutually_exclusive_group()
    how.add_argument("--id", help="the new key's id (default: k<n+1>)")
    how.add_argument(
        "--index",
        action="store_true",
        help="replace the blind-index key instead (bot stopped; then cebot keys reindex)",
    )
    reindex = actions.add_parser(
        "reindex", help="recompute the blind indexes after keys new --index (bot stopped)"
    )
    reindex.add_argument("--batch-size", type=int, default=500)
    rotate = actions.add_parser(
        "rotate", help="re-encrypt every field and file still under an older key"
    )
    rotate.add_argument("--batch-size", type=int, default=500)
    rotate.add_argument(
        "--force",
        action="store_true",
        help="rotate even though a running cebot process lacks the active key "
        "(it will fail to read what is rewritten until restarted)",
    )
    actions.add_parser(
        "status",
        help="which keys the data uses, per table and for files, and which keys "
        "each running cebot process holds",
    )
    retire = actions.add_parser("retire", help="drop a key that no ciphertext uses any more")
    retire.add_argument("key_id")


def main(settings: Settings, args: argparse.Namespace) -> int:
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its set-up chatter is not news here
    try:
        if args.command == "backup":
            return _backup(settings, args)
        if args.command == "restore":
            source = Path(args.src)
            if not source.is_file():
                print(f"cebot: {source} is not a file", file=sys.stderr)
                return 1
            if settings.secret_keys is None and not _key_file(settings).is_file():
                # load_keyring would make a fresh key file, which can read nothing in the backup.
                print(
                    f"cebot: no keys: put the backed-up {KEY_FILE_NAME} in {settings.data_dir} "
                    f"(or set {ENV_VAR}) before restoring",
                    file=sys.stderr,
                )
                return 1
            return asyncio.run(_restore(settings, source, force=args.force))
        return asyncio.run(_keys(settings, args))
    except KeyConfigError as error:
        print(f"cebot: {error}", file=sys.stderr)
        return 2


def _archive_path(dest: str, now: datetime) -> Path:
    """A directory (existing, or named with a trailing slash) gets a time-stamped archive."""
    path = Path(dest)
    if path.is_dir() or dest.endswith(("/", os.sep)):
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path / f"cebot-{now:%Y%m%dT%H%M%SZ}.tar.gz"
    return path


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    if args.keep is not None and args.keep < 1:
        print("cebot: --keep must be at least 1", file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    target = _archive_path(args.dest, now)
    dest = Path(args.dest)
    pg_dump = None if args.no_pg_dump else shutil.which("pg_dump")
    files = files_root(settings)
    try:
        result = asyncio.run(backup(settings.database_url, files, target, pg_dump=pg_dump, now=now))
    except BackupError as error:
        print(f"cebot: {error}", file=sys.stderr)
        return 1
    manifest = result.manifest
    counts = ", ".join(f"{name} {n}" for name, n in sorted(manifest.counts.items()) if n)
    print(f"backup written: {result.path}")
    print(f"schema {manifest.schema_revision}; keys needed: {', '.join(manifest.key_ids) or '-'}")
    print(f"rows and files: {counts or 'none'}")
    print("the keys are NOT in the archive: back them up separately (see docs/deploy.md)")
    if manifest.missing_files:
        print(
            f"warning: {len(manifest.missing_files)} files the database names are not in the "
            f"file store: {', '.join(manifest.missing_files[:5])}",
            file=sys.stderr,
        )
    for command in result.pg_commands:
        print(f"pg_dump is not used: back the database up with\n  {command}")
    if args.keep is not None and target.parent == dest:
        for old in sorted(dest.glob(ARCHIVE_GLOB))[: -args.keep]:
            old.unlink()
            print(f"deleted old backup {old}")
    return 0


class BotRunning(Exception):
    """A ``cebot run`` is running, active or standing by: what was asked needs every process
    stopped."""


@asynccontextmanager
async def _bot_stopped(root: Root, what: str) -> AsyncIterator[None]:
    """Holds the active process's lease meanwhile, so that none becomes active under us, after
    checking that no process, standbys included, is announced in ``bot_processes``.

    A process of a cebot older than the table announces nothing, and one started after the check
    stands by until we are done and then takes over: hence "stop every process" in docs/deploy.md.
    """
    lease = root.lease()
    leased = await lease.try_acquire()
    try:
        found = await census(root.engine)
        running = found.live if found is not None else []
        listed = "".join(f"\n  {_described(p, found.now)}" for p in running) if found else ""
        if not leased:
            also = f"; running:{listed}" if running else ""
            raise BotRunning(
                f"a cebot run is active on this database (it holds the lease){also}\n"
                f"stop every cebot process before {what}"
            )
        if running:
            raise BotRunning(
                f"cebot processes are running on this database, standing by or active:"
                f"{listed}\nstop every cebot process before {what}"
            )
        yield
    finally:
        if leased:
            await lease.release()


def _described(process: ProcessRecord, now: datetime) -> str:
    """``host:pid:id (standby, keys k1 k2, encrypts under k2, seen 2 s ago)``: ids, never keys."""
    seen = max(0.0, process.silent_for(now).total_seconds())
    return (
        f"{process.process_id} ({process.role}, keys {' '.join(process.keys.keys)}, "
        f"encrypts under {process.keys.active_key_id}, seen {seen:.0f} s ago)"
    )


async def _restore(settings: Settings, source: Path, *, force: bool) -> int:
    try:
        async with Root(settings) as root, _bot_stopped(root, "a restore"):
            result = await restore(
                settings.database_url,
                root.files_root,
                source,
                root.keyring,
                force=force,
                pg_restore=shutil.which("pg_restore"),
            )
    except (BackupError, BotRunning) as error:
        print(f"cebot: {error}", file=sys.stderr)
        return 1
    manifest = result.manifest
    print(f"restored the backup of {manifest.created_at} (schema {manifest.schema_revision})")
    print(f"{result.files_written} files written to {files_root(settings)}")
    for command in result.pg_commands:
        print(f"restore the database with\n  {command}")
    if manifest.database == "postgresql":
        print("then run: cebot db upgrade")
    return 0


async def _keys(settings: Settings, args: argparse.Namespace) -> int:
    async with Root(settings) as root:
        if args.keys_action == "new":
            if args.index:
                return _new_index_key(root)
            return _new_key(root, args.id)
        if args.keys_action == "reindex":
            return await _reindex(root, args.batch_size)
        if args.keys_action == "retire":
            return await _retire(root, args.key_id)
        if args.keys_action == "status":
            return await _status(root)
        return await _rotate(root, args.batch_size, force=args.force)


def _key_file(settings: Settings) -> Path:
    return settings.data_dir / KEY_FILE_NAME


def _save_keyring(settings: Settings, keyring: Keyring, what: str) -> None:
    """Key file: rewritten in place (the old one kept as .bak). Environment: printed for the
    operator to store, since a process cannot change its own environment's source."""
    if settings.secret_keys is None:
        write_key_file(_key_file(settings), keyring)
        print(f"{what}; {_key_file(settings)} now holds {keyring_summary(keyring)}")
        print("back the key file up now, then restart every cebot process")
        return
    print(f"{what}. Put this JSON in {ENV_VAR} everywhere cebot runs:", file=sys.stderr)
    print(keyring.to_json())
    print("then restart every cebot process", file=sys.stderr)


def _new_key(root: Root, key_id: str | None) -> int:
    keyring = root.keyring
    chosen = key_id or next_key_id(keyring)
    rotated = keyring.with_new_active_key(chosen)
    _save_keyring(root.settings, rotated, f"new key {chosen} is active")
    print("after the restart: cebot keys rotate", file=sys.stderr)
    return 0


def _new_index_key(root: Root) -> int:
    _save_keyring(root.settings, with_new_index_key(root.keyring), "new blind-index key")
    print(
        "with every cebot process still stopped: cebot keys reindex, then start them",
        file=sys.stderr,
    )
    return 0


async def _reindex(root: Root, batch_size: int) -> int:
    def progress(part: str, done: int) -> None:
        print(f"{part}: {done} rewritten", flush=True)

    try:
        async with _bot_stopped(root, "reindexing"):
            report = await reindex(
                root.engine, root.cipher, batch_size=batch_size, progress=progress
            )
    except BotRunning as error:
        print(f"cebot: {error}", file=sys.stderr)
        return 1
    print(f"done: {report.total_rotated} blind indexes rewritten")
    if report.total_unreadable:
        print(
            f"cebot: {report.total_unreadable} rows do not decrypt; their index is unchanged",
            file=sys.stderr,
        )
        return 1
    return 0


async def _status(root: Root) -> int:
    keyring = root.keyring
    used = await keys_in_use(root.engine, root.files_root)
    found = await census(root.engine)
    print(
        f"active key: {keyring.active_key_id}; known: {', '.join(sorted(keyring.encryption_keys))}"
    )
    stale = 0
    for part, counts in used.items():
        shown = ", ".join(f"{k} {n}" for k, n in sorted(counts.items())) or "empty"
        print(f"{part}: {shown}")
        stale += sum(n for k, n in counts.items() if k != keyring.active_key_id)
    print(f"{stale} ciphertexts not under the active key")
    _print_processes(found, HeldKeys.of(keyring))
    return 0


def _print_processes(found: Census | None, keys: HeldKeys) -> None:
    """The running processes and their keys, each checked against the keyring at hand."""
    if found is None:
        print("running processes: unknown (no bot_processes table: run cebot db upgrade)")
        return
    print(f"running processes: {len(found.live)}")
    unfit = {p.process_id: why for p, why in unfit_for_rotation(found.live, keys)}
    for process in found.live:
        notes = []
        if process.process_id in unfit:
            notes.append(f"{unfit[process.process_id]}: restart it before cebot keys rotate")
        if process.keys.index != keys.index:
            notes.append("its blind-index key differs from this keyring's")
        line = f"  {_described(process, found.now)}"
        print(line + "".join(f"; {note}" for note in notes))
    if found.dead:
        print(
            f"{len(found.dead)} more stopped answering without a clean stop (killed, or cut off "
            "from the database): ignored"
        )


async def _rotate(root: Root, batch_size: int, *, force: bool) -> int:
    keyring = root.keyring

    def progress(part: str, done: int) -> None:
        print(f"{part}: {done} re-encrypted", flush=True)

    if not await _processes_ready(root.engine, keyring, force=force):
        return 1
    print(f"re-encrypting under {keyring.active_key_id} in batches of {batch_size}", flush=True)
    report = await rotate(
        root.engine, root.cipher, root.files_root, batch_size=batch_size, progress=progress
    )
    for part in report.rotated:
        line = f"{part}: {report.rotated[part]} re-encrypted"
        if report.changed_meanwhile[part]:
            line += f", {report.changed_meanwhile[part]} rewritten by the bot meanwhile"
        if report.unreadable[part]:
            line += f", {report.unreadable[part]} UNREADABLE"
        print(line)
    print(f"done: {report.total_rotated} re-encrypted under {keyring.active_key_id}")
    if report.total_unreadable:
        print(
            f"cebot: {report.total_unreadable} ciphertexts decrypt with no key at hand; "
            "they stay as they are",
            file=sys.stderr,
        )
        return 1
    return 0


async def _processes_ready(engine: AsyncEngine, keyring: Keyring, *, force: bool) -> bool:
    """Whether every running process can read (and writes) what a rotation writes; if not, says
    which cannot and why, and goes on only with ``--force``."""
    active = keyring.active_key_id
    found = await census(engine)
    if found is None:
        problem = (
            "cannot tell which keys the running cebot processes hold: the database has no "
            "bot_processes table (run cebot db upgrade first)"
        )
        if not force:
            print(f"cebot: {problem}; --force rotates anyway", file=sys.stderr)
            return False
        print(f"warning: {problem}; rotating anyway (--force)", file=sys.stderr)
        return True
    unfit = unfit_for_rotation(found.live, HeldKeys.of(keyring))
    if not unfit:
        print(f"running cebot processes: {len(found.live)}, each holds {active}", flush=True)
        return True
    listed = "".join(f"\n  {_described(p, found.now)}: {why}" for p, why in unfit)
    if not force:
        print(
            f"cebot: not every running cebot process is ready for {active}:{listed}\n"
            "restart them with the new keys first (docs/deploy.md, Key rotation, step 2); "
            "--force rotates anyway",
            file=sys.stderr,
        )
        return False
    print(
        f"warning: rotating under {active} although not every running process is ready (--force); "
        f"until restarted they fail to read every value rewritten:{listed}",
        file=sys.stderr,
    )
    return True


async def _retire(root: Root, key_id: str) -> int:
    try:
        smaller = without_key(root.keyring, key_id)
    except ValueError as error:
        print(f"cebot: {error}", file=sys.stderr)
        return 1
    used = await keys_in_use(root.engine, root.files_root)
    still = {part: counts[key_id] for part, counts in used.items() if counts.get(key_id)}
    if still:
        listed = ", ".join(f"{part} {n}" for part, n in still.items())
        print(f"cebot: {key_id} still encrypts {listed}; run cebot keys rotate", file=sys.stderr)
        return 1
    _save_keyring(root.settings, smaller, f"key {key_id} retired")
    return 0
