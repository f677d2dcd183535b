"""The audit trail (``domain.ports.AuditRepository``): append-only, listed newest first."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import AuditEvent
from storage import mappers
from storage.models import AuditEventRow


class SqlAuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, event: AuditEvent) -> None:
        await self._session.execute(
            insert(AuditEventRow).values(
                at=event.at,
                base_id=event.base_id,
                actor_user_id=event.actor_user_id,
                action=event.action,
                subject=event.subject,
                old_value=event.old_value,
                new_value=event.new_value,
            )
        )

    async def list(
        self,
        base_id: int,
        *,
        actor_user_id: int | None = None,
        action_prefix: str | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> list[AuditEvent]:
        """Newest first; served by the (base_id, id DESC) index."""
        statement = select(AuditEventRow).where(AuditEventRow.base_id == base_id)
        if actor_user_id is not None:
            statement = statement.where(AuditEventRow.actor_user_id == actor_user_id)
        if action_prefix:
            statement = statement.where(
                AuditEventRow.action.startswith(action_prefix, autoescape=True)
            )
        statement = statement.order_by(AuditEventRow.id.desc()).offset(offset).limit(limit)
        return [mappers.audit_to_domain(row) for row in await self._session.scalars(statement)]
