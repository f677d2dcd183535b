"""The audit trail: every service that changes something records it in the same unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from domain.clock import Clock
from domain.errors import Invalid
from domain.model import Actor, AuditEvent
from domain.ports import UnitOfWork
from domain.services.sessions import require_super


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


AUDIT_KINDS: tuple[str, ...] = (
    "base",
    "user",
    "profile",
    "admin",
    "role",
    "class",
    "score",
    "submission",
    "file",
)
"""Kinds to filter by: the first part of an action name (``admin.remove`` is of kind ``admin``)."""


@dataclass(frozen=True)
class AuditEntry:
    event: AuditEvent
    actor_name: str | None


async def list_entries(
    uow: UnitOfWork,
    actor: Actor,
    *,
    offset: int = 0,
    limit: int = 10,
    by_user_id: int | None = None,
    kind: str | None = None,
) -> list[AuditEntry]:
    """The base's latest changes, newest first; for the super admin only."""
    require_super(actor)
    if kind is not None and kind not in AUDIT_KINDS:
        raise Invalid("kind")
    events = await uow.audit.list(
        actor.base_id,
        actor_user_id=by_user_id,
        action_prefix=f"{kind}." if kind else None,
        offset=offset,
        limit=limit,
    )
    ids = sorted({e.actor_user_id for e in events if e.actor_user_id is not None})
    names = {u.id: u.name for u in await uow.users.get_many(ids)}
    return [AuditEntry(e, names.get(e.actor_user_id) if e.actor_user_id else None) for e in events]
