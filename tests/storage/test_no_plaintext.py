"""Personal numbers and passwords never reach the disk in the clear (SQLite file and WAL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from storage.crypto import DecryptionError, FieldCipher
from storage.db import make_engine
from storage.migrate import upgrade_engine
from storage.passwords import Argon2PasswordHasher
from storage.uow import UnitOfWorkFactory
from tests.storage.test_repositories import a_user

ID_NUMBER = "11010519491231002X"
MOBILE = "13812345678"
PASSWORD = "correct horse battery"
SECRETS = (ID_NUMBER, ID_NUMBER[:17], MOBILE, PASSWORD)


def _encodings(secret: str) -> list[bytes]:
    return [secret.encode(encoding) for encoding in ("ascii", "utf-16-le", "utf-16-be")]


def _files(db: Path) -> dict[str, bytes]:
    paths = [db, db.with_name(db.name + "-wal")]
    return {path.name: path.read_bytes() for path in paths if path.exists()}


def _assert_no_secret(files: dict[str, bytes]) -> None:
    for name, content in files.items():
        for secret in SECRETS:
            for encoded in _encodings(secret):
                assert encoded not in content, f"{secret!r} found in {name}"


async def test_personal_numbers_and_password_are_not_on_disk(
    tmp_path: Path, cipher: FieldCipher, hasher: Argon2PasswordHasher
) -> None:
    db = tmp_path / "cebot.db"
    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    try:
        await upgrade_engine(engine)
        factory = UnitOfWorkFactory(engine, cipher)
        async with factory() as uow:
            user = await uow.users.add(
                a_user(
                    id_number=ID_NUMBER, mobile=MOBILE, password_hash=await hasher.hash(PASSWORD)
                )
            )
            await uow.commit()
        # Before the checkpoint the new pages live only in the WAL: it must be clean too.
        while_open = _files(db)
        assert while_open.get("cebot.db-wal"), "expected the commit to sit in the WAL"
        # Control: the name is stored in the clear, so the scan does see the row's bytes.
        assert user.name.encode() in while_open["cebot.db-wal"]
        _assert_no_secret(while_open)
    finally:
        await engine.dispose()
    after_close = _files(db)
    assert any(user.name.encode() in content for content in after_close.values())
    _assert_no_secret(after_close)

    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    try:
        async with UnitOfWorkFactory(engine, cipher)(readonly=True) as uow:
            found = await uow.users.get_by_id_number(ID_NUMBER)
        assert found == user
        assert found is not None and await hasher.verify(PASSWORD, found.password_hash)
    finally:
        await engine.dispose()


async def test_ciphertext_moved_to_another_row_does_not_decrypt(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """The row's uuid is the encryption context: a swapped ciphertext is caught, not misread."""
    async with uow_factory() as uow:
        victim = await uow.users.add(a_user(1, id_number=ID_NUMBER))
        other = await uow.users.add(a_user(2))
        await uow.commit()
    async with uow_factory() as uow:
        await uow.session.execute(
            text(
                "UPDATE users SET id_number_enc ="
                " (SELECT id_number_enc FROM users WHERE id = :victim) WHERE id = :other"
            ),
            {"victim": victim.id, "other": other.id},
        )
        await uow.commit()
    assert other.id is not None and victim.id is not None
    async with uow_factory(readonly=True) as uow:
        with pytest.raises(DecryptionError, match=f"users.id_number of user {other.id}"):
            await uow.users.get(other.id)
        assert await uow.users.get(victim.id) == victim
