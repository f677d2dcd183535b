"""Memory-only user data is neither copied nor stored (``bot.runtime.MemoryOnly``)."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.persistence import SqlPersistence
from bot.runtime import MemoryOnly
from storage.crypto import FieldCipher
from storage.kv import PersistenceStore


def test_a_copy_of_volatile_data_is_empty_and_the_original_keeps_everything() -> None:
    rows = list(range(100_000))
    held = MemoryOnly(class_id=7, preview=rows)
    user_data: dict[str, Any] = {"language": "zh", "_scores_import": held}
    copied = copy.deepcopy(user_data)  # what python-telegram-bot does after every update
    assert copied == {"language": "zh", "_scores_import": {}}
    assert isinstance(copied["_scores_import"], MemoryOnly)
    assert user_data["_scores_import"]["preview"] is rows


async def test_volatile_and_underscore_keys_never_reach_the_store(
    engine: AsyncEngine, cipher: FieldCipher
) -> None:
    persistence = SqlPersistence(PersistenceStore(engine, cipher))
    data = {"language": "en", "_password_change": MemoryOnly(old="旧密码")}
    await persistence.update_user_data(5, copy.deepcopy(data))
    assert await persistence.get_user_data() == {5: {"language": "en"}}
