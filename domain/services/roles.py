"""角色管理: roles are a base's own named permission sets; never deleted while assigned."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain import validators
from domain.clock import Clock
from domain.errors import Conflict, NotFound, NotPermitted
from domain.messages import N_
from domain.model import Actor, Role
from domain.permissions import Permission
from domain.ports import UnitOfWork
from domain.services import audit
from domain.services.sessions import ensure_own_base, require

ROLE_NAME_MAX = 30


@dataclass(frozen=True)
class RoleCard:
    """A role with the names of the admins who hold it: what the role card shows."""

    role: Role
    holder_names: tuple[str, ...]


def _permission_names(permissions: Iterable[Permission]) -> str:
    return ",".join(sorted(p.value for p in permissions))


def ensure_manager(actor: Actor) -> None:
    """For a first step that touches no role yet (asking a new role's name): refuse early."""
    require(actor, Permission.ROLES_MANAGE)


async def list_roles(uow: UnitOfWork, actor: Actor) -> list[Role]:
    require(actor, Permission.ROLES_MANAGE)
    return await uow.roles.list_for_base(actor.base_id)


async def get_role(uow: UnitOfWork, actor: Actor, role_id: int) -> Role:
    require(actor, Permission.ROLES_MANAGE)
    return await _own_role(uow, actor, role_id)


async def role_card(uow: UnitOfWork, actor: Actor, role_id: int) -> RoleCard:
    require(actor, Permission.ROLES_MANAGE)
    role = await _own_role(uow, actor, role_id)
    return RoleCard(role=role, holder_names=await _holder_names(uow, role_id))


async def check_role_name(
    uow: UnitOfWork, actor: Actor, name: str, *, role_id: int | None = None
) -> str:
    """Checks a name as it is typed (format, and free in the base) so the user retypes at once.

    ``role_id`` is the role being renamed: keeping its own name is not a clash.
    """
    require(actor, Permission.ROLES_MANAGE)
    clean = validators.parse_name(name, field="role_name", max_length=ROLE_NAME_MAX)
    current = await _own_role(uow, actor, role_id) if role_id is not None else None
    if current is None or clean != current.name:
        await _ensure_name_free(uow, actor.base_id, clean)
    return clean


async def create_role(
    uow: UnitOfWork, clock: Clock, actor: Actor, name: str, permissions: Iterable[Permission]
) -> Role:
    require(actor, Permission.ROLES_MANAGE)
    clean = validators.parse_name(name, field="role_name", max_length=ROLE_NAME_MAX)
    granted = frozenset(permissions)
    _ensure_may_change(actor, frozenset(), granted)
    await _ensure_name_free(uow, actor.base_id, clean)
    role = await uow.roles.add(Role(base_id=actor.base_id, name=clean, permissions=granted))
    await audit.record_by(
        uow, clock, actor, "role.create", clean, new_value=_permission_names(role.permissions)
    )
    return role


async def rename_role(uow: UnitOfWork, clock: Clock, actor: Actor, role_id: int, name: str) -> Role:
    require(actor, Permission.ROLES_MANAGE)
    role = await _own_role(uow, actor, role_id)
    clean = validators.parse_name(name, field="role_name", max_length=ROLE_NAME_MAX)
    if clean != role.name:
        await _ensure_name_free(uow, actor.base_id, clean)
    old = role.name
    role.name = clean
    await uow.roles.update(role)
    await audit.record_by(uow, clock, actor, "role.rename", clean, old_value=old, new_value=clean)
    return role


async def set_permissions(
    uow: UnitOfWork, clock: Clock, actor: Actor, role_id: int, permissions: Iterable[Permission]
) -> Role:
    """Takes effect on each holder's next action: permissions are resolved per action."""
    require(actor, Permission.ROLES_MANAGE)
    role = await _own_role(uow, actor, role_id)
    granted = frozenset(permissions)
    _ensure_may_change(actor, role.permissions, granted)
    old = _permission_names(role.permissions)
    role.permissions = granted
    await uow.roles.update(role)
    await audit.record_by(
        uow,
        clock,
        actor,
        "role.permissions",
        role.name,
        old_value=old,
        new_value=_permission_names(role.permissions),
    )
    return role


async def delete_role(uow: UnitOfWork, clock: Clock, actor: Actor, role_id: int) -> Role:
    """Returns the deleted role, so the caller can say which one went."""
    require(actor, Permission.ROLES_MANAGE)
    role = await _own_role(uow, actor, role_id)
    holders = await _holder_names(uow, role_id)
    if holders:
        names = "、".join(holders)
        raise Conflict(N_("该角色仍分配给：{names}。请先为他们更换角色再删除。"), names=names)
    await uow.roles.delete(role_id)
    await audit.record_by(uow, clock, actor, "role.delete", role.name)
    return role


async def _own_role(uow: UnitOfWork, actor: Actor, role_id: int) -> Role:
    role = await uow.roles.get(role_id)
    if role is None:
        raise NotFound()
    ensure_own_base(actor, role.base_id)
    return role


async def _ensure_name_free(uow: UnitOfWork, base_id: int, name: str) -> None:
    if await uow.roles.get_by_name(base_id, name) is not None:
        raise Conflict(N_("已有名为“{name}”的角色。"), name=name)


async def _holder_names(uow: UnitOfWork, role_id: int) -> tuple[str, ...]:
    holders = await uow.memberships.list_for_role(role_id)
    if not holders:
        return ()
    users = await uow.users.get_many([m.user_id for m in holders])
    return tuple(sorted(u.name for u in users))


def _ensure_may_change(
    actor: Actor, before: frozenset[Permission], after: frozenset[Permission]
) -> None:
    """Only what one holds may be granted or taken away, or roles.manage would grant everything.

    Without this an admin holding only roles.manage could add every permission to their own role.
    The super admin holds all permissions, so this never limits them.
    """
    if (before ^ after) - actor.permissions:
        raise NotPermitted(N_("您只能授予或收回自己拥有的权限。"))
