"""继续教育机构信息管理: the base's profile, edited field by field with registration's rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from domain import validators
from domain.clock import Clock
from domain.errors import Conflict, Invalid, NotFound
from domain.messages import N_
from domain.model import Actor, Base
from domain.permissions import Permission
from domain.ports import UnitOfWork
from domain.services import audit
from domain.services.sessions import require

BASE_FIELD_PARSERS: Final[dict[str, Callable[[str], str]]] = {
    "name": lambda raw: validators.parse_name(raw, field="base_name", max_length=100),
    "credit_code": validators.parse_credit_code,
    "region": validators.parse_region,
    "address": lambda raw: validators.parse_text(raw, field="address", max_length=200),
    "contact_person": lambda raw: validators.parse_name(raw, field="contact_person"),
    "contact_phone": validators.parse_phone,
}
"""One rule per field of a base, shared by registration and by the profile editor."""

_MOBILE: Final = re.compile(r"1[3-9]\d{9}")


def parse_base_field(field: str, raw: str) -> str:
    parser = BASE_FIELD_PARSERS.get(field)
    if parser is None:
        raise Invalid("field", N_("没有这个字段。"))
    return parser(raw)


def shown_in_audit(field: str, value: str) -> str:
    """A contact mobile is a personal number: the audit trail keeps it masked."""
    if field == "contact_phone" and _MOBILE.fullmatch(value):
        return validators.mask_mobile(value)
    return value


async def get_profile(uow: UnitOfWork, actor: Actor) -> Base:
    require(actor, Permission.PROFILE_EDIT)
    base = await uow.bases.get(actor.base_id)
    if base is None:
        raise NotFound()
    return base


async def update_field(
    uow: UnitOfWork, clock: Clock, actor: Actor, field: str, raw: str
) -> tuple[Base, bool]:
    """Returns the base and whether anything changed (typing the same value changes nothing)."""
    require(actor, Permission.PROFILE_EDIT)
    value = parse_base_field(field, raw)
    base = await uow.bases.get(actor.base_id)
    if base is None:
        raise NotFound()
    old = str(getattr(base, field))
    if old == value:
        return base, False
    if field == "credit_code" and await uow.bases.get_by_credit_code(value) is not None:
        raise Conflict(N_("该统一社会信用代码已被其他基地注册。"))
    setattr(base, field, value)
    await uow.bases.update(base)
    await audit.record_by(
        uow,
        clock,
        actor,
        f"profile.{field}",
        base.name,
        old_value=shown_in_audit(field, old),
        new_value=shown_in_audit(field, value),
    )
    return base, True
