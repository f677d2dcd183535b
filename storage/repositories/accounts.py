"""Repositories of bases, users, roles and memberships (``domain.ports``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, bindparam, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import Base, Membership, Role, User
from domain.ports import FailedLogin, Member
from storage import mappers
from storage.crypto import FieldCipher
from storage.models import BaseRow, MembershipRow, RoleRow, UserRow
from storage.repositories._common import delete_by_id, existing, guarded_write


class SqlBaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, base: Base) -> Base:
        row = BaseRow()
        mappers.base_to_row(base, row)
        async with guarded_write(self._session):
            self._session.add(row)
        return mappers.base_to_domain(row)

    async def get(self, base_id: int) -> Base | None:
        row = await self._session.get(BaseRow, base_id)
        return mappers.base_to_domain(row) if row is not None else None

    async def get_for_update(self, base_id: int) -> Base | None:
        # FOR UPDATE locks the row on PostgreSQL; SQLite renders no clause, and needs none: a
        # write unit of work there holds the database's write lock from its first statement.
        statement = (
            select(BaseRow)
            .where(BaseRow.id == base_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = (await self._session.scalars(statement)).one_or_none()
        return mappers.base_to_domain(row) if row is not None else None

    async def get_by_credit_code(self, credit_code: str) -> Base | None:
        statement = select(BaseRow).where(BaseRow.credit_code == credit_code)
        row = (await self._session.scalars(statement)).one_or_none()
        return mappers.base_to_domain(row) if row is not None else None

    async def get_many(self, base_ids: Sequence[int]) -> list[Base]:
        if not base_ids:
            return []
        statement = (
            select(BaseRow).where(BaseRow.id.in_(sorted(set(base_ids)))).order_by(BaseRow.id)
        )
        return [mappers.base_to_domain(row) for row in await self._session.scalars(statement)]

    async def update(self, base: Base) -> None:
        row = await existing(self._session, BaseRow, base.id)
        async with guarded_write(self._session):
            mappers.base_to_row(base, row)


class SqlUserRepository:
    """Users with their ID-card number and mobile encrypted, found by a keyed blind index."""

    def __init__(self, session: AsyncSession, cipher: FieldCipher) -> None:
        self._session = session
        self._cipher = cipher

    async def add(self, user: User) -> User:
        row = UserRow(row_uuid=uuid.uuid4().hex)
        mappers.user_to_row(user, row, self._cipher)
        async with guarded_write(self._session):
            self._session.add(row)
        return mappers.user_to_domain(row, self._cipher)

    async def get(self, user_id: int) -> User | None:
        row = await self._session.get(UserRow, user_id)
        return mappers.user_to_domain(row, self._cipher) if row is not None else None

    async def get_many(self, user_ids: Sequence[int]) -> list[User]:
        if not user_ids:
            return []
        statement = (
            select(UserRow).where(UserRow.id.in_(sorted(set(user_ids)))).order_by(UserRow.id)
        )
        rows = await self._session.scalars(statement)
        return [mappers.user_to_domain(row, self._cipher) for row in rows]

    async def get_for_update(self, user_id: int) -> User | None:
        # As bases.get_for_update: a row lock on PostgreSQL, the write lock already on SQLite.
        statement = (
            select(UserRow)
            .where(UserRow.id == user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = (await self._session.scalars(statement)).one_or_none()
        return mappers.user_to_domain(row, self._cipher) if row is not None else None

    async def get_by_id_number(self, id_number: str) -> User | None:
        index = self._cipher.blind_index(id_number, purpose=mappers.ID_NUMBER_PURPOSE)
        statement = select(UserRow).where(UserRow.id_number_idx == index)
        row = (await self._session.scalars(statement)).one_or_none()
        return mappers.user_to_domain(row, self._cipher) if row is not None else None

    async def reviewers(self) -> list[User]:
        statement = select(UserRow).where(UserRow.is_reviewer.is_(True)).order_by(UserRow.id)
        rows = await self._session.scalars(statement)
        return [mappers.user_to_domain(row, self._cipher) for row in rows]

    async def update(self, user: User) -> None:
        row = await existing(self._session, UserRow, user.id)
        async with guarded_write(self._session):
            mappers.user_to_row(user, row, self._cipher)

    async def count_failed_login(
        self, user_id: int, *, now: datetime, limit: int, lock_until: datetime
    ) -> FailedLogin:
        """One ``UPDATE … SET failed_logins = failed_logins + 1 … RETURNING``: the database adds,
        not this process, so wrong passwords typed at once all count.

        On PostgreSQL a concurrent UPDATE waits for the row and re-reads it, so the condition
        "not locked" sees the lock a sibling set a moment ago; on SQLite a writing unit of work
        holds the write lock from its first statement, so attempts run one after the other.
        """
        counted = UserRow.failed_logins + 1
        reaches = counted >= limit
        statement = (
            update(UserRow)
            .where(
                UserRow.id == user_id,
                or_(UserRow.locked_until.is_(None), UserRow.locked_until <= now),
            )
            .values(
                failed_logins=case((reaches, 0), else_=counted),
                locked_until=case((reaches, lock_until), else_=None),
            )
            .returning(UserRow.failed_logins)
            .execution_options(synchronize_session="fetch")
        )
        async with guarded_write(self._session):
            failed = (await self._session.execute(statement)).scalar_one_or_none()
        if failed is None:
            # Locked by someone else's attempt in the meantime: the lock as it stands.
            current = (
                await self._session.execute(
                    select(UserRow.locked_until).where(UserRow.id == user_id)
                )
            ).scalar_one_or_none()
            return FailedLogin(failures=limit, locked_until=current or lock_until, locked_now=False)
        if failed == 0:
            return FailedLogin(failures=limit, locked_until=lock_until, locked_now=True)
        return FailedLogin(failures=failed, locked_until=None, locked_now=False)


class SqlRoleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, role: Role) -> Role:
        row = RoleRow()
        mappers.role_to_row(role, row)
        async with guarded_write(self._session):
            self._session.add(row)
        return mappers.role_to_domain(row)

    async def get(self, role_id: int) -> Role | None:
        row = await self._session.get(RoleRow, role_id)
        return mappers.role_to_domain(row) if row is not None else None

    async def get_by_name(self, base_id: int, name: str) -> Role | None:
        statement = select(RoleRow).where(RoleRow.base_id == base_id, RoleRow.name == name)
        row = (await self._session.scalars(statement)).one_or_none()
        return mappers.role_to_domain(row) if row is not None else None

    async def list_for_base(self, base_id: int) -> list[Role]:
        """In creation order: the same on every database, whatever its collation."""
        statement = select(RoleRow).where(RoleRow.base_id == base_id).order_by(RoleRow.id)
        return [mappers.role_to_domain(row) for row in await self._session.scalars(statement)]

    async def update(self, role: Role) -> None:
        row = await existing(self._session, RoleRow, role.id)
        async with guarded_write(self._session):
            mappers.role_to_row(role, row)

    async def delete(self, role_id: int) -> None:
        """A role still assigned to a membership is refused by its foreign key: ``Conflict``."""
        await delete_by_id(self._session, RoleRow, role_id)


_MEMBERS_PAGE = (
    select(MembershipRow, UserRow, RoleRow, func.count().over())
    .join(UserRow, UserRow.id == MembershipRow.user_id)
    .outerjoin(RoleRow, RoleRow.id == MembershipRow.role_id)
    .where(MembershipRow.base_id == bindparam("base_id"))
    .order_by(MembershipRow.is_super.desc(), MembershipRow.id)
    .offset(bindparam("offset"))
    .limit(bindparam("limit"))
)
"""A page of a base's admins with the count of all of them (a window, taken before the limit)."""


class SqlMembershipRepository:
    def __init__(self, session: AsyncSession, cipher: FieldCipher) -> None:
        self._session = session
        self._cipher = cipher

    async def add(self, membership: Membership) -> Membership:
        row = MembershipRow()
        mappers.membership_to_row(membership, row)
        async with guarded_write(self._session):
            self._session.add(row)
        return mappers.membership_to_domain(row)

    async def get(self, membership_id: int) -> Membership | None:
        row = await self._session.get(MembershipRow, membership_id)
        return mappers.membership_to_domain(row) if row is not None else None

    async def get_for(self, base_id: int, user_id: int) -> Membership | None:
        statement = select(MembershipRow).where(
            MembershipRow.base_id == base_id, MembershipRow.user_id == user_id
        )
        return await self._one(statement)

    async def get_super(self, base_id: int) -> Membership | None:
        statement = select(MembershipRow).where(
            MembershipRow.base_id == base_id, MembershipRow.is_super.is_(True)
        )
        return await self._one(statement)

    async def list_for_base(
        self, base_id: int, offset: int = 0, limit: int = 50
    ) -> list[Membership]:
        """The super admin first, then in the order people were added."""
        statement = (
            select(MembershipRow)
            .where(MembershipRow.base_id == base_id)
            .order_by(MembershipRow.is_super.desc(), MembershipRow.id)
            .offset(offset)
            .limit(limit)
        )
        return await self._all(statement)

    async def list_members(
        self, base_id: int, offset: int = 0, limit: int = 50
    ) -> tuple[list[Member], int]:
        parameters = {"base_id": base_id, "offset": offset, "limit": limit}
        rows = (await self._session.execute(_MEMBERS_PAGE, parameters)).all()
        total = rows[0][3] if rows else await self.count_for_base(base_id)
        members = [
            Member(
                mappers.membership_to_domain(membership),
                mappers.user_to_domain(user, self._cipher),
                mappers.role_to_domain(role) if role is not None else None,
            )
            for membership, user, role, _total in rows
        ]
        return members, total

    async def count_for_base(self, base_id: int) -> int:
        statement = select(func.count()).where(MembershipRow.base_id == base_id)
        return (await self._session.scalar(statement)) or 0

    async def list_for_user(self, user_id: int) -> list[Membership]:
        statement = (
            select(MembershipRow).where(MembershipRow.user_id == user_id).order_by(MembershipRow.id)
        )
        return await self._all(statement)

    async def list_for_role(self, role_id: int) -> list[Membership]:
        statement = (
            select(MembershipRow).where(MembershipRow.role_id == role_id).order_by(MembershipRow.id)
        )
        return await self._all(statement)

    async def update(self, membership: Membership) -> None:
        row = await existing(self._session, MembershipRow, membership.id)
        async with guarded_write(self._session):
            mappers.membership_to_row(membership, row)

    async def delete(self, membership_id: int) -> None:
        await delete_by_id(self._session, MembershipRow, membership_id)

    async def _one(self, statement: Select[MembershipRow]) -> Membership | None:
        row = (await self._session.scalars(statement)).one_or_none()
        return mappers.membership_to_domain(row) if row is not None else None

    async def _all(self, statement: Select[MembershipRow]) -> list[Membership]:
        rows = await self._session.scalars(statement)
        return [mappers.membership_to_domain(row) for row in rows]
