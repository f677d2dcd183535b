"""Valid people and bases for service tests, and a shortcut to register one."""

from __future__ import annotations

from typing import Protocol

from domain.clock import FixedClock
from domain.model import Actor
from domain.ports import PasswordHasher
from domain.services import auth
from domain.services.sessions import SessionPolicy, resolve_actor
from storage.uow import UnitOfWorkFactory

PASSWORD = "湖北继教 2026 春"
# Valid ID-card numbers (checked by domain/validators.py) and credit codes.
ID_ALICE = "11010519491231002X"
ID_BOB = "420106199001011231"
ID_CAROL = "420106198507150023"
CODE_ONE = "91350100M000100Y43"
CODE_TWO = "91420100MA4K2B3C4H"
POLICY = SessionPolicy()


class Stored(Protocol):
    @property
    def id(self) -> int | None: ...


def id_of(entity: Stored) -> int:
    """A stored entity's id; the model leaves it None only before the first save."""
    assert entity.id is not None, f"{entity!r} was never saved"
    return entity.id


def registration(
    *,
    base_name: str = "武汉职业培训学院",
    credit_code: str = CODE_ONE,
    id_number: str = ID_ALICE,
    admin_name: str = "王芳",
    mobile: str = "13812345678",
    password_hash: str,
) -> auth.Registration:
    return auth.Registration(
        base_name=base_name,
        credit_code=credit_code,
        region="武汉市",
        address="武汉市洪山区珞喻路 1 号",
        contact_person="李明",
        contact_phone="027-87654321",
        admin_name=admin_name,
        admin_id_number=id_number,
        admin_mobile=mobile,
        password_hash=password_hash,
    )


async def register(
    uow_factory: UnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: FixedClock,
    *,
    telegram_user_id: int = 1001,
    **kw: str,
) -> auth.LoginOutcome:
    password_hash = await hasher.hash(PASSWORD)
    async with uow_factory() as uow:
        return await auth.register_base(
            uow,
            clock,
            registration(password_hash=password_hash, **kw),
            telegram_user_id=telegram_user_id,
        )


async def actor_of(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, telegram_user_id: int
) -> Actor:
    async with uow_factory() as uow:
        return await resolve_actor(uow, clock, telegram_user_id, POLICY)
