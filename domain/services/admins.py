"""权限管理: the admins of a base: add two ways, remove, change role, hand over the super admin."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain import validators
from domain.clock import Clock
from domain.errors import Conflict, Invalid, NotFound, NotPermitted
from domain.messages import N_
from domain.model import Actor, Membership, Role, User
from domain.passwords import check_password_policy
from domain.permissions import Permission
from domain.ports import PasswordHasher, UnitOfWork
from domain.services import audit
from domain.services.auth import confirm_password
from domain.services.sessions import ensure_own_base, require, require_super


@dataclass(frozen=True)
class AdminView:
    """What the admin list shows: never a full ID-card number."""

    membership_id: int
    user_id: int
    name: str
    masked_id_number: str
    is_super: bool
    role_id: int | None
    role_name: str | None


@dataclass(frozen=True)
class PersonMatch:
    user_id: int
    name: str
    masked_id_number: str


class AdminAction(StrEnum):
    """What an admin's card offers the actor."""

    CHANGE_ROLE = "change_role"
    HAND_OVER = "hand_over"
    REMOVE = "remove"


def admin_actions(actor: Actor, admin: AdminView) -> list[AdminAction]:
    """In the card's order; each is checked again by its service when pressed.

    The super admin holds every permission (no role to change), is never removed, and is the one
    who hands the title over; nobody removes themselves.
    """
    if admin.is_super:
        return []
    actions = [AdminAction.CHANGE_ROLE]
    if actor.is_super:
        actions.append(AdminAction.HAND_OVER)
    if _removal_refusal(actor, is_super=admin.is_super, user_id=admin.user_id) is None:
        actions.append(AdminAction.REMOVE)
    return actions


async def list_admins(
    uow: UnitOfWork, actor: Actor, *, offset: int = 0, limit: int = 10
) -> tuple[list[AdminView], int]:
    require(actor, Permission.ADMINS_MANAGE)
    members, total = await uow.memberships.list_members(actor.base_id, offset, limit)
    return [_view(*member) for member in members], total


async def get_admin(uow: UnitOfWork, actor: Actor, membership_id: int) -> AdminView:
    require(actor, Permission.ADMINS_MANAGE)
    membership = await _own_membership(uow, actor, membership_id)
    user = await uow.users.get(membership.user_id)
    if user is None:
        raise NotFound()
    role = await uow.roles.get(membership.role_id) if membership.role_id else None
    return _view(membership, user, role)


async def add_new_admin(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    actor: Actor,
    *,
    name: str,
    id_number: str,
    mobile: str,
    initial_password: str,
    role_id: int | None,
) -> AdminView:
    """(a) A person not yet in the system; the initial password must be changed at first login."""
    require(actor, Permission.ADMINS_MANAGE)
    now = clock.now()
    clean_id = validators.parse_id_number(id_number, now.date())
    clean_mobile = validators.parse_mobile(mobile)
    clean_name = validators.parse_name(name)
    check_password_policy(
        initial_password, id_number=clean_id, mobile=clean_mobile, name=clean_name
    )
    if await uow.users.get_by_id_number(clean_id) is not None:
        raise Conflict(N_("该身份证号码已是系统用户，请使用“添加已有用户”。"))
    role = await _own_role_or_none(uow, actor, role_id)
    user = await uow.users.add(
        User(
            name=clean_name,
            id_number=clean_id,
            mobile=clean_mobile,
            password_hash=await hasher.hash(initial_password),
            must_change_password=True,
            credentials_changed_at=now,
            created_at=now,
        )
    )
    membership = await uow.memberships.add(
        Membership(base_id=actor.base_id, user_id=user.id or 0, role_id=role_id, created_at=now)
    )
    await audit.record_by(
        uow,
        clock,
        actor,
        "admin.add_new",
        user.name,
        new_value=validators.mask_id_number(clean_id),
    )
    return _view(membership, user, role)


async def find_person(uow: UnitOfWork, clock: Clock, actor: Actor, id_number: str) -> PersonMatch:
    """(b) An existing person, shown only by name and masked number for confirmation."""
    require(actor, Permission.ADMINS_MANAGE)
    clean_id = validators.parse_id_number(id_number, clock.now().date())
    user = await uow.users.get_by_id_number(clean_id)
    if user is None or user.id is None:
        raise NotFound(N_("系统中没有该身份证号码的用户，请使用“注册新管理员”。"))
    return PersonMatch(user.id, user.name, validators.mask_id_number(user.id_number))


async def add_existing_admin(
    uow: UnitOfWork, clock: Clock, actor: Actor, *, user_id: int, role_id: int | None
) -> AdminView:
    require(actor, Permission.ADMINS_MANAGE)
    user = await uow.users.get(user_id)
    if user is None:
        raise NotFound()
    if await uow.memberships.get_for(actor.base_id, user_id) is not None:
        raise Conflict(N_("{name} 已是本基地的管理员。"), name=user.name)
    role = await _own_role_or_none(uow, actor, role_id)
    membership = await uow.memberships.add(
        Membership(base_id=actor.base_id, user_id=user_id, role_id=role_id, created_at=clock.now())
    )
    await audit.record_by(
        uow,
        clock,
        actor,
        "admin.add_existing",
        user.name,
        new_value=validators.mask_id_number(user.id_number),
    )
    return _view(membership, user, role)


async def remove_admin(uow: UnitOfWork, clock: Clock, actor: Actor, membership_id: int) -> None:
    """Never the super admin, never oneself.

    The person's session on this base ends at their next action, which the guard refuses with
    a message naming the base (``domain.services.sessions``): logged out if this was their only
    base, otherwise still logged in to choose another with /base.
    """
    require(actor, Permission.ADMINS_MANAGE)
    membership = await _own_membership(uow, actor, membership_id)
    _ensure_removable(actor, membership)
    user = await uow.users.get(membership.user_id)
    await uow.memberships.delete(membership_id)
    await audit.record_by(uow, clock, actor, "admin.remove", user.name if user else "")


async def change_role(
    uow: UnitOfWork, clock: Clock, actor: Actor, membership_id: int, role_id: int | None
) -> AdminView:
    require(actor, Permission.ADMINS_MANAGE)
    membership = await _own_membership(uow, actor, membership_id)
    if membership.is_super:
        raise NotPermitted(N_("超级管理员拥有全部权限，无需分配角色。"))
    role = await _own_role_or_none(uow, actor, role_id)
    old_role = await uow.roles.get(membership.role_id) if membership.role_id else None
    membership.role_id = role_id
    await uow.memberships.update(membership)
    user = await uow.users.get(membership.user_id)
    if user is None:
        raise NotFound()
    await audit.record_by(
        uow,
        clock,
        actor,
        "admin.change_role",
        user.name,
        old_value=old_role.name if old_role else None,
        new_value=role.name if role else None,
    )
    return _view(membership, user, role)


async def hand_over_super(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    actor: Actor,
    *,
    membership_id: int,
    password: str,
) -> AdminView:
    """One atomic change; the former super admin keeps the membership but no functions.

    The base row is locked first, so of two simultaneous hand-overs the second sees that its
    actor is no longer the super admin and is refused: exactly one super admin at every moment.
    """
    require_super(actor)
    user = await uow.users.get(actor.user_id)
    if user is None:
        raise NotFound()
    await confirm_password(
        uow,
        hasher,
        clock,
        user,
        password,
        field="password",
        wrong=N_("密码不正确，未移交超级管理员。还可尝试 {remaining} 次。"),
    )
    if await uow.bases.get_for_update(actor.base_id) is None:
        raise NotFound()
    current = await uow.memberships.get_super(actor.base_id)
    if current is None or current.user_id != actor.user_id:
        raise NotPermitted(N_("只有超级管理员可以执行此操作。"))
    target = await _own_membership(uow, actor, membership_id)
    if target.id == current.id:
        raise Invalid("membership", N_("您已是超级管理员。"))
    current.is_super = False
    current.role_id = None
    await uow.memberships.update(current)
    target.is_super = True
    target.role_id = None
    await uow.memberships.update(target)
    new_super = await uow.users.get(target.user_id)
    if new_super is None:
        raise NotFound()
    await audit.record_by(
        uow,
        clock,
        actor,
        "admin.hand_over_super",
        new_super.name,
        old_value=user.name,
        new_value=new_super.name,
    )
    return _view(target, new_super, None)


def ensure_manager(actor: Actor) -> None:
    """For a first step that touches no admin yet (asking a new admin's name): refuse early."""
    require(actor, Permission.ADMINS_MANAGE)


async def roles_for_assignment(uow: UnitOfWork, actor: Actor) -> list[Role]:
    """The roles an admin manager may hand out: listing roles needs only admins.manage here.

    Only roles within the actor's own permissions are offered, as roles.py lets one grant only
    what one holds; for the super admin that is every role of the base.
    """
    require(actor, Permission.ADMINS_MANAGE)
    return [
        role
        for role in await uow.roles.list_for_base(actor.base_id)
        if role.permissions <= actor.permissions
    ]


async def role_choice(
    uow: UnitOfWork, actor: Actor, membership_id: int
) -> tuple[AdminView, list[Role]]:
    """The admin whose role is to change and the roles on offer; never for the super admin."""
    view = await get_admin(uow, actor, membership_id)
    if view.is_super:
        raise NotPermitted(N_("超级管理员拥有全部权限，无需分配角色。"))
    return view, await roles_for_assignment(uow, actor)


async def check_new_id_number(uow: UnitOfWork, clock: Clock, actor: Actor, id_number: str) -> str:
    """Way (a), as the number is typed: valid, and not yet a person the system knows."""
    require(actor, Permission.ADMINS_MANAGE)
    clean_id = validators.parse_id_number(id_number, clock.now().date())
    if await uow.users.get_by_id_number(clean_id) is not None:
        raise Conflict(N_("该身份证号码已是系统用户，请使用“添加已有用户”。"))
    return clean_id


async def find_person_to_add(
    uow: UnitOfWork, clock: Clock, actor: Actor, id_number: str
) -> PersonMatch:
    """Way (b), as the number is typed: a known person who is not yet an admin of this base."""
    match = await find_person(uow, clock, actor, id_number)
    if await uow.memberships.get_for(actor.base_id, match.user_id) is not None:
        raise Conflict(N_("{name} 已是本基地的管理员。"), name=match.name)
    return match


async def removal_preview(uow: UnitOfWork, actor: Actor, membership_id: int) -> AdminView:
    """The admin a confirmation step names, refused already when the removal would be."""
    require(actor, Permission.ADMINS_MANAGE)
    membership = await _own_membership(uow, actor, membership_id)
    _ensure_removable(actor, membership)
    return await get_admin(uow, actor, membership_id)


async def hand_over_preview(uow: UnitOfWork, actor: Actor, membership_id: int) -> AdminView:
    """The admin who would become super admin, before the password is asked for."""
    require_super(actor)
    view = await get_admin(uow, actor, membership_id)
    if view.is_super:
        raise Invalid("membership", N_("您已是超级管理员。"))
    return view


def _removal_refusal(actor: Actor, *, is_super: bool, user_id: int) -> str | None:
    """Why ``actor`` may not remove this admin, or None when they may."""
    if is_super:
        return N_("不能删除超级管理员。请先将超级管理员移交给其他管理员。")
    if user_id == actor.user_id:
        return N_("不能删除自己。")
    return None


def _ensure_removable(actor: Actor, membership: Membership) -> None:
    refusal = _removal_refusal(actor, is_super=membership.is_super, user_id=membership.user_id)
    if refusal is not None:
        raise NotPermitted(refusal)


async def _own_membership(uow: UnitOfWork, actor: Actor, membership_id: int) -> Membership:
    membership = await uow.memberships.get(membership_id)
    if membership is None:
        raise NotFound()
    ensure_own_base(actor, membership.base_id)
    return membership


async def _own_role_or_none(uow: UnitOfWork, actor: Actor, role_id: int | None) -> Role | None:
    if role_id is None:
        return None
    role = await uow.roles.get(role_id)
    if role is None:
        raise NotFound(N_("该角色不存在，可能已被删除。"))
    ensure_own_base(actor, role.base_id)
    if not role.permissions <= actor.permissions:
        # An admin may not hand out more than they hold themselves (a forged button included).
        raise NotPermitted(N_("您只能授予或收回自己拥有的权限。"))
    return role


def _view(membership: Membership, user: User, role: Role | None) -> AdminView:
    return AdminView(
        membership_id=membership.id or 0,
        user_id=user.id or 0,
        name=user.name,
        masked_id_number=validators.mask_id_number(user.id_number),
        is_super=membership.is_super,
        role_id=membership.role_id,
        role_name=role.name if role else None,
    )
