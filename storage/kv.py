"""Key/value rows behind the bot's conversation persistence, encrypted at rest.

Conversation drafts may hold an ID-card number typed a minute ago, so every value is sealed with
the field cipher, bound to its (kind, name, key): a row copied elsewhere does not decrypt.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.crypto import FieldCipher
from storage.db import is_sqlite
from storage.models import BotPersistenceRow
from storage.writers import writing


class PersistenceStore:
    def __init__(self, engine: AsyncEngine, cipher: FieldCipher) -> None:
        self._engine = engine
        self._cipher = cipher
        self._insert = sqlite.insert if is_sqlite(engine) else postgresql.insert

    @staticmethod
    def _context(kind: str, name: str, key: str) -> str:
        return f"persist:{kind}:{name}:{key}"

    async def load(self, kind: str, name: str = "") -> dict[str, str]:
        """Every value of one kind (and conversation name), decrypted."""
        query = select(BotPersistenceRow.key, BotPersistenceRow.value).where(
            BotPersistenceRow.kind == kind, BotPersistenceRow.name == name
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {
            key: self._cipher.decrypt(value, context=self._context(kind, name, key))
            for key, value in rows
        }

    async def save(self, kind: str, name: str, key: str, value: str) -> None:
        sealed = self._cipher.encrypt(value, context=self._context(kind, name, key))
        now = datetime.now(UTC)
        statement = self._insert(BotPersistenceRow).values(
            kind=kind, name=name, key=key, value=sealed, updated_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=["kind", "name", "key"], set_={"value": sealed, "updated_at": now}
        )
        async with writing(self._engine), self._engine.begin() as conn:
            await conn.execute(statement)

    async def delete(self, kind: str, name: str, key: str) -> None:
        async with writing(self._engine), self._engine.begin() as conn:
            await conn.execute(
                delete(BotPersistenceRow).where(
                    BotPersistenceRow.kind == kind,
                    BotPersistenceRow.name == name,
                    BotPersistenceRow.key == key,
                )
            )
