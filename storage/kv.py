"""Key/value rows behind the bot's conversation persistence, encrypted at rest.

Conversation drafts may hold an ID-card number typed a minute ago, so every value is sealed with
the field cipher, bound to its (kind, name, key): a row copied elsewhere does not decrypt.

python-telegram-bot hands over a chat's and a user's data after every update, changed or not; the
store remembers what each row holds and writes only what changed, so an update that only reads
(a menu, a list) costs no write transaction. Only the active process writes these rows (see
``bot.lease``), so what it remembers stays true.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.crypto import FieldCipher
from storage.db import dialect_insert
from storage.models import BotPersistenceRow, Model
from storage.writers import writing

_TABLE = Model.metadata.tables[BotPersistenceRow.__tablename__]


class PersistenceStore:
    def __init__(self, engine: AsyncEngine, cipher: FieldCipher) -> None:
        self._engine = engine
        self._cipher = cipher
        self._stored: dict[tuple[str, str, str], str] = {}

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
        found = {
            key: self._cipher.decrypt(value, context=self._context(kind, name, key))
            for key, value in rows
        }
        self._stored.update(((kind, name, key), value) for key, value in found.items())
        return found

    async def save(self, kind: str, name: str, key: str, value: str) -> None:
        if self._stored.get((kind, name, key)) == value:
            return
        sealed = self._cipher.encrypt(value, context=self._context(kind, name, key))
        now = datetime.now(UTC)
        statement = dialect_insert(self._engine.dialect, _TABLE).values(
            kind=kind, name=name, key=key, value=sealed, updated_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=["kind", "name", "key"], set_={"value": sealed, "updated_at": now}
        )
        async with writing(self._engine), self._engine.begin() as conn:
            await conn.execute(statement)
        self._stored[kind, name, key] = value

    async def delete(self, kind: str, name: str, key: str) -> None:
        async with writing(self._engine), self._engine.begin() as conn:
            await conn.execute(
                delete(BotPersistenceRow).where(
                    BotPersistenceRow.kind == kind,
                    BotPersistenceRow.name == name,
                    BotPersistenceRow.key == key,
                )
            )
        self._stored.pop((kind, name, key), None)
