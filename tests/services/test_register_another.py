"""/register by someone who already administers a base (issue #16, point 1): the account proves
itself with its password, counted as at login, and the new base joins the person's bases."""

from datetime import timedelta

import pytest

from domain.clock import FixedClock
from domain.errors import AccountLocked, Conflict, Invalid, Throttled
from domain.ports import PasswordHasher
from domain.services import auth
from domain.services.review import reviewers
from storage.uow import UnitOfWorkFactory
from tests.services.helpers import (
    CODE_ONE,
    CODE_TWO,
    ID_ALICE,
    ID_BOB,
    PASSWORD,
    POLICY,
    actor_of,
    register,
)

SECOND = auth.NewBase(
    base_name="宜昌继续教育中心",
    credit_code=CODE_TWO,
    region="宜昌市",
    address="宜昌市西陵区 8 号",
    contact_person="张伟",
    contact_phone="0717-6543210",
)


async def prove(
    uow_factory: UnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: FixedClock,
    password: str = PASSWORD,
    tg: int = 1001,
    id_number: str = ID_ALICE,
) -> auth.ProvenAccount:
    async with uow_factory() as uow:
        return await auth.prove_registrant(
            uow, hasher, clock, telegram_user_id=tg, id_number=id_number, password=password
        )


async def add_second(
    uow_factory: UnitOfWorkFactory,
    clock: FixedClock,
    proof: auth.IdentityProof,
    form: auth.NewBase = SECOND,
    tg: int = 1001,
) -> auth.LoginOutcome:
    async with uow_factory() as uow:
        return await auth.register_another_base(uow, clock, form, proof, telegram_user_id=tg)


async def test_a_proven_admin_gets_the_new_base_as_super_admin(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    first = await register(uow_factory, hasher, clock)
    async with uow_factory(readonly=True) as uow:
        assert await auth.claims_account(uow, ID_ALICE) is True
        assert await auth.claims_account(uow, ID_BOB) is False
    proven = await prove(uow_factory, hasher, clock, tg=2002)
    assert (proven.name, proven.mobile) == ("王芳", "13812345678")
    outcome = await add_second(uow_factory, clock, proven.proof, tg=2002)
    assert [b.name for b in outcome.bases] == ["宜昌继续教育中心", "武汉职业培训学院"]
    actor = await actor_of(uow_factory, clock, 2002)
    assert actor.is_super and actor.base_id == outcome.bases[0].id
    assert actor.user_id == first.user.id
    async with uow_factory(readonly=True) as uow:
        events = await uow.audit.list(actor.base_id)
        mine = await uow.memberships.list_for_user(actor.user_id)
    assert [(e.action, e.subject) for e in events] == [
        ("base.register_existing", "宜昌继续教育中心")
    ]
    assert len(mine) == 2 and all(m.is_super for m in mine)


async def test_a_wrong_password_counts_towards_the_lock_out(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock)
    for _ in range(4):
        with pytest.raises(Invalid) as refused:
            await prove(uow_factory, hasher, clock, password="不是这个密码啊")
        assert refused.value.field == "password"
    with pytest.raises(AccountLocked):
        await prove(uow_factory, hasher, clock, password="不是这个密码啊")
    with pytest.raises(AccountLocked):
        await prove(uow_factory, hasher, clock)
    clock.advance(timedelta(minutes=16))
    assert (await prove(uow_factory, hasher, clock)).name == "王芳"


async def test_guessing_from_one_telegram_user_is_throttled_as_at_login(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock)
    await register(uow_factory, hasher, clock, id_number=ID_BOB, credit_code=CODE_TWO)
    for id_number in [ID_ALICE] * 4 + [ID_BOB] * 4 + [ID_ALICE, ID_BOB]:
        with pytest.raises((Invalid, AccountLocked)):
            await prove(uow_factory, hasher, clock, password="瞎猜的一个密码", id_number=id_number)
    with pytest.raises(Throttled):
        await prove(uow_factory, hasher, clock)


async def test_a_reviewer_cannot_register_a_base(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        await reviewers.create_reviewer(
            uow,
            hasher,
            clock,
            name="周审核",
            id_number=ID_BOB,
            mobile="13600000000",
            initial_password="审核员的初始密码 1",
        )
    async with uow_factory(readonly=True) as uow:
        with pytest.raises(Conflict):
            await auth.claims_account(uow, ID_BOB)
    with pytest.raises(Conflict):
        await prove(uow_factory, hasher, clock, password="审核员的初始密码 1", id_number=ID_BOB)


async def test_a_registered_credit_code_is_refused_and_nothing_is_added(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock)
    proven = await prove(uow_factory, hasher, clock)
    taken = auth.NewBase(**{**SECOND.__dict__, "credit_code": CODE_ONE})
    with pytest.raises(Conflict):
        await add_second(uow_factory, clock, proven.proof, form=taken)
    actor = await actor_of(uow_factory, clock, 1001)
    async with uow_factory(readonly=True) as uow:
        assert len(await uow.memberships.list_for_user(actor.user_id)) == 1


async def test_a_proof_stops_counting_once_the_password_changed(
    uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: FixedClock
) -> None:
    await register(uow_factory, hasher, clock)
    proven = await prove(uow_factory, hasher, clock)
    clock.advance(timedelta(minutes=1))
    async with uow_factory() as uow:
        await auth.change_password(
            uow,
            hasher,
            clock,
            telegram_user_id=1001,
            old_password=PASSWORD,
            new_password="黄鹤楼上看日出东方",
            new_password_again="黄鹤楼上看日出东方",
            policy=POLICY,
        )
    with pytest.raises(Invalid) as stale:
        await add_second(uow_factory, clock, proven.proof)
    assert stale.value.field == "password"
    forged = auth.IdentityProof(proven.proof.user_id, ID_BOB, proven.proof.proven_at)
    with pytest.raises(Invalid):
        await add_second(uow_factory, clock, forged)
