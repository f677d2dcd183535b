"""Argon2id hashing: what is stored, what verifies, and that it never blocks the event loop."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from domain.ports import PasswordHasher
from storage.passwords import Argon2PasswordHasher

PASSWORD = "correct horse battery"


def test_is_a_domain_password_hasher(hasher: Argon2PasswordHasher) -> None:
    port: PasswordHasher = hasher
    assert isinstance(port, Argon2PasswordHasher)


async def test_right_password_verifies_wrong_one_does_not(hasher: Argon2PasswordHasher) -> None:
    encoded = await hasher.hash(PASSWORD)
    assert PASSWORD not in encoded
    assert await hasher.verify(PASSWORD, encoded)
    assert not await hasher.verify(PASSWORD + " ", encoded)
    assert not await hasher.verify("Correct horse battery", encoded)


async def test_each_hash_has_its_own_salt(hasher: Argon2PasswordHasher) -> None:
    assert await hasher.hash(PASSWORD) != await hasher.hash(PASSWORD)


async def test_default_parameters_are_owasps_and_stored_in_the_hash() -> None:
    encoded = await Argon2PasswordHasher().hash(PASSWORD)
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert await Argon2PasswordHasher().verify(PASSWORD, encoded)


async def test_full_width_password_matches_its_ascii_form(hasher: Argon2PasswordHasher) -> None:
    encoded = await hasher.hash("Ｐａｓｓ ｗｏｒｄ １２３")
    assert await hasher.verify("Pass word 123", encoded)


async def test_chinese_passphrase_round_trips(hasher: Argon2PasswordHasher) -> None:
    encoded = await hasher.hash("我家门前有两棵枣树")
    assert await hasher.verify("我家门前有两棵枣树", encoded)
    assert not await hasher.verify("我家门前有三棵枣树", encoded)


async def test_hash_made_with_other_parameters_still_verifies(
    hasher: Argon2PasswordHasher,
) -> None:
    """Parameters live in the hash: raising them later must not lock anyone out."""
    old = await Argon2PasswordHasher(memory_cost=512, iterations=1).hash(PASSWORD)
    assert await hasher.verify(PASSWORD, old)


async def test_needs_rehash_when_stored_parameters_are_weaker() -> None:
    strong = Argon2PasswordHasher(memory_cost=2048, iterations=2, lanes=2)
    assert not strong.needs_rehash(await strong.hash(PASSWORD))
    for weaker in (
        Argon2PasswordHasher(memory_cost=1024, iterations=2, lanes=2),
        Argon2PasswordHasher(memory_cost=2048, iterations=1, lanes=2),
        Argon2PasswordHasher(memory_cost=2048, iterations=2, lanes=1),
    ):
        assert strong.needs_rehash(await weaker.hash(PASSWORD))
    # Stronger than configured is fine: no downgrade.
    stronger = Argon2PasswordHasher(memory_cost=4096, iterations=3, lanes=2)
    assert not strong.needs_rehash(await stronger.hash(PASSWORD))


def test_needs_rehash_for_other_algorithms_and_junk(hasher: Argon2PasswordHasher) -> None:
    argon2i = "$argon2i$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaA"
    bcrypt = "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"
    for encoded in (argon2i, bcrypt, "", "plain text"):
        assert hasher.needs_rehash(encoded)


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "not a hash",
        "$argon2id$",
        "$argon2id$v=19$m=1024,t=1,p=1$$",
        "$argon2id$v=19$m=0,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=1024,t=1,p=0$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=18$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2i$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "密码",
    ],
)
async def test_malformed_hash_verifies_false_without_raising(
    hasher: Argon2PasswordHasher, encoded: str
) -> None:
    assert await hasher.verify(PASSWORD, encoded) is False


async def _ticks_while_pending(task: asyncio.Future[Any]) -> int:
    """How often the loop ran another coroutine while ``task`` was pending.

    Were the work done on the loop, the task would finish during its first step and this would
    count no tick at all.
    """
    await asyncio.sleep(0)  # let the task take its first step
    ticks = 0
    while not task.done():
        ticks += 1
        await asyncio.sleep(0)
    return ticks


async def test_hashing_runs_off_the_event_loop() -> None:
    """With production parameters, other coroutines keep running while a hash is computed."""
    task = asyncio.ensure_future(Argon2PasswordHasher().hash(PASSWORD))
    assert await _ticks_while_pending(task) > 0
    assert task.result().startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_verify_and_verify_decoy_run_off_the_event_loop() -> None:
    hasher = Argon2PasswordHasher()
    encoded = await hasher.hash(PASSWORD)
    verify = asyncio.ensure_future(hasher.verify(PASSWORD, encoded))
    assert await _ticks_while_pending(verify) > 0
    assert verify.result() is True
    decoy = asyncio.ensure_future(hasher.verify_decoy(PASSWORD))
    assert await _ticks_while_pending(decoy) > 0
