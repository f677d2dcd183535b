"""``storage.processes`` on SQLite and PostgreSQL: processes announce themselves, refresh their row,
withdraw it; a row left by a killed process goes dead after three heartbeats and is forgotten
after a day; what a row says about keys is enough to refuse a rotation, and is never a key."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.crypto import Keyring
from storage.db import make_engine
from storage.models import BotProcessRow
from storage.processes import (
    ACTIVE,
    MISSED_HEARTBEATS,
    STANDBY,
    HeldKeys,
    announce,
    census,
    fingerprint,
    new_process_id,
    unfit_for_rotation,
    withdraw,
)


async def test_a_process_announces_itself_refreshes_its_row_and_withdraws(
    engine: AsyncEngine, keyring: Keyring
) -> None:
    me = new_process_id()
    assert me.count(":") == 2
    keys = HeldKeys.of(keyring)
    await announce(engine, me, STANDBY, keys, forget_dead=True)
    first = await census(engine)
    assert first is not None and first.dead == []
    (record,) = first.live
    assert record.process_id == me and record.role == STANDBY
    assert record.keys == keys and set(record.keys.keys) == {"k1"}
    assert record.heartbeat == timedelta(seconds=5)
    assert record.started_at == record.seen_at

    await asyncio.sleep(0.05)
    newer = Keyring("k2", {**keyring.encryption_keys, "k2": bytes(range(32))}, keyring.index_key)
    await announce(engine, me, ACTIVE, HeldKeys.of(newer))  # took over, with the new keys
    second = await census(engine)
    assert second is not None
    (refreshed,) = second.live
    assert refreshed.role == ACTIVE and refreshed.keys.active_key_id == "k2"
    assert set(refreshed.keys.keys) == {"k1", "k2"}
    assert refreshed.started_at == record.started_at
    assert refreshed.seen_at > record.seen_at

    other = new_process_id()
    assert other != me  # same host and pid: the random part tells them apart
    await announce(engine, other, STANDBY, keys)
    both = await census(engine)
    assert both is not None and [r.process_id for r in both.live] == [me, other]

    await withdraw(engine, me)
    left = await census(engine)
    assert left is not None and [r.process_id for r in left.live] == [other]


async def test_a_row_not_refreshed_for_three_heartbeats_is_dead_and_forgotten_after_a_day(
    engine: AsyncEngine, keyring: Keyring
) -> None:
    keys = HeldKeys.of(keyring)
    killed, paused, later = "host:1:killed", "host:2:paused", "host:3:later"
    heartbeat = 10.0  # each row's own, not the default: the row says how long its silence may be
    await announce(engine, killed, ACTIVE, keys, heartbeat_seconds=heartbeat)
    await announce(engine, paused, STANDBY, keys, heartbeat_seconds=heartbeat)
    fresh = await census(engine)
    assert fresh is not None and len(fresh.live) == 2

    # Neither beat since: their last beat moves back, as three missed heartbeats would leave it
    # (rather than sleeping through them, which a busy machine could stretch or a quick check
    # could catch mid-beat).
    silence = timedelta(seconds=heartbeat * MISSED_HEARTBEATS + 1)
    async with engine.begin() as conn:
        await conn.execute(
            update(BotProcessRow)
            .where(BotProcessRow.process_id.in_([killed, paused]))
            .values(seen_at=fresh.now - silence)
        )
    silent = await census(engine)
    assert silent is not None and silent.live == []
    assert {r.process_id for r in silent.dead} == {killed, paused}
    assert all(r.silent_for(silent.now) > r.heartbeat * MISSED_HEARTBEATS for r in silent.dead)

    await announce(engine, paused, STANDBY, keys, heartbeat_seconds=heartbeat)  # it woke up
    woke = await census(engine)
    assert woke is not None
    assert [r.process_id for r in woke.live] == [paused]
    assert [r.process_id for r in woke.dead] == [killed]

    # A day later, the next process to register deletes the killed one's row.
    async with engine.begin() as conn:
        await conn.execute(
            update(BotProcessRow)
            .where(BotProcessRow.process_id == killed)
            .values(seen_at=woke.now - timedelta(days=1, minutes=1))
        )
    await announce(engine, later, STANDBY, keys)  # a heartbeat, not a registration: kept
    kept = await census(engine)
    assert kept is not None and killed in {r.process_id for r in kept.dead}
    await announce(engine, later, STANDBY, keys, forget_dead=True)
    after = await census(engine)
    assert after is not None and after.dead == []
    assert {r.process_id for r in after.live} == {paused, later}


async def test_a_database_without_the_table_has_no_census(empty_database_url: str) -> None:
    bare = make_engine(empty_database_url)  # not migrated: an older cebot's database
    try:
        assert await census(bare) is None
    finally:
        await bare.dispose()


async def test_a_rotation_is_unfit_for_processes_that_lack_or_do_not_use_the_active_key(
    engine: AsyncEngine, keyring: Keyring
) -> None:
    rotated = keyring.with_new_active_key("k2")
    impostor = Keyring.generate("k1").with_new_active_key("k2")  # its own k2, made elsewhere
    k2_held_not_used = Keyring("k1", dict(rotated.encryption_keys), rotated.index_key)
    for process_id, held in (
        ("a:1:restarted", rotated),
        ("b:2:not-restarted", keyring),
        ("c:3:own-keys", Keyring(impostor.active_key_id, impostor.encryption_keys, b"i" * 32)),
        ("d:4:old-active", k2_held_not_used),
    ):
        await announce(engine, process_id, STANDBY, HeldKeys.of(held))
    found = await census(engine)
    assert found is not None and len(found.live) == 4

    unfit = unfit_for_rotation(found.live, HeldKeys.of(rotated))
    assert [(p.process_id, why) for p, why in unfit] == [
        ("b:2:not-restarted", "does not hold k2"),
        ("c:3:own-keys", "holds another key named k2 (fingerprints differ)"),
        ("d:4:old-active", "encrypts new data under k1"),
    ]
    assert (
        unfit_for_rotation([r for r in found.live if r.process_id[0] == "a"], HeldKeys.of(rotated))
        == []
    )


async def test_a_row_holds_key_ids_and_fingerprints_never_a_key(
    engine: AsyncEngine, keyring: Keyring
) -> None:
    rotated = keyring.with_new_active_key("k2")
    await announce(engine, "host:1:x", ACTIVE, HeldKeys.of(rotated))
    async with engine.connect() as conn:
        row = (await conn.execute(select(BotProcessRow.__table__))).one()
    stored = json.dumps([str(value) for value in row]).encode()
    for key in (*rotated.encryption_keys.values(), rotated.index_key):
        for encoded in (
            base64.urlsafe_b64encode(key).rstrip(b"="),
            base64.b64encode(key).rstrip(b"="),
            key.hex().encode(),
        ):
            assert encoded not in stored
    assert row.key_fingerprints == {
        "k1": fingerprint(rotated.encryption_keys["k1"]),
        "k2": fingerprint(rotated.encryption_keys["k2"]),
    }
    assert row.index_fingerprint == fingerprint(rotated.index_key)
    assert len(set(row.key_fingerprints.values()) | {row.index_fingerprint}) == 3
