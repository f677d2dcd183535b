"""``cebot backup``, ``cebot restore`` and ``cebot keys …`` as real processes, as an operator
runs them: on SQLite with the key file, on PostgreSQL with the keys in ``CEBOT_SECRET_KEYS``."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import lease_for
from storage.crypto import KEY_FILE_NAME, FieldCipher, Keyring
from storage.db import is_sqlite
from storage.filestore import LocalFileStore
from storage.models import BotProcessRow
from storage.processes import (
    MISSED_HEARTBEATS,
    STANDBY,
    HeldKeys,
    ProcessRecord,
    announce,
    census,
    withdraw,
)
from storage.rotation import write_key_file
from storage.uow import UnitOfWorkFactory
from tests.e2e.test_cli_reviewer import cebot
from tests.services.helpers import ID_ALICE
from tests.storage.filled import FILE_CONTENTS, Filled

TOTAL = 6 + 6 + 3 + 4 + 3  # id numbers, mobiles, learners, conversation rows, files


async def test_backup_rotate_retire_and_restore(
    database_url: str, filled: Filled, engine: AsyncEngine, keyring: Keyring, tmp_path: Path
) -> None:
    data = filled.data
    key_file = data / KEY_FILE_NAME
    in_file = is_sqlite(engine)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEBOT_")}
    env.update(CEBOT_DATABASE_URL=database_url, CEBOT_DATA_DIR=str(data))
    if in_file:
        write_key_file(key_file, keyring)
    else:
        env["CEBOT_SECRET_KEYS"] = keyring.to_json()

    code, out, err = await cebot(env, "keys", "status")
    assert code == 0, err
    assert "users.id_number_enc: k1 6" in out and "files: k1 3" in out
    assert "0 ciphertexts not under the active key" in out

    code, out, err = await cebot(env, "backup", str(tmp_path / "backups") + "/")
    assert code == 0, err
    assert "keys needed: k1" in out and "users 6" in out and "files 3" in out
    assert "NOT in the archive" in out
    (archive,) = (tmp_path / "backups").glob("cebot-*.tar.gz")

    code, out, err = await cebot(env, "keys", "new")
    assert code == 0, err
    if in_file:
        assert '"active": "k2"' in out
        assert Keyring.from_json(key_file.read_text()).active_key_id == "k2"
        assert Keyring.from_json(key_file.with_name("keys.json.1.bak").read_text()) == keyring
        assert key_file.stat().st_mode & 0o077 == 0
    else:
        assert "CEBOT_SECRET_KEYS" in err
        env["CEBOT_SECRET_KEYS"] = out  # what the operator stores and restarts with
    rotated = Keyring.from_json(key_file.read_text()) if in_file else Keyring.from_json(out)
    assert rotated.index_key == keyring.index_key and rotated.active_key_id == "k2"

    code, out, err = await cebot(env, "keys", "retire", "k1")
    assert code == 1 and "k1 still encrypts" in err  # nothing rotated yet: refused

    code, out, err = await cebot(env, "keys", "rotate", "--batch-size", "2")
    assert code == 0, err
    assert f"done: {TOTAL} re-encrypted under k2" in out
    assert "users.mobile_enc: 2 re-encrypted" in out  # progress, batch by batch
    code, out, err = await cebot(env, "keys", "rotate")
    assert code == 0 and "done: 0 re-encrypted" in out  # re-run: nothing left

    code, out, err = await cebot(env, "keys", "retire", "k1")
    assert code == 0, err
    if not in_file:
        env["CEBOT_SECRET_KEYS"] = out
    only_k2 = Keyring.from_json(key_file.read_text() if in_file else out)
    assert set(only_k2.encryption_keys) == {"k2"}
    async with UnitOfWorkFactory(engine, FieldCipher(only_k2))(readonly=True) as uow:
        assert await uow.users.get_by_id_number(ID_ALICE) is not None

    # The backup was made under k1: with k1 retired it cannot be read, and restore says so.
    code, out, err = await cebot(env, "restore", str(archive), "--force")
    assert code == 1 and "needs the keys ['k1']" in err
    # With the keys of its time (kept beside the backups), it goes back over the live data.
    env_old = {**env, "CEBOT_SECRET_KEYS": keyring.to_json()}
    active = lease_for(engine, data)  # as a running ``cebot run`` holds it
    assert await active.try_acquire()
    try:
        code, out, err = await cebot(env_old, "restore", str(archive), "--force")
        assert code == 1 and "a cebot run is active" in err
    finally:
        await active.release()
    code, out, err = await cebot(env_old, "restore", str(archive))
    assert code == 1 and "already holds data" in err
    code, out, err = await cebot(env_old, "restore", str(archive), "--force")
    assert code == 0, err
    # The live blobs are under k2 now: the backup's k1 blobs replace them, so that everything is
    # readable with the keys restore has just checked.
    assert "restored the backup of" in out and "3 files written" in out
    code, out, err = await cebot(env_old, "keys", "status")
    assert code == 0, err
    assert re.search(r"users\.id_number_enc: k1 6\n", out)  # the data as it was at the backup
    await engine.dispose()  # PostgreSQL: the restore replaced the schema under the pool
    async with UnitOfWorkFactory(engine, FieldCipher(keyring))(readonly=True) as uow:
        alice = await uow.users.get_by_id_number(ID_ALICE)
        assert alice is not None and alice.mobile == "13812345678"
    blobs = LocalFileStore(filled.files, FieldCipher(keyring))
    assert [await blobs.get(sha) for sha in filled.shas] == list(FILE_CONTENTS)


async def test_rotate_restore_and_reindex_see_standbys_and_old_keyrings(
    database_url: str, filled: Filled, engine: AsyncEngine, keyring: Keyring, tmp_path: Path
) -> None:
    """The case docs/deploy.md warns about, checked: a standby still running with the old keys.

    The test holds the lease as the active process would, so a real ``cebot run`` stands by (it
    never needs Telegram); it announces itself with the keys it started with.
    """
    data = filled.data
    key_file = data / KEY_FILE_NAME
    in_file = is_sqlite(engine)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEBOT_")}
    env.update(
        CEBOT_DATABASE_URL=database_url,
        CEBOT_DATA_DIR=str(data),
        CEBOT_TELEGRAM_TOKEN="123:standby-only",
        CEBOT_BOT_API_URL="http://127.0.0.1:9",  # never reached: the test holds the lease
    )
    if in_file:
        write_key_file(key_file, keyring)
    else:
        env["CEBOT_SECRET_KEYS"] = keyring.to_json()
    active = lease_for(engine, data)
    assert await active.try_acquire()
    standbys: list[Standby] = []
    try:
        old = await Standby.start(env, tmp_path, engine, "old")
        standbys.append(old)
        assert old.record.role == STANDBY and old.record.keys == HeldKeys.of(keyring)

        code, out, err = await cebot(env, "keys", "new")
        assert code == 0, err
        if not in_file:
            env["CEBOT_SECRET_KEYS"] = out
        rotated = Keyring.from_json(key_file.read_text() if in_file else out)

        code, out, err = await cebot(env, "keys", "status")
        assert code == 0, err
        assert "running processes: 1" in out
        described = rf"{re.escape(old.record.process_id)} \(standby, keys k1, encrypts under k1"
        assert re.search(
            described
            + r", seen \d+ s ago\); does not hold k2: restart it before cebot keys rotate",
            out,
        ), out

        code, out, err = await cebot(env, "keys", "rotate")
        assert code == 1 and "done" not in out
        assert "not every running cebot process is ready for k2" in err
        assert f"{old.record.process_id} (standby" in err and ": does not hold k2" in err
        assert "--force" in err
        status = await _status(env)
        assert "users.id_number_enc: k1 6" in status  # nothing was rewritten

        # Restarted with the new keys, as docs/deploy.md says: rotate goes ahead.
        await old.stop()
        new = await Standby.start(env, tmp_path, engine, "new")
        standbys.append(new)
        assert new.record.keys == HeldKeys.of(rotated)
        code, out, err = await cebot(env, "keys", "rotate")
        assert code == 0, err
        assert "running cebot processes: 1, each holds k2" in out
        assert f"done: {TOTAL} re-encrypted under k2" in out

        # The active process holds the lease and a standby runs: restore names them both ways.
        archive = tmp_path / "none.tar.gz"
        archive.write_bytes(b"not looked at: refused before")
        code, out, err = await cebot(env, "restore", str(archive), "--force")
        assert code == 1 and "a cebot run is active" in err
        assert f"running:\n  {new.record.process_id} (standby" in err
        await new.stop()
    finally:
        for standby in standbys:
            await standby.stop()
        await active.release()

    # No lease held, yet a process on another host is announced (mid-start, or its lease on
    # another connection): restore and reindex refuse on the announcement alone.
    elsewhere = "host-b:77:abcdef01"
    await announce(engine, elsewhere, STANDBY, HeldKeys.of(rotated))
    for command in (("restore", str(archive), "--force"), ("keys", "reindex")):
        code, out, err = await cebot(env, *command)
        assert code == 1, (command, out, err)
        assert "cebot processes are running on this database, standing by or active" in err
        assert f"{elsewhere} (standby, keys k1 k2, encrypts under k2" in err
        assert "stop every cebot process before" in err
    await withdraw(engine, elsewhere)

    # A process killed with SIGKILL leaves its row: ignored once it missed three heartbeats.
    killed = "host-c:78:deadbeef"
    await announce(engine, killed, STANDBY, HeldKeys.of(keyring))
    code, out, err = await cebot(env, "keys", "reindex")
    assert code == 1 and killed in err  # just seen: it may be alive
    found = await census(engine)
    assert found is not None
    (row,) = found.live
    async with engine.begin() as conn:  # as if it had been killed three heartbeats ago
        await conn.execute(
            update(BotProcessRow)
            .where(BotProcessRow.process_id == killed)
            .values(seen_at=row.seen_at - row.heartbeat * MISSED_HEARTBEATS - timedelta(seconds=1))
        )
    code, out, err = await cebot(env, "keys", "reindex")
    assert code == 0, err
    assert "done: 0 blind indexes rewritten" in out
    code, out, err = await cebot(env, "keys", "status")
    assert "running processes: 0" in out
    assert "1 more stopped answering without a clean stop" in out
    code, out, err = await cebot(env, "keys", "rotate")
    assert code == 0 and "running cebot processes: 0, each holds k2" in out


async def _status(env: dict[str, str]) -> str:
    code, out, err = await cebot(env, "keys", "status")
    assert code == 0, err
    return out


class Standby:
    """A real ``cebot run`` standing by behind the test's lease, and its row in bot_processes."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        log: Path,
        engine: AsyncEngine,
        record: ProcessRecord,
    ) -> None:
        self.process = process
        self.log = log
        self.engine = engine
        self.record = record

    @classmethod
    async def start(cls, env: dict[str, str], cwd: Path, engine: AsyncEngine, name: str) -> Standby:
        log = cwd / f"standby-{name}.log"
        with log.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                env=env,
                cwd=cwd,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
            )
        deadline = time.monotonic() + 60
        while True:
            found = await census(engine)
            mine = [r for r in found.live if f":{process.pid}:" in r.process_id] if found else []
            if mine:
                return cls(process, log, engine, mine[0])
            if process.returncode is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"no row from cebot run:\n{log.read_text()}")
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        """SIGTERM, as systemd stops it: a standby exits cleanly and takes its row along."""
        if self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 20)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise
        assert self.process.returncode == 0, self.log.read_text()
        found = await census(self.engine)
        assert found is not None
        assert self.record.process_id not in {r.process_id for r in found.live + found.dead}
