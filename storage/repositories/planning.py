"""What reminder planning reads for every base at once (``domain.ports.PlanningReadRepository``).

Each method is one query over all bases, whatever their number: planning for 5,000 bases costs
what planning for three does. ``base_id`` narrows each to one base, for that base's own
``/deadlines``. Plain column selects, no ORM rows: thousands of memberships are read
every few minutes and none of them is ever written back from here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Table, Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import SubmissionKind, effective_permissions
from domain.permissions import Permission, parse_permissions
from domain.ports import ClassScoresState, Holder
from domain.workflow import Status
from storage.models import (
    AnnualSubmissionRow,
    BaseRow,
    MembershipRow,
    Model,
    RoleRow,
    ScoreSheetRow,
    TrainingClassRow,
)

MEMBERSHIPS: Table = Model.metadata.tables[MembershipRow.__tablename__]
ROLES: Table = Model.metadata.tables[RoleRow.__tablename__]

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

    async def permission_holders(self, base_id: int | None = None) -> list[Holder]:
        """Core columns, not ORM entities: 15,000 rows through the ORM's loading cost several
        times the query. Permission sets are decoded once per distinct set (a province has
        thousands of roles and a handful of sets), hence the JSON read as text."""
        members = MEMBERSHIPS.c
        statement = (
            select(
                members.user_id,
                members.base_id,
                members.is_super,
                cast(ROLES.c.permissions, Text).label("role_permissions"),
            )
            .select_from(MEMBERSHIPS.outerjoin(ROLES, ROLES.c.id == members.role_id))
            .order_by(members.base_id, members.id)
        )
        if base_id is not None:
            statement = statement.where(members.base_id == base_id)
        permission_sets: dict[str | None, frozenset[Permission] | None] = {None: None}
        found: list[Holder] = []
        for user_id, found_base_id, is_super, raw in await self._session.execute(statement):
            if raw not in permission_sets:
                permission_sets[raw] = parse_permissions(json.loads(raw))
            permissions = effective_permissions(is_super, permission_sets[raw])
            found.append(Holder(user_id, found_base_id, permissions))
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
