"""权限管理: the admins of a base: add two ways, remove, change role, hand over the super admin,
reset a forgotten password (the super admin from the chat, the operator from the command line).

Whoever is changed is told by a notice naming the base (``notices``): a new role, a removal, the
super admin handed to them, a reset password.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain import validators
from domain.clock import Clock
from domain.errors import Conflict, Invalid, NotFound, NotPermitted
from domain.messages import N_
from domain.model import Actor, Membership, Role, SessionEnd, User
from domain.passwords import check_password_policy, one_time_password
from domain.permissions import Permission
from domain.ports import PasswordHasher, UnitOfWork
from domain.services import audit, notices
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


NO_ROLE = N_("未分配角色")
RESET_NOTICE = N_(
    "{base}：超级管理员 {by} 重置了您的登录密码，您的登录已全部退出。\n"
    "请向其索取一次性初始密码，使用 /login 登录后须立即修改密码。"
)
OPERATOR_RESET_NOTICE = N_(
    "运维人员重置了您的登录密码，您的登录已全部退出。\n"
    "请使用运维人员提供的一次性初始密码，通过 /login 登录后须立即修改密码。"
)
ROLE_NOTICE = N_("{base}：{by} 将您的角色由“{old}”更换为“{new}”，权限已随之改变。")
REMOVED_NOTICE = N_("{base}：{by} 已将您从该基地的管理员中删除，您在该基地的登录已结束。")
SUPER_NOTICE = N_(
    "{base}：{by} 已将超级管理员移交给您，您现在拥有该基地的全部功能权限。发送 /menu 查看。"
)


class AdminAction(StrEnum):
    """What an admin's card offers the actor."""

    CHANGE_ROLE = "change_role"
    RESET_PASSWORD = "reset_password"
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
    if _reset_refusal(actor, is_super=admin.is_super, user_id=admin.user_id) is None:
        actions.append(AdminAction.RESET_PASSWORD)
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
    await notices.tell(
        uow,
        clock,
        membership.user_id,
        "admin_removed",
        REMOVED_NOTICE,
        base=actor.base_name,
        by=actor.user_name,
    )


async def change_role(
    uow: UnitOfWork, clock: Clock, actor: Actor, membership_id: int, role_id: int | None
) -> AdminView:
    require(actor, Permission.ADMINS_MANAGE)
    membership = await _own_membership(uow, actor, membership_id)
    if membership.is_super:
        raise NotPermitted(N_("超级管理员拥有全部权限，无需分配角色。"))
    role = await _own_role_or_none(uow, actor, role_id)
    old_role_id = membership.role_id
    old_role = await uow.roles.get(old_role_id) if old_role_id else None
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
    if role_id != old_role_id:
        await notices.tell(
            uow,
            clock,
            membership.user_id,
            "role_changed",
            ROLE_NOTICE,
            base=actor.base_name,
            by=actor.user_name,
            old=old_role.name if old_role else NO_ROLE,
            new=role.name if role else NO_ROLE,
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
    await notices.tell(
        uow,
        clock,
        target.user_id,
        "super_handed_over",
        SUPER_NOTICE,
        base=actor.base_name,
        by=user.name,
    )
    return _view(target, new_super, None)


@dataclass(frozen=True)
class PasswordReset:
    """A reset done: whose, and the one-time password to show once (never stored in clear)."""

    admin: AdminView
    password: str


async def reset_preview(uow: UnitOfWork, actor: Actor, membership_id: int) -> AdminView:
    """The admin whose password would be reset, refused already when the reset would be."""
    require_super(actor)
    view = await get_admin(uow, actor, membership_id)
    _ensure_resettable(actor, is_super=view.is_super, user_id=view.user_id)
    await _ensure_only_here(uow, actor, view.user_id, view.name)
    return view


async def reset_admin_password(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    actor: Actor,
    *,
    membership_id: int,
    password: str,
) -> PasswordReset:
    """重置密码: the super admin, after re-entering their own password, gives another admin of the
    base a one-time password; every session of that person ends and they must change it at the
    next login. Never oneself, never the super admin (the operator resets them: ``cebot user
    reset-password``).

    A wrong password counts towards the actor's lock-out, as at a hand-over. The base row is
    locked first, as for a hand-over, so an actor who has just handed the title over is refused;
    the person's row next, so two resets of one person (two bases' super admins at once) follow
    one another: both are audited, the later one's password is the one that works.
    """
    require_super(actor)
    me = await uow.users.get(actor.user_id)
    if me is None:
        raise NotFound()
    await confirm_password(
        uow, hasher, clock, me, password, field="password", wrong=N_("密码不正确，未重置密码。")
    )
    if await uow.bases.get_for_update(actor.base_id) is None:
        raise NotFound()
    current = await uow.memberships.get_super(actor.base_id)
    if current is None or current.user_id != actor.user_id:
        raise NotPermitted(N_("只有超级管理员可以执行此操作。"))
    target = await _own_membership(uow, actor, membership_id)
    _ensure_resettable(actor, is_super=target.is_super, user_id=target.user_id)
    person = await uow.users.get_for_update(target.user_id)
    if person is None:
        raise NotFound()
    await _ensure_only_here(uow, actor, target.user_id, person.name)
    initial = await reset_credentials(uow, hasher, clock, person)
    await audit.record_by(uow, clock, actor, "admin.reset_password", person.name)
    await notices.tell(
        uow,
        clock,
        target.user_id,
        "password_reset",
        RESET_NOTICE,
        base=actor.base_name,
        by=actor.user_name,
    )
    role = await uow.roles.get(target.role_id) if target.role_id else None
    return PasswordReset(_view(target, person, role), initial)


async def reset_credentials(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    person: User,
    password: str | None = None,
) -> str:
    """The person's new one-time password (``password``, or a generated one when None): it must
    be changed at the next login; a lock-out ends; every session of the person ends.

    ``person`` should come from ``users.get_for_update``. Returns the password, to show once.
    """
    if password is None:
        password = one_time_password(
            id_number=person.id_number, mobile=person.mobile, name=person.name
        )
    check_password_policy(
        password, id_number=person.id_number, mobile=person.mobile, name=person.name
    )
    now = clock.now()
    person.password_hash = await hasher.hash(password)
    person.must_change_password = True
    person.credentials_changed_at = now
    person.failed_logins = 0
    person.locked_until = None
    await uow.users.update(person)
    await uow.sessions.end_all_for_user(person.id or 0, now, SessionEnd.PASSWORD_RESET)
    return password


async def operator_reset_password(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    *,
    id_number: str,
    password: str | None = None,
) -> tuple[User, str]:
    """``cebot user reset-password``: the operator resets anyone, a super admin included (the
    one way back for a base whose only super admin forgot the password).

    A deactivated reviewer who administers no base could not log in with it: refused, activate
    first. Audited in every base the person administers (and once without a base), and the
    person is told.
    """
    clean_id = validators.parse_id_number(id_number, clock.now().date())
    found = await uow.users.get_by_id_number(clean_id)
    if found is None or found.id is None:
        raise NotFound(N_("系统中没有该身份证号码的用户。"))
    person = await uow.users.get_for_update(found.id)
    if person is None:
        raise NotFound(N_("系统中没有该身份证号码的用户。"))
    memberships = await uow.memberships.list_for_user(found.id)
    if person.is_reviewer and not person.reviewer_active and not memberships:
        raise Conflict(
            N_("该审核员已停用，重置密码也无法登录。请先启用：cebot reviewer activate。")
        )
    initial = await reset_credentials(uow, hasher, clock, person, password)
    where: list[int | None] = [m.base_id for m in memberships]
    for base_id in where or [None]:
        await audit.record(
            uow,
            clock,
            action="user.reset_password_by_operator",
            base_id=base_id,
            actor_user_id=None,
            subject=person.name,
        )
    await notices.tell(uow, clock, found.id, "password_reset", OPERATOR_RESET_NOTICE)
    return person, initial


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


def _reset_refusal(actor: Actor, *, is_super: bool, user_id: int) -> str | None:
    """Why ``actor`` may not reset this admin's password, or None when they may."""
    if not actor.is_super:
        return N_("只有超级管理员可以重置其他管理员的密码。")
    if user_id == actor.user_id:
        return N_("不能重置自己的密码，请使用 /password 修改密码。")
    if is_super:
        return N_("不能重置超级管理员的密码。")
    return None


def _ensure_resettable(actor: Actor, *, is_super: bool, user_id: int) -> None:
    refusal = _reset_refusal(actor, is_super=is_super, user_id=user_id)
    if refusal is not None:
        raise NotPermitted(refusal)


async def _ensure_only_here(uow: UnitOfWork, actor: Actor, user_id: int, name: str) -> None:
    """One password opens every base a person administers (and the review, for a reviewer): a
    one-time password shown to this base's super admin must open nothing else. Such a person is
    reset by the operator."""
    person = await uow.users.get(user_id)
    elsewhere = [
        m for m in await uow.memberships.list_for_user(user_id) if m.base_id != actor.base_id
    ]
    if elsewhere or (person is not None and person.is_reviewer):
        raise NotPermitted(
            N_("{name} 还有其他基地或审核员的身份，其密码只能由运维人员重置。"), name=name
        )


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
