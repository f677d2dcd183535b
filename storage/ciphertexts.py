"""Every encrypted column in one list, with the context each row's ciphertext is bound to.

Key rotation re-encrypts these columns, a backup records which keys they need and a restore
decrypts a sample of each before it touches anything. A new encrypted column must be added here,
or rotation would leave it on the old key: ``tests/storage/test_ciphertexts.py`` compares this
list with the columns the mappers actually encrypt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Column, ColumnElement, Table, func
from sqlalchemy.engine import Dialect

from storage.mappers import (
    ID_NUMBER_PURPOSE,
    id_number_context,
    mobile_context,
    score_id_number_context,
)
from storage.models import BotPersistenceRow, ScoreRecordRow, UserRow

TOKEN_PREFIX: Final = "v1."


def _persist_context(row: Mapping[str, Any]) -> str:
    # The same binding as PersistenceStore._context: kind, conversation name and key.
    return f"persist:{row['kind']}:{row['name']}:{row['key']}"


@dataclass(frozen=True)
class EncryptedColumn:
    """A text column of field-cipher tokens; ``context`` rebuilds a row's binding."""

    table: Table
    column: str
    context_columns: tuple[str, ...]
    context: Callable[[Mapping[str, Any]], str]

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column}"

    @property
    def id(self) -> Column[Any]:
        return self.table.c.id

    @property
    def value(self) -> Column[Any]:
        return self.table.c[self.column]

    def columns(self) -> list[Column[Any]]:
        return [self.id, self.value, *(self.table.c[name] for name in self.context_columns)]


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


ENCRYPTED_COLUMNS: Final[tuple[EncryptedColumn, ...]] = (
    EncryptedColumn(
        _table(UserRow),
        "id_number_enc",
        ("row_uuid",),
        lambda row: id_number_context(row["row_uuid"]),
    ),
    EncryptedColumn(
        _table(UserRow), "mobile_enc", ("row_uuid",), lambda row: mobile_context(row["row_uuid"])
    ),
    EncryptedColumn(
        _table(ScoreRecordRow),
        "id_number_enc",
        ("row_uuid",),
        lambda row: score_id_number_context(row["row_uuid"]),
    ),
    EncryptedColumn(_table(BotPersistenceRow), "value", ("kind", "name", "key"), _persist_context),
)


@dataclass(frozen=True)
class BlindIndex:
    """A keyed hash column computed from the plaintext of an encrypted column of its row."""

    source: EncryptedColumn
    column: str
    purpose: str

    @property
    def name(self) -> str:
        return f"{self.source.table.name}.{self.column}"


BLIND_INDEXES: Final[tuple[BlindIndex, ...]] = (
    BlindIndex(ENCRYPTED_COLUMNS[0], "id_number_idx", ID_NUMBER_PURPOSE),
    BlindIndex(ENCRYPTED_COLUMNS[2], "id_number_idx", ID_NUMBER_PURPOSE),
)


def token_prefix(key_id: str) -> str:
    """Tokens made by ``key_id`` start with this: ``v1.<key id>.``."""
    return f"{TOKEN_PREFIX}{key_id}."


def key_id_expression(value: ColumnElement[Any], dialect: Dialect) -> ColumnElement[Any]:
    """SQL for the key id inside a token (between the first and the second dot)."""
    if dialect.name == "postgresql":
        return func.split_part(value, ".", 2)
    rest = func.substr(value, len(TOKEN_PREFIX) + 1)
    return func.substr(rest, 1, func.instr(rest, ".") - 1)
