"""A database and a files folder holding something of every encrypted kind, all under the test's
key ``k1``: what ``storage.rotation``, ``storage.backup`` and the commands around them work on.

The ``filled`` fixture (tests/conftest.py) hands it to a test as a ``Filled``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import FixedClock
from domain.model import ScoreRecord
from storage.filestore import LocalFileStore
from storage.kv import PersistenceStore
from storage.passwords import Argon2PasswordHasher
from storage.uow import UnitOfWorkFactory
from tests.services.helpers import ID_ALICE, register
from tests.storage.test_class_repository import a_class
from tests.storage.test_repositories import a_user

LEARNERS = ("420106199001011231", "420106198507150023", "11010519491231002X")
FILE_CONTENTS = (b"annual plan 2026", b"summary 2026", b"materials")


@dataclass(frozen=True)
class Filled:
    """What ``fill`` wrote, and what reading it back (or logging in) needs."""

    engine: AsyncEngine
    data: Path
    """The data directory (``CEBOT_DATA_DIR``); the blobs are in its ``files``."""
    shas: list[str]
    """The blobs of ``FILE_CONTENTS``, in that order."""
    hasher: Argon2PasswordHasher
    clock: FixedClock

    @property
    def files(self) -> Path:
        return self.data / "files"


async def fill(
    uow_factory: UnitOfWorkFactory,
    engine: AsyncEngine,
    data: Path,
    hasher: Argon2PasswordHasher,
    clock: FixedClock,
) -> Filled:
    """Users, score records, conversation state and files, all under the factory's key."""
    outcome = await register(uow_factory, hasher, clock, telegram_user_id=1001)
    base_id = outcome.bases[0].id
    assert base_id is not None
    async with uow_factory() as uow:
        for n in range(2, 7):
            await uow.users.add(a_user(n))
        klass = await uow.classes.add(a_class(base_id))
        assert klass.id is not None
        for n, id_number in enumerate(LEARNERS):
            await uow.scores.add(
                ScoreRecord(
                    class_id=klass.id,
                    learner_name=f"学员{n}",
                    id_number=id_number,
                    hours=Decimal("24"),
                    passed=True,
                )
            )
        await uow.commit()
    store = PersistenceStore(engine, uow_factory.cipher)
    for user_id in (1001, 1002, 1003):
        await store.save("user_data", "", str(user_id), json.dumps({"draft": ID_ALICE}))
    await store.save("conversation", "login", "[1001, 1001]", json.dumps(2))
    blobs = LocalFileStore(data / "files", uow_factory.cipher)
    shas = [await blobs.put(content) for content in FILE_CONTENTS]
    return Filled(engine, data, shas, hasher, clock)
