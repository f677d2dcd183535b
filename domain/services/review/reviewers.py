"""Reviewers themselves: platform-side people the operator makes (``cebot reviewer add``)."""

from __future__ import annotations

from collections.abc import Sequence

from domain import validators
from domain.clock import Clock
from domain.errors import Conflict
from domain.messages import N_
from domain.model import User
from domain.passwords import check_password_policy
from domain.ports import PasswordHasher, UnitOfWork
from domain.services import audit

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
