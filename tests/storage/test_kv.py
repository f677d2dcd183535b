"""The bot's key/value persistence writes only what changed (see ``storage.kv``)."""

from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.crypto import FieldCipher
from storage.kv import PersistenceStore
from storage.models import BotPersistenceRow


def count_writes(engine: AsyncEngine) -> list[str]:
    writes: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    return writes


async def stored(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.scalars(select(BotPersistenceRow.key))).all())


async def test_the_same_value_again_is_not_written(
    engine: AsyncEngine, cipher: FieldCipher
) -> None:
    store = PersistenceStore(engine, cipher)
    writes = count_writes(engine)
    await store.save("user_data", "", "7", '{"language": "zh"}')
    await store.save("user_data", "", "7", '{"language": "zh"}')
    assert len(writes) == 1
    await store.save("user_data", "", "7", '{"language": "en"}')
    assert len(writes) == 2
    assert await PersistenceStore(engine, cipher).load("user_data") == {"7": '{"language": "en"}'}


async def test_what_was_loaded_counts_as_written(engine: AsyncEngine, cipher: FieldCipher) -> None:
    await PersistenceStore(engine, cipher).save("chat_data", "", "9", "{}")
    restarted = PersistenceStore(engine, cipher)
    assert await restarted.load("chat_data") == {"9": "{}"}
    writes = count_writes(engine)
    await restarted.save("chat_data", "", "9", "{}")
    assert writes == []


async def test_a_deleted_row_is_written_again(engine: AsyncEngine, cipher: FieldCipher) -> None:
    store = PersistenceStore(engine, cipher)
    await store.save("conversation", "register", "[1, 1]", '"NAME"')
    await store.delete("conversation", "register", "[1, 1]")
    assert await stored(engine) == []
    await store.save("conversation", "register", "[1, 1]", '"NAME"')
    assert await stored(engine) == ["[1, 1]"]
