"""Reviewers themselves: platform-side people the operator makes (``cebot reviewer add``), resets,
deactivates, activates and assigns regions to (``cebot reviewer …``).

A deactivated reviewer cannot log in as a reviewer (``auth.login`` says why) and every session of
theirs ends at once, so a return's reason half typed ends politely at their next message. Their
password is not reset while deactivated: it could not be used; activate first.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain import validators
from domain.clock import Clock
from domain.errors import Conflict, NotFound
from domain.messages import N_
from domain.model import SessionEnd, User
from domain.passwords import check_password_policy
from domain.ports import PasswordHasher, UnitOfWork
from domain.services import audit, notices
from domain.services.admins import reset_credentials
from domain.services.sessions import REVIEWER_DEACTIVATED

DEACTIVATED = REVIEWER_DEACTIVATED
RESET_NOTICE = N_(
    "运维人员重置了您的审核员登录密码，您的登录已全部退出。\n"
    "请使用运维人员提供的一次性初始密码，通过 /login 登录后须立即修改密码。"
)

ALL_REGIONS = "*"
"""How the audit trail writes "every region" for a reviewer created without regions."""


def parse_regions(raw: Sequence[str]) -> tuple[str, ...]:
    """Each region checked and named in full, in the province's order; blanks are skipped."""
    chosen = {validators.parse_region(item) for item in raw if item.strip()}
    return tuple(region for region in validators.HUBEI_REGIONS if region in chosen)


async def create_reviewer(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    *,
    name: str,
    id_number: str,
    mobile: str,
    initial_password: str,
    regions: Sequence[str] = (),
) -> User:
    """The password must be changed at first login."""
    now = clock.now()
    clean_id = validators.parse_id_number(id_number, now.date())
    clean_mobile = validators.parse_mobile(mobile)
    clean_name = validators.parse_name(name)
    covered = parse_regions(regions)
    check_password_policy(
        initial_password, id_number=clean_id, mobile=clean_mobile, name=clean_name
    )
    if await uow.users.get_by_id_number(clean_id) is not None:
        raise Conflict(N_("该身份证号码已是系统用户。"))
    user = await uow.users.add(
        User(
            name=clean_name,
            id_number=clean_id,
            mobile=clean_mobile,
            password_hash=await hasher.hash(initial_password),
            must_change_password=True,
            credentials_changed_at=now,
            created_at=now,
            is_reviewer=True,
            reviewer_regions=covered,
        )
    )
    await audit.record(
        uow,
        clock,
        action="reviewer.create",
        base_id=None,
        actor_user_id=None,
        subject=user.name,
        new_value=f"{validators.mask_id_number(clean_id)} {','.join(covered) or ALL_REGIONS}",
    )
    return user


async def find_reviewer(
    uow: UnitOfWork, clock: Clock, *, id_number: str | None = None, user_id: int | None = None
) -> User:
    """By ID-card number or by the id ``cebot reviewer list`` shows; locked for the change."""
    found: User | None = None
    if id_number is not None:
        found = await uow.users.get_by_id_number(
            validators.parse_id_number(id_number, clock.now().date())
        )
    elif user_id is not None:
        found = await uow.users.get(user_id)
    if found is None or found.id is None or not found.is_reviewer:
        raise NotFound(N_("没有这位审核员。"))
    locked = await uow.users.get_for_update(found.id)
    if locked is None:
        raise NotFound(N_("没有这位审核员。"))
    return locked


async def reset_reviewer_password(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    clock: Clock,
    reviewer: User,
    password: str | None = None,
) -> str:
    """A one-time password (given, or generated when None) to change at the next login; every
    session ends. Refused for a deactivated reviewer: activate first."""
    if not reviewer.reviewer_active:
        raise Conflict(N_("该审核员已停用，不能重置密码。请先启用：cebot reviewer activate。"))
    initial = await reset_credentials(uow, hasher, clock, reviewer, password)
    await _audit(uow, clock, "reviewer.reset_password", reviewer)
    await notices.tell(uow, clock, reviewer.id or 0, "password_reset", RESET_NOTICE)
    return initial


async def deactivate_reviewer(uow: UnitOfWork, clock: Clock, reviewer: User) -> int:
    """Stops the reviewer: no login as a reviewer, every session ended; returns how many were
    open. Deactivating twice changes nothing (and is not recorded twice)."""
    if not reviewer.reviewer_active:
        return 0
    reviewer.reviewer_active = False
    await uow.users.update(reviewer)
    ended = await uow.sessions.end_all_for_user(
        reviewer.id or 0, clock.now(), SessionEnd.DEACTIVATED
    )
    await _audit(uow, clock, "reviewer.deactivate", reviewer)
    return ended


async def activate_reviewer(uow: UnitOfWork, clock: Clock, reviewer: User) -> bool:
    """Whether anything changed: an active reviewer stays as they are."""
    if reviewer.reviewer_active:
        return False
    reviewer.reviewer_active = True
    await uow.users.update(reviewer)
    await _audit(uow, clock, "reviewer.activate", reviewer)
    return True


async def set_regions(
    uow: UnitOfWork, clock: Clock, reviewer: User, regions: Sequence[str]
) -> tuple[str, ...]:
    """The 市州 the reviewer covers from now on (empty: the whole province); their next action
    sees them, as the guard reads them afresh."""
    covered = parse_regions(regions)
    old = reviewer.reviewer_regions
    reviewer.reviewer_regions = covered
    await uow.users.update(reviewer)
    await audit.record(
        uow,
        clock,
        action="reviewer.regions",
        base_id=None,
        actor_user_id=None,
        subject=reviewer.name,
        old_value=",".join(old) or ALL_REGIONS,
        new_value=",".join(covered) or ALL_REGIONS,
    )
    return covered


async def _audit(uow: UnitOfWork, clock: Clock, action: str, reviewer: User) -> None:
    await audit.record(
        uow,
        clock,
        action=action,
        base_id=None,
        actor_user_id=None,
        subject=reviewer.name,
        new_value=validators.mask_id_number(reviewer.id_number),
    )
