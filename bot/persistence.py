"""python-telegram-bot's persistence on our database instead of pickle files.

Values are JSON (readable, versionable) and encrypted at rest by the store. ``user_data`` and
``chat_data`` keys that start with "_" are volatile by design: plaintext passwords held between
two messages of /password never reach the disk, nor does the chat's current screen (written on
every screen, it would make every screen a database write). Written after every update by the
update processor, so a kill in the middle of a conversation resumes where the user was.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

Data = dict[str, Any]


class Store(Protocol):
    """Text values by (kind, name, key), sealed at rest: ``storage.kv.PersistenceStore``, which
    the composition root (``bot.bootstrap``) hands over."""

    async def load(self, kind: str, name: str = "") -> dict[str, str]: ...
    async def save(self, kind: str, name: str, key: str, value: str) -> None: ...
    async def delete(self, kind: str, name: str, key: str) -> None: ...


class SqlPersistence(BasePersistence[Data, Data, Data]):
    def __init__(self, store: Store, update_interval: float = 60) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=True, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._store = store

    async def get_user_data(self) -> dict[int, Data]:
        return {int(k): json.loads(v) for k, v in (await self._store.load("user_data")).items()}

    async def get_chat_data(self) -> dict[int, Data]:
        return {int(k): json.loads(v) for k, v in (await self._store.load("chat_data")).items()}

    async def get_bot_data(self) -> Data:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        stored = await self._store.load("conversation", name)
        return {tuple(json.loads(k)): json.loads(v) for k, v in stored.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        encoded_key = json.dumps(list(key))
        if new_state is None:
            await self._store.delete("conversation", name, encoded_key)
        else:
            await self._store.save("conversation", name, encoded_key, json.dumps(new_state))

    async def update_user_data(self, user_id: int, data: Data) -> None:
        durable = {k: v for k, v in data.items() if not str(k).startswith("_")}
        await self._store.save(
            "user_data", "", str(user_id), json.dumps(durable, ensure_ascii=False)
        )

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        durable = {k: v for k, v in data.items() if not str(k).startswith("_")}
        await self._store.save(
            "chat_data", "", str(chat_id), json.dumps(durable, ensure_ascii=False)
        )

    async def update_bot_data(self, data: Data) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._store.delete("chat_data", "", str(chat_id))

    async def drop_user_data(self, user_id: int) -> None:
        await self._store.delete("user_data", "", str(user_id))

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        return None

    async def refresh_bot_data(self, bot_data: Data) -> None:
        return None

    async def flush(self) -> None:
        return None
