"""The audit trail: every service that changes something records it in the same unit of work."""

from __future__ import annotations

from domain.clock import Clock
from domain.model import Actor, AuditEvent
from domain.ports import UnitOfWork


async def record(
    uow: UnitOfWork,
    clock: Clock,
    *,
    action: str,
    base_id: int | None,
    actor_user_id: int | None,
    subject: str = "",
    old_value: str | None = None,
    new_value: str | None = None,
) -> None:
    await uow.audit.add(
        AuditEvent(
            at=clock.now(),
            base_id=base_id,
            actor_user_id=actor_user_id,
            action=action,
            subject=subject,
            old_value=old_value,
            new_value=new_value,
        )
    )


async def record_by(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    action: str,
    subject: str = "",
    old_value: str | None = None,
    new_value: str | None = None,
) -> None:
    """Shorthand for the common case: an admin acting on their own base."""
    await record(
        uow,
        clock,
        action=action,
        base_id=actor.base_id,
        actor_user_id=actor.user_id,
        subject=subject,
        old_value=old_value,
        new_value=new_value,
    )
