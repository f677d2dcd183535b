"""``storage.rotation`` on SQLite and PostgreSQL: everything moves to the new key, resumably,
while writes keep coming, and the bot's look-ups (blind index, login) keep working."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.services import auth
from storage.ciphertexts import ENCRYPTED_COLUMNS
from storage.crypto import DecryptionError, FieldCipher, Keyring
from storage.db import write_engine
from storage.filestore import LocalFileStore
from storage.kv import PersistenceStore
from storage.processes import STANDBY, HeldKeys, announce, census, unfit_for_rotation
from storage.rotation import (
    FILES,
    _swap,
    keys_in_use,
    next_key_id,
    reindex,
    rotate,
    with_new_index_key,
    without_key,
)
from storage.uow import UnitOfWorkFactory
from tests.services.helpers import ID_ALICE, PASSWORD
from tests.storage.filled import FILE_CONTENTS, LEARNERS, Filled
from tests.storage.test_repositories import a_user


def stale(used: dict[str, dict[str, int]], active: str) -> int:
    return sum(n for counts in used.values() for key, n in counts.items() if key != active)


async def assert_all_readable_with_only(keyring: Keyring, filled: Filled) -> None:
    """A keyring that has lost every older key reads it all, and a login still works."""
    only_new = without_key(keyring, "k1")
    cipher = FieldCipher(only_new)
    units = UnitOfWorkFactory(filled.engine, cipher)
    async with units(readonly=True) as uow:
        alice = await uow.users.get_by_id_number(ID_ALICE)  # the blind index kept its key
        assert alice is not None and alice.mobile == "13812345678"
        assert len(await uow.users.get_many(list(range(1, 7)))) == 6
        learner = await uow.scores.find(1, LEARNERS[0])  # by blind index too
        assert learner is not None and learner.learner_name == "学员0"
    state = await PersistenceStore(filled.engine, cipher).load("user_data")
    assert json.loads(state["1001"])["draft"] == ID_ALICE
    blobs = LocalFileStore(filled.files, cipher)
    assert [await blobs.get(sha) for sha in filled.shas] == list(FILE_CONTENTS)
    async with units() as uow:
        outcome = await auth.login(
            uow,
            filled.hasher,
            filled.clock,
            telegram_user_id=1001,
            id_number=ID_ALICE,
            password=PASSWORD,
        )
    assert outcome.user.id == alice.id


async def test_rotation_moves_every_field_and_file_to_the_new_key(
    filled: Filled, engine: AsyncEngine, keyring: Keyring
) -> None:
    files = filled.files
    before = await keys_in_use(engine, files)
    assert set(before) == {
        "users.id_number_enc",
        "users.mobile_enc",
        "score_records.id_number_enc",
        "bot_persistence.value",
        FILES,
    }
    assert all(set(counts) == {"k1"} for counts in before.values())

    rotated = keyring.with_new_active_key(next_key_id(keyring))
    assert rotated.active_key_id == "k2"
    seen: list[tuple[str, int]] = []
    report = await rotate(
        engine,
        FieldCipher(rotated),
        files,
        batch_size=2,
        progress=lambda part, n: seen.append((part, n)),
    )
    assert report.rotated == {
        "users.id_number_enc": 6,
        "users.mobile_enc": 6,
        "score_records.id_number_enc": 3,
        "bot_persistence.value": 4,
        FILES: 3,
    }
    assert report.total_unreadable == 0
    assert ("users.mobile_enc", 2) in seen and ("users.mobile_enc", 6) in seen  # batch by batch
    after = await keys_in_use(engine, files)
    assert stale(after, "k2") == 0
    await assert_all_readable_with_only(rotated, filled)

    again = await rotate(engine, FieldCipher(rotated), files)
    assert again.total_rotated == 0  # idempotent: nothing left to do


async def test_the_processes_a_rotation_is_refused_for_are_those_it_would_break(
    filled: Filled, engine: AsyncEngine, keyring: Keyring
) -> None:
    """What ``cebot keys rotate`` checks in ``bot_processes`` before it starts, against what
    actually happens to a process with each keyring once the rows are under the new key."""
    files = filled.files
    rotated = keyring.with_new_active_key("k2")
    impostor = Keyring("k2", {**keyring.encryption_keys, "k2": b"x" * 32}, keyring.index_key)
    not_switched = Keyring("k1", dict(rotated.encryption_keys), keyring.index_key)
    processes = {
        "old:1:a": keyring,
        "own-k2:2:b": impostor,
        "k2-not-active:3:c": not_switched,
        "restarted:4:d": rotated,
    }
    for process_id, held in processes.items():
        await announce(engine, process_id, STANDBY, HeldKeys.of(held))
    found = await census(engine)
    assert found is not None
    refused = {p.process_id for p, _why in unfit_for_rotation(found.live, HeldKeys.of(rotated))}
    assert refused == {"old:1:a", "own-k2:2:b", "k2-not-active:3:c"}

    await rotate(engine, FieldCipher(rotated), files)
    for n, (process_id, held) in enumerate(processes.items(), start=10):
        units = UnitOfWorkFactory(engine, FieldCipher(held))
        try:
            async with units(readonly=True) as uow:
                reads = (await uow.users.get_by_id_number(ID_ALICE)) is not None
        except DecryptionError:
            reads = False
        async with units() as uow:  # what the process writes meanwhile: a new user
            await uow.users.add(a_user(n))
            await uow.commit()
        writes_k2 = stale(await keys_in_use(engine, files), "k2") == 0
        assert (reads and writes_k2) == (process_id not in refused), process_id
        if not writes_k2:
            await rotate(engine, FieldCipher(rotated), files)  # clean up for the next one


class Interrupted(Exception):
    pass


async def test_an_interrupted_rotation_resumes_where_it_stopped(
    filled: Filled, engine: AsyncEngine, keyring: Keyring
) -> None:
    files = filled.files
    rotated = keyring.with_new_active_key("k2")
    cipher = FieldCipher(rotated)

    def stop_after_two_batches(part: str, done: int) -> None:
        if done >= 4:
            raise Interrupted(part)  # as a kill after the second commit

    with pytest.raises(Interrupted):
        await rotate(engine, cipher, files, batch_size=2, progress=stop_after_two_batches)
    halfway = await keys_in_use(engine, files)
    assert halfway["users.id_number_enc"] == {"k1": 2, "k2": 4}  # committed batches stay done
    assert halfway["users.mobile_enc"] == {"k1": 6}

    resumed = await rotate(engine, cipher, files, batch_size=2)
    assert resumed.rotated["users.id_number_enc"] == 2
    assert resumed.total_rotated == 2 + 6 + 3 + 4 + 3
    assert stale(await keys_in_use(engine, files), "k2") == 0
    await assert_all_readable_with_only(rotated, filled)


async def test_rotation_while_the_bot_keeps_writing(
    filled: Filled, engine: AsyncEngine, keyring: Keyring
) -> None:
    """The restarted bot (already on k2) saves conversation state and edits a user meanwhile:
    its writes win, nothing is lost, and no row is left on k1."""
    files = filled.files
    rotated = keyring.with_new_active_key("k2")
    cipher = FieldCipher(rotated)
    bot_store = PersistenceStore(engine, cipher)
    bot_units = UnitOfWorkFactory(engine, cipher)
    stop = asyncio.Event()
    wrote = asyncio.Event()

    async def bot() -> int:
        writes = 0
        while not stop.is_set():
            await bot_store.save("user_data", "", "1002", json.dumps({"draft": writes}))
            async with bot_units() as uow:
                user = await uow.users.get(3)
                assert user is not None
                user.name = f"改名{writes}"
                await uow.users.update(user)
                await uow.commit()
            writes += 1
            wrote.set()
            await asyncio.sleep(0)
        return writes

    writer = asyncio.create_task(bot())
    await asyncio.wait_for(wrote.wait(), timeout=60)  # the bot is up and writing
    try:
        report = await rotate(engine, cipher, files, batch_size=1)
    finally:
        stop.set()
        writes = await writer
    assert writes > 0
    assert report.total_unreadable == 0
    assert stale(await keys_in_use(engine, files), "k2") == 0
    final = await PersistenceStore(engine, FieldCipher(without_key(rotated, "k1"))).load(
        "user_data"
    )
    assert json.loads(final["1002"]) == {"draft": writes - 1}  # the bot's last write survived
    await assert_all_readable_with_only(rotated, filled)


async def test_a_new_index_key_and_reindex_keep_every_look_up_working(
    filled: Filled, uow_factory: UnitOfWorkFactory, engine: AsyncEngine, keyring: Keyring
) -> None:
    """With the bot stopped: a fresh index key, every index rebuilt; old indexes find nobody."""
    fresh = with_new_index_key(keyring)
    assert fresh.index_key != keyring.index_key
    assert fresh.encryption_keys == keyring.encryption_keys
    units = UnitOfWorkFactory(engine, FieldCipher(fresh))
    async with units(readonly=True) as uow:
        assert await uow.users.get_by_id_number(ID_ALICE) is None  # not yet rebuilt

    report = await reindex(engine, FieldCipher(fresh), batch_size=2)
    assert report.rotated == {"users.id_number_idx": 6, "score_records.id_number_idx": 3}
    async with units(readonly=True) as uow:
        assert await uow.users.get_by_id_number(ID_ALICE) is not None
        assert await uow.scores.find(1, LEARNERS[2]) is not None
    async with units() as uow:
        outcome = await auth.login(
            uow,
            filled.hasher,
            filled.clock,
            telegram_user_id=1001,
            id_number=ID_ALICE,
            password=PASSWORD,
        )
    assert outcome.user.name == "王芳"
    async with uow_factory(readonly=True) as uow:
        assert await uow.users.get_by_id_number(ID_ALICE) is None  # the old index key is useless
    again = await reindex(engine, FieldCipher(fresh))
    assert again.total_rotated == 0


async def test_a_row_the_bot_changed_after_the_read_is_not_overwritten(
    engine: AsyncEngine, keyring: Keyring
) -> None:
    """The compare-and-swap itself, on each database's statement: only unchanged rows move."""
    column = next(c for c in ENCRYPTED_COLUMNS if c.name == "bot_persistence.value")
    old = FieldCipher(keyring)
    store = PersistenceStore(engine, old)
    for key in ("1", "2"):
        await store.save("user_data", "", key, f'"{key} before"')
    async with engine.connect() as conn:
        rows = {
            row.key: (row.id, row.value) for row in (await conn.execute(select(column.table))).all()
        }
    new = FieldCipher(keyring.with_new_active_key("k2"))
    await PersistenceStore(engine, new).save("user_data", "", "2", '"2 by the bot"')
    swaps = [
        (
            rows[key][0],
            rows[key][1],
            new.encrypt(f'"{key} rotated"', context=f"persist:user_data::{key}"),
        )
        for key in ("1", "2")
    ]
    async with write_engine(engine).begin() as conn:
        assert await _swap(conn, column, swaps) == 1
    final = await PersistenceStore(engine, new).load("user_data")
    assert final == {"1": '"1 rotated"', "2": '"2 by the bot"'}
