"""Login sessions and failed logins (``domain.ports``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Update, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import LoginSession, SessionEnd
from domain.ports import OpenSession
from storage import mappers
from storage.crypto import FieldCipher
from storage.models import (
    BaseRow,
    LoginFailureRow,
    LoginSessionRow,
    MembershipRow,
    RoleRow,
    UserRow,
)
from storage.repositories._common import existing, guarded_write

_OPEN_SESSION = (
    select(LoginSessionRow, UserRow, MembershipRow, RoleRow, BaseRow.name)
    .outerjoin(UserRow, UserRow.id == LoginSessionRow.user_id)
    .outerjoin(
        MembershipRow,
        (MembershipRow.base_id == LoginSessionRow.base_id)
        & (MembershipRow.user_id == LoginSessionRow.user_id),
    )
    .outerjoin(RoleRow, RoleRow.id == MembershipRow.role_id)
    .outerjoin(BaseRow, BaseRow.id == LoginSessionRow.base_id)
    .where(
        LoginSessionRow.telegram_user_id == bindparam("telegram_user_id"),
        LoginSessionRow.ended_at.is_(None),
    )
)
"""The guard's read, on every action: built once (building a select costs more than running it)."""


class SqlSessionRepository:
    def __init__(self, session: AsyncSession, cipher: FieldCipher) -> None:
        self._session = session
        self._cipher = cipher

    async def add(self, session: LoginSession) -> LoginSession:
        """A second open session of the same Telegram user is a ``Conflict``."""
        row = LoginSessionRow()
        mappers.session_to_row(session, row)
        async with guarded_write(self._session):
            self._session.add(row)
        return mappers.session_to_domain(row)

    async def get_open_for_telegram_user(self, telegram_user_id: int) -> LoginSession | None:
        statement = select(LoginSessionRow).where(
            LoginSessionRow.telegram_user_id == telegram_user_id,
            LoginSessionRow.ended_at.is_(None),
        )
        row = (await self._session.scalars(statement)).one_or_none()
        return mappers.session_to_domain(row) if row is not None else None

    async def open_for_telegram_user(self, telegram_user_id: int) -> OpenSession | None:
        parameters = {"telegram_user_id": telegram_user_id}
        found = (await self._session.execute(_OPEN_SESSION, parameters)).one_or_none()
        if found is None:
            return None
        session, user, membership, role, base_name = found
        return OpenSession(
            mappers.session_to_domain(session),
            mappers.user_to_domain(user, self._cipher) if user is not None else None,
            mappers.membership_to_domain(membership) if membership is not None else None,
            mappers.role_to_domain(role) if role is not None else None,
            base_name,
        )

    async def update(self, session: LoginSession) -> None:
        row = await existing(self._session, LoginSessionRow, session.id)
        async with guarded_write(self._session):
            mappers.session_to_row(session, row)

    async def end_all_for_user(
        self, user_id: int, at: datetime, reason: SessionEnd, except_session_id: int | None = None
    ) -> int:
        statement = update(LoginSessionRow).where(
            LoginSessionRow.user_id == user_id, LoginSessionRow.ended_at.is_(None)
        )
        if except_session_id is not None:
            statement = statement.where(LoginSessionRow.id != except_session_id)
        return await self._end(statement, at, reason)

    async def end_for_membership(
        self, user_id: int, base_id: int, at: datetime, reason: SessionEnd
    ) -> int:
        statement = update(LoginSessionRow).where(
            LoginSessionRow.user_id == user_id,
            LoginSessionRow.base_id == base_id,
            LoginSessionRow.ended_at.is_(None),
        )
        return await self._end(statement, at, reason)

    async def latest_telegram_user_ids(self, user_ids: Sequence[int]) -> dict[int, int]:
        """One query: each user's sessions ranked newest first, the first one kept."""
        if not user_ids:
            return {}
        rank = (
            func.row_number()
            .over(
                partition_by=LoginSessionRow.user_id,
                order_by=(LoginSessionRow.started_at.desc(), LoginSessionRow.id.desc()),
            )
            .label("rank")
        )
        ranked = (
            select(LoginSessionRow.user_id, LoginSessionRow.telegram_user_id, rank)
            .where(LoginSessionRow.user_id.in_(set(user_ids)))
            .subquery()
        )
        statement = select(ranked.c.user_id, ranked.c.telegram_user_id).where(ranked.c.rank == 1)
        rows = (await self._session.execute(statement)).all()
        return {int(user_id): int(telegram_id) for user_id, telegram_id in rows}

    async def _end(self, statement: Update, at: datetime, reason: SessionEnd) -> int:
        """One UPDATE; rows already loaded in this unit of work are updated in memory too."""
        statement = statement.values(ended_at=at, end_reason=reason.value)
        result = await self._session.execute(statement)
        return cast(CursorResult[Any], result).rowcount


class SqlLoginFailureRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, telegram_user_id: int, at: datetime) -> None:
        await self._session.execute(
            insert(LoginFailureRow).values(telegram_user_id=telegram_user_id, at=at)
        )

    async def count_since(self, telegram_user_id: int, since: datetime) -> int:
        statement = select(func.count()).where(
            LoginFailureRow.telegram_user_id == telegram_user_id, LoginFailureRow.at >= since
        )
        return (await self._session.scalar(statement)) or 0

    async def latest(self, telegram_user_id: int) -> datetime | None:
        statement = select(func.max(LoginFailureRow.at)).where(
            LoginFailureRow.telegram_user_id == telegram_user_id
        )
        return await self._session.scalar(statement)

    async def clear(self, telegram_user_id: int) -> None:
        await self._session.execute(
            delete(LoginFailureRow).where(LoginFailureRow.telegram_user_id == telegram_user_id)
        )
