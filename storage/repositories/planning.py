"""What reminder planning reads for every base at once (``domain.ports.PlanningReadRepository``).

Each method is one query over all bases, whatever their number: planning for 5,000 bases costs
what planning for three does. ``base_id`` narrows each to one base, for that base's own
``/deadlines``. Plain column selects, no ORM rows: thousands of memberships are read
every few minutes and none of them is ever written back from here.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import Membership, Role, SubmissionKind
from domain.permissions import parse_permissions
from domain.ports import ClassScoresState
from domain.workflow import Status
from storage.models import (
    AnnualSubmissionRow,
    BaseRow,
    MembershipRow,
    RoleRow,
    ScoreSheetRow,
    TrainingClassRow,
)

IN = (Status.SUBMITTED.value, Status.APPROVED.value)
"""States in which a base has done its part: a reviewer has it, or has approved it."""


class SqlPlanningReadRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def base_names(self, base_id: int | None = None) -> dict[int, str]:
        statement = select(BaseRow.id, BaseRow.name)
        if base_id is not None:
            statement = statement.where(BaseRow.id == base_id)
        return {found_id: name for found_id, name in await self._session.execute(statement)}

    async def memberships_with_roles(
        self, base_id: int | None = None
    ) -> list[tuple[Membership, Role | None]]:
        statement = (
            select(
                MembershipRow.id,
                MembershipRow.base_id,
                MembershipRow.user_id,
                MembershipRow.is_super,
                MembershipRow.role_id,
                MembershipRow.created_at,
                RoleRow.base_id.label("role_base_id"),
                RoleRow.name.label("role_name"),
                RoleRow.permissions.label("role_permissions"),
            )
            .outerjoin(RoleRow, RoleRow.id == MembershipRow.role_id)
            .order_by(MembershipRow.base_id, MembershipRow.id)
        )
        if base_id is not None:
            statement = statement.where(MembershipRow.base_id == base_id)
        roles: dict[int, Role] = {}
        found: list[tuple[Membership, Role | None]] = []
        for row in await self._session.execute(statement):
            role = None
            if row.role_id is not None and row.role_name is not None:
                role = roles.get(row.role_id)
                if role is None:
                    role = roles[row.role_id] = Role(
                        id=row.role_id,
                        base_id=row.role_base_id,
                        name=row.role_name,
                        permissions=parse_permissions(row.role_permissions or []),
                    )
            membership = Membership(
                id=row.id,
                base_id=row.base_id,
                user_id=row.user_id,
                is_super=row.is_super,
                role_id=row.role_id,
                created_at=row.created_at,
            )
            found.append((membership, role))
        return found

    async def annual_done(
        self, years: Sequence[int], base_id: int | None = None
    ) -> set[tuple[int, int, SubmissionKind]]:
        if not years:
            return set()
        statement = (
            select(AnnualSubmissionRow.base_id, AnnualSubmissionRow.year, AnnualSubmissionRow.kind)
            .where(
                AnnualSubmissionRow.year.in_(sorted(set(years))),
                AnnualSubmissionRow.status.in_(IN),
            )
            .distinct()
        )
        if base_id is not None:
            statement = statement.where(AnnualSubmissionRow.base_id == base_id)
        return {
            (found_id, year, SubmissionKind(kind))
            for found_id, year, kind in await self._session.execute(statement)
        }

    async def approved_classes(
        self, years: Sequence[int], base_id: int | None = None
    ) -> list[ClassScoresState]:
        if not years:
            return []
        statement = (
            select(
                TrainingClassRow.id,
                TrainingClassRow.base_id,
                TrainingClassRow.year,
                TrainingClassRow.name,
                TrainingClassRow.end_date,
                ScoreSheetRow.status,
            )
            .outerjoin(ScoreSheetRow, ScoreSheetRow.class_id == TrainingClassRow.id)
            .where(
                TrainingClassRow.year.in_(sorted(set(years))),
                TrainingClassRow.status == Status.APPROVED.value,
            )
            .order_by(TrainingClassRow.id)
        )
        if base_id is not None:
            statement = statement.where(TrainingClassRow.base_id == base_id)
        rows = await self._session.execute(statement)
        return [
            ClassScoresState(
                class_id=class_id,
                base_id=found_id,
                year=year,
                name=name,
                end_date=end_date,
                scores_in=sheet_status in IN,
            )
            for class_id, found_id, year, name, end_date, sheet_status in rows
        ]
