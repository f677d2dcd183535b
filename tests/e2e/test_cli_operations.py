"""``cebot backup``, ``cebot restore`` and ``cebot keys …`` as real processes, as an operator
runs them: on SQLite with the key file, on PostgreSQL with the keys in ``CEBOT_SECRET_KEYS``."""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.lease import lease_for
from domain.clock import FixedClock
from storage.crypto import KEY_FILE_NAME, FieldCipher, Keyring
from storage.db import is_sqlite
from storage.filestore import LocalFileStore
from storage.passwords import Argon2PasswordHasher
from storage.rotation import write_key_file
from storage.uow import UnitOfWorkFactory
from tests.e2e.test_cli_reviewer import cebot
from tests.services.helpers import ID_ALICE
from tests.storage.test_rotation import FILE_CONTENTS, fill

TOTAL = 6 + 6 + 3 + 4 + 3  # id numbers, mobiles, learners, conversation rows, files


async def test_backup_rotate_retire_and_restore(
    database_url: str,
    uow_factory: UnitOfWorkFactory,
    engine: AsyncEngine,
    keyring: Keyring,
    tmp_path: Path,
    hasher: Argon2PasswordHasher,
    clock: FixedClock,
) -> None:
    data = tmp_path / "data"
    key_file = data / KEY_FILE_NAME
    in_file = is_sqlite(engine)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEBOT_")}
    env.update(CEBOT_DATABASE_URL=database_url, CEBOT_DATA_DIR=str(data))
    if in_file:
        write_key_file(key_file, keyring)
    else:
        env["CEBOT_SECRET_KEYS"] = keyring.to_json()
    shas = await fill(uow_factory, engine, data / "files", hasher, clock)

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
    blobs = LocalFileStore(data / "files", FieldCipher(keyring))
    assert [await blobs.get(sha) for sha in shas] == list(FILE_CONTENTS)
